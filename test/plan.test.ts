import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { PROJECT_ROOT, ProgramFailed, readStackSettings, runProgram } from "../offline/harness";
import { plan as runPlan, type PlanOptions } from "../offline/plan";
import { sharedRun } from "./helpers";

/** The plan, sharing the stack files' runs with the other tests. */
function plan(argv: readonly string[], options: PlanOptions = {}) {
  return runPlan(argv, { run: sharedRun, ...options });
}

const execFileAsync = promisify(execFile);
/** A fresh Node process: started when this file loads, so it runs beside the other tests. */
function fresh(args: string[]) {
  return execFileAsync(process.execPath, args, { cwd: PROJECT_ROOT, encoding: "utf8" }).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      status: error.code ?? 1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );
}
/** `npm run plan` as package.json defines it (the node command, without npm's own start-up). */
const planScript = (
  JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: { plan: string } }
).scripts.plan;
/** Which heavy parts of the SDK load with it, and whether they still load when used (offline/lazy-sdk.ts). */
const lazyCheck = fresh([
  "-r",
  "./offline/register.js",
  "-e",
  [
    'require("./offline/lazy-sdk");',
    'require("@pulumi/pulumi");',
    "const loaded = (pattern) => Object.keys(require.cache).some((f) => pattern.test(f));",
    "const parts = { typescript: /typescript[\\/]lib[\\/]typescript\\.js$/, arborist: /@npmcli[\\/]arborist[\\/]lib[\\/]arborist/, automation: /pulumi[\\/]automation[\\/]localWorkspace\\.js$/ };",
    "const before = Object.fromEntries(Object.entries(parts).map(([k, p]) => [k, loaded(p)]));",
    'const ts = require("@pulumi/pulumi/typescript-shim");',
    'const pulumi = require("@pulumi/pulumi");',
    "const used = { typescript: ts.version, automation: typeof pulumi.automation.LocalWorkspace, arborist: typeof require(require.resolve('@npmcli/arborist', { paths: [require.resolve('@pulumi/pulumi')] })).Arborist };",
    "const after = Object.fromEntries(Object.entries(parts).map(([k, p]) => [k, loaded(p)]));",
    "console.log(JSON.stringify({ before, used, after }));",
  ].join("\n"),
]);
const freshPlan = fresh([...planScript.replace(/^node /, "").split(" "), "--stack", "staging"]);

describe("offline plan (npm run plan)", () => {
  it("prints the resource tree under each component, counts by type and the outputs", async () => {
    const { code, stdout, stderr } = await plan(["--stack", "production"]);
    expect(stderr).to.equal("");
    expect(code).to.equal(0);
    const lines = stdout.split("\n");
    expect(lines[0]).to.include('Offline plan of stack "production"');
    expect(lines).to.include("+ pulumi:pulumi:Stack  cloudweave-production");
    expect(stdout).to.match(/^[├└]─ \+ cloudweave:network:Network {2}cloudweave-production$/m);
    expect(stdout).to.match(
      /^│ {2}├─ \+ aws:ec2\/subnet:Subnet {2}cloudweave-production-public-us-east-1a {2}\(cidrBlock=10\.0\.1\.0\/24/m,
    );
    expect(stdout).to.match(
      /^│ {2}├─ \+ aws:ec2\/vpc:Vpc {2}cloudweave-production-vpc {2}\[protected\] {2}\(cidrBlock=10\.0\.0\.0\/16\)$/m,
    );
    expect(stdout).to.match(/^ {2}aws:ec2\/natGateway:NatGateway +3$/m);
    expect(stdout).to.match(/^ {2}aws:ec2\/subnet:Subnet +9$/m);
    expect(stdout).to.match(/^Resources: \d+ to create$/m);
    expect(stdout).to.match(
      /─ \+ aws:wafv2\/webAcl:WebAcl {2}cloudweave-production-edge-waf {2}\[provider cloudweave-production-edge-us-east-1, us-east-1\]/,
    );
    expect(stdout).to.include('  environment: "production"');
    expect(stdout).to.match(
      /^Policies: \d+ evaluated from policy-pack\/ with policy-pack\/config\/production\.json — 0 mandatory/m,
    );
  });

  it("prints every declared resource as JSON with --json", async () => {
    const { code, stdout } = await plan(["--stack", "staging", "--json"]);
    expect(code).to.equal(0);
    const run = JSON.parse(stdout) as { stack: string; resources: { type: string; parent?: string }[] };
    expect(run.stack).to.equal("staging");
    expect(run.resources.filter((resource) => resource.type === "aws:ec2/natGateway:NatGateway")).to.have.length(1);
  });

  it("prints the validation message and exits 1 for a bad stack config", async () => {
    const vpc = { ...(readStackSettings("staging")["cloudweave:vpc"] as object), cidr: "10.1.0.0/8" };
    const { code, stdout, stderr } = await plan(["--stack", "staging"], { configOverrides: { "cloudweave:vpc": vpc } });
    expect(code).to.equal(1);
    expect(stdout).to.equal("");
    expect(stderr).to.include("Pulumi.staging.yaml: Invalid stack configuration:");
    expect(stderr).to.include('cloudweave:vpc.cidr = "10.1.0.0/8"');
  });

  it("exits 1 with every name AWS would reject, as a real preview would fail", async () => {
    const { code, stdout, stderr } = await plan(["--project", "test/fixtures/too-long-names", "--stack", "test"]);
    expect(code).to.equal(1);
    expect(stdout).to.equal("");
    expect(stderr).to.include("stack test: 2 registrations AWS would reject:");
    expect(stderr).to.include(
      `aws:lb/targetGroup:TargetGroup "cloudweave-production-frontend-green": name 'cloudweave-production-frontend-green-' plus 7 random chars is longer than maximum length 32`,
    );
    expect(stderr).to.include('S3 bucket name "CloudWeave_Assets" may contain only lower-case letters');
    expect(stderr).to.include("bucketnamingrules.html");
    expect(stderr).to.include("pulumi preview would fail.");
  });

  it("reports where a failing program threw, though runs skip stack traces for speed", async () => {
    const failure = await runProgram("staging", () => {
      throw new TypeError("a bug in a component");
    }).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(ProgramFailed);
    const cause = (failure as ProgramFailed).cause as Error;
    expect(cause.message).to.equal("a bug in a component");
    expect(cause.stack).to.include("plan.test.ts");
    expect(Error.stackTraceLimit, "the process's own setting is restored").to.be.greaterThan(0);
  });

  it("plans the bootstrap project with --project bootstrap", async () => {
    const { code, stdout } = await plan(["--project", "bootstrap", "--stack", "production"]);
    expect(code).to.equal(0);
    expect(stdout).to.include('Offline plan of stack "production" (project cloudweave-bootstrap');
    expect(stdout).to.match(/cloudweave:delivery:StateBackend {2}cloudweave-pulumi$/m);
    expect((await plan(["--project", "nowhere", "--stack", "production"])).code).to.equal(2);
  });

  it("exits 2 on bad usage", async () => {
    expect((await plan([])).code).to.equal(2);
    expect((await plan(["--stack", "qa"])).stderr).to.include('unknown stack "qa"');
    expect((await plan(["--stak", "staging"])).code).to.equal(2);
  });

  it("loads the SDK without the parts a mocked run never uses, which still load when asked", async () => {
    const result = await lazyCheck;
    expect(result.status, result.stderr).to.equal(0);
    const { before, used, after } = JSON.parse(result.stdout) as Record<string, Record<string, unknown>>;
    expect(before, "loaded with the SDK").to.deep.equal({ typescript: false, arborist: false, automation: false });
    expect(used?.typescript).to.match(/^5\./);
    expect(used).to.deep.include({ automation: "function", arborist: "function" });
    expect(after).to.deep.equal({ typescript: true, arborist: true, automation: true });
  });

  it("runs as `npm run plan -- --stack staging` in a fresh process", async () => {
    const result = await freshPlan;
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include("+ cloudweave:network:Network  cloudweave-staging");
  });
});
