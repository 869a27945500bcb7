import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { SMOKE_SUITES } from "../functions/release-checks/smoke";
import { parse } from "yaml";
import { PROJECT_ROOT, runStack, stackNames, type StackRun } from "../offline/harness";
import { stackSecretsProblems } from "../offline/stack-secrets";
import { activeMutant, json, single, stackConfig, type Statement } from "./helpers";

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  strategy?: { matrix: { include?: Record<string, unknown>[] } & Record<string, unknown> };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, { branches?: string[]; paths?: string[] } | null>;
  permissions: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflow(file: string): Workflow {
  return parse(fs.readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", file), "utf8")) as Workflow;
}

const needsOf = (job: Job) => [job.needs ?? []].flat();
const matrixStacks = (job: Job) => (job.strategy?.matrix.include ?? []).map((entry) => entry.stack);
const BOOTSTRAP = path.join(PROJECT_ROOT, "bootstrap");
const uses = (job: Job, action: string) => (job.steps ?? []).filter((step) => step.uses?.startsWith(`${action}@`));

describe("CI/CD workflows", () => {
  const pr = workflow("pull-request.yml");
  const deploy = workflow("deploy.yml");
  const flagsWorkflow = workflow("flags.yml");
  const all = { "pull-request.yml": pr, "deploy.yml": deploy, "flags.yml": flagsWorkflow };

  it("parse and grant nothing by default", () => {
    for (const [file, definition] of Object.entries(all)) expect(definition.permissions, file).to.deep.equal({});
  });

  // OpenSSF Scorecard's Pinned-Dependencies check and GitHub's "Security hardening for GitHub Actions" (using
  // third-party actions): a full-length commit SHA is the only immutable reference; tags can be moved. The comment
  // names the release, and Dependabot (.github/dependabot.yml) updates both together.
  it("deploy a merged change of a stack's flag values with npm run flags, from the stack's flags environment and region", () => {
    expect(flagsWorkflow.on).to.deep.include({ push: { branches: ["develop", "main"], paths: ["feature-flags/**"] } });
    const branches: Record<string, string> = {
      staging: "refs/heads/develop",
      production: "refs/heads/main",
    };
    for (const stack of ["staging", "production", "production-dr"]) {
      const job = flagsWorkflow.jobs[stack] as Job;
      expect(job.environment, stack).to.equal(`${stack}-flags`);
      expect(job.concurrency).to.deep.equal({ group: `flags-${stack}`, "cancel-in-progress": false });
      if (branches[stack]) expect(job.if).to.include(branches[stack]);
      const steps = job.steps ?? [];
      const credentials = steps.find((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      expect(credentials?.with).to.deep.include({
        "role-to-assume": "${{ vars.AWS_FLAGS_ROLE_ARN }}",
        "aws-region": stackConfig(stack).region,
      });
      // Waits for a deployment under way rather than failing the merge; the region is the stack file's.
      expect(steps.at(-1)?.run).to.equal(`npm run flags -- ${stack} sync --wait`);
    }
    expect(needsOf(flagsWorkflow.jobs["production-dr"] as Job)).to.deep.equal(["production"]);
  });

  it("pin every action to a full commit SHA with its release in a comment, the same one everywhere", () => {
    const pins = new Map<string, string>();
    for (const file of Object.keys(all)) {
      const text = fs.readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", file), "utf8");
      const references = [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(.+)$/gm)].map((match) => match[1]!.trim());
      expect(references, file).to.not.be.empty;
      for (const reference of references) {
        const pinned = /^([\w.-]+\/[\w./-]+)@([0-9a-f]{40}) # (v?\d+\.\d+\.\d+)$/.exec(reference);
        expect(pinned, `${file}: ${reference}`).to.not.equal(null);
        const [, action, sha, version] = pinned!;
        const seen = pins.get(action!);
        expect(seen ?? `${sha} ${version}`, `${action} pinned twice differently`).to.equal(`${sha} ${version}`);
        pins.set(action!, `${sha} ${version}`);
      }
    }
  });

  it("keep the pins current with Dependabot, for the actions and for npm", () => {
    const dependabot = parse(fs.readFileSync(path.join(PROJECT_ROOT, ".github", "dependabot.yml"), "utf8")) as {
      version: number;
      updates: { "package-ecosystem": string; directory: string; schedule: { interval: string } }[];
    };
    expect(dependabot.version).to.equal(2);
    const ecosystems = dependabot.updates.map((update) => [update["package-ecosystem"], update.directory]);
    expect(ecosystems).to.deep.include.members([
      ["github-actions", "/"],
      ["npm", "/"],
    ]);
  });

  it("ask for an OIDC token only in the jobs that assume an AWS role, and for nothing they do not use", () => {
    for (const [file, definition] of Object.entries(all)) {
      for (const [name, job] of Object.entries(definition.jobs)) {
        const assumesRole = uses(job, "aws-actions/configure-aws-credentials").length > 0;
        expect(job.permissions?.["id-token"] === "write", `${file} ${name}`).to.equal(assumesRole);
        const comments = uses(job, "pulumi/actions").some((step) => step.with?.["comment-on-pr"] === true);
        expect(job.permissions?.["pull-requests"] === "write", `${file} ${name}`).to.equal(comments);
        for (const [scope, level] of Object.entries(job.permissions ?? {})) {
          if (scope !== "id-token" && scope !== "pull-requests")
            expect([scope, level]).to.deep.equal(["contents", "read"]);
        }
      }
    }
  });

  it("check every pull request, scan it, then preview both stacks with the policy pack", () => {
    expect(pr.on.pull_request?.branches).to.have.members(["develop", "main"]);
    const steps = (pr.jobs.checks?.steps ?? []).map((step) => step.run).filter(Boolean);
    for (const command of [
      "npm ci",
      "npm run lint",
      "npm run typecheck",
      "npm run test:unit",
      "npm run plan -- --stack production",
      "npm run plan -- --stack production-dr",
      "npm run plan -- --stack staging-dr",
    ]) {
      expect(
        steps.some((run) => run?.startsWith(command)),
        command,
      ).to.equal(true);
    }
    const security = pr.jobs.security as Job & { env?: Record<string, string> };
    const scripts = (security.steps ?? []).map((step) => step.run ?? "").join("\n");
    expect(scripts).to.match(/^npm audit --omit=dev --audit-level=high$/m);
    // Scanners that work on an organisation's private repository without a licence key or Advanced Security,
    // built at a pinned version (go install verifies the source against the Go checksum database).
    expect(scripts).to.include('go install "github.com/zricethezav/gitleaks/v8@${GITLEAKS_VERSION}"');
    expect(scripts).to.include('go install "github.com/google/osv-scanner/v2/cmd/osv-scanner@${OSV_SCANNER_VERSION}"');
    expect(scripts).to.match(/osv-scanner" scan source --lockfile=package-lock\.json$/m);
    expect(scripts).to.include('gitleaks" git --redact');
    for (const version of ["GITLEAKS_VERSION", "OSV_SCANNER_VERSION"])
      expect(security.env?.[version], version).to.match(/^v\d+\.\d+\.\d+$/);
    for (const [file, definition] of Object.entries(all)) {
      for (const job of Object.values(definition.jobs)) {
        for (const action of ["gitleaks/gitleaks-action", "actions/dependency-review-action"])
          expect(uses(job, action), `${file}: ${action} needs a licence or Advanced Security`).to.be.empty;
      }
    }

    const preview = pr.jobs.preview as Job;
    expect(needsOf(preview)).to.have.members(["checks", "security"]);
    expect(matrixStacks(preview)).to.deep.equal(["staging", "production", "production-dr"]);
    const [pulumi] = uses(preview, "pulumi/actions");
    expect(pulumi?.with).to.deep.include({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      policyPacks: "policy-pack",
      policyPackConfigs: "policy-pack/config/${{ matrix.stack }}.json",
      "comment-on-pr": true,
    });
    const [credentials] = uses(preview, "aws-actions/configure-aws-credentials");
    expect(credentials?.with?.["role-to-assume"]).to.equal("${{ matrix.role }}");
  });

  it("post each stack's monthly cost change beside its preview, computed offline against the base commit", () => {
    const preview = pr.jobs.preview as Job;
    const steps = preview.steps ?? [];
    const cost = steps.find((step) => step.run?.includes("--cost"));
    expect(cost?.env).to.deep.include({
      STACK: "${{ matrix.stack }}",
      BASE: "${{ github.event.pull_request.base.sha }}",
      GH_TOKEN: "${{ secrets.GITHUB_TOKEN }}",
    });
    expect(cost?.run).to.match(/^npm run --silent plan -- --stack "\$STACK" --cost --base "\$BASE" > cost\.txt$/m);
    // One comment per stack, found by its marker and updated on each push rather than added again.
    expect(cost?.run).to.include('marker="<!-- cloudweave-cost:${STACK} -->"');
    expect(cost?.run).to.match(/gh api --method PATCH "repos\/\$\{REPO\}\/issues\/comments\/\$\{id\}"/);
    // Needs no cloud credentials: it runs before the job assumes its role.
    const assume = steps.findIndex((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(steps.indexOf(cost as Step)).to.be.within(0, assume);
    // The base commit is in the clone, and the job may comment.
    const [checkout] = uses(preview, "actions/checkout");
    expect(checkout?.with?.["fetch-depth"]).to.equal(0);
    expect(preview.permissions?.["pull-requests"]).to.equal("write");
  });

  // Every job that runs Pulumi on a stack: the stack file names the stack's own KMS secrets provider (the one its
  // account's bootstrap created), a step checks the data key is committed before Pulumi runs, the role the job
  // assumes is one the secrets key's policy admits, and the backend is that account's. No passphrase anywhere.
  describe("give every step that runs Pulumi on a stack what it needs to decrypt its secrets", () => {
    const bootstrapRuns = new Map<string, Promise<StackRun>>();
    const bootstrapOf = (stack: string) => {
      const key = `${stack} ${activeMutant()}`;
      if (!bootstrapRuns.has(key)) bootstrapRuns.set(key, runStack(stack, { projectDir: BOOTSTRAP }));
      return bootstrapRuns.get(key) as Promise<StackRun>;
    };

    it("never hands CI a passphrase", () => {
      for (const file of Object.keys(all)) {
        const text = fs.readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", file), "utf8");
        expect(text, file).to.not.match(/PULUMI_CONFIG_PASSPHRASE|secrets-provider:\s*passphrase/);
      }
    });

    for (const [file, definition] of Object.entries({ "pull-request.yml": pr, "deploy.yml": deploy })) {
      for (const [name, job] of Object.entries(definition.jobs)) {
        const pulumiSteps = uses(job, "pulumi/actions");
        if (pulumiSteps.length === 0) continue;
        const entries: Record<string, unknown>[] = job.strategy?.matrix.include ?? [{}];
        for (const entry of entries) {
          const resolve = (value: unknown) =>
            String(value).replace(/\$\{\{ matrix\.(\w+) \}\}/g, (_, key: string) => String(entry[key]));
          const [step] = pulumiSteps;
          const stack = resolve(step?.with?.["stack-name"]);

          it(`${file} ${name}: ${stack}`, async () => {
            const steps = job.steps ?? [];
            const pulumiIndex = steps.indexOf(step!);
            const guard = steps.findIndex(
              (candidate) =>
                candidate.run !== undefined &&
                resolve(candidate.run.replace('"$STACK"', candidate.env?.STACK ?? "")) ===
                  `npm run stack:secrets -- ${stack}`,
            );
            expect(guard, "the secrets check runs before Pulumi").to.be.within(0, pulumiIndex - 1);
            const fileProblems = stackSecretsProblems(stack).filter((problem) => !problem.includes("no encryptedkey"));
            expect(fileProblems).to.deep.equal([]);

            // The account's bootstrap stack (named after its primary) lists the stack; a standby's secrets provider is
            // its key's replica in the standby's own region.
            const home = stackNames(BOOTSTRAP).find(
              (candidate) => stackConfig(candidate).accountId === stackConfig(stack).accountId,
            )!;
            const bootstrap = await bootstrapOf(home);
            const standby = stackConfig(stack).disasterRecovery?.role === "standby";
            const provider = (
              bootstrap.outputs[standby ? "drSecretsProviders" : "secretsProviders"] as Record<string, string>
            )[stack];
            const stackFile = parse(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
              secretsprovider: string;
            };
            expect(stackFile.secretsprovider).to.equal(provider);

            // The variables the job reads are the ones the bootstrap tells to set, for this stack.
            const variables = bootstrap.outputs.githubVariables as {
              environments: Record<string, Record<string, string>>;
              repository: Record<string, string>;
            };
            const scope = job.environment === stack ? variables.environments[stack]! : variables.repository;
            const variable = (expression: string) => {
              const match = /^\$\{\{ vars\.(\w+) \}\}$/.exec(resolve(expression));
              expect(match, expression).to.not.equal(null);
              expect(scope, `vars.${match![1]}`).to.have.property(match![1]!);
              return scope[match![1]!]!;
            };
            const [credentials] = uses(job, "aws-actions/configure-aws-credentials");
            const roleArn = variable(String(credentials?.with?.["role-to-assume"]));
            expect(variable(String(step?.with?.["cloud-url"]))).to.equal(bootstrap.outputs.backendUrl);

            const key = single(bootstrap, "aws:kms/key:Key", `cloudweave-pulumi-secrets-${stack}-key`);
            const users = json<{ Statement: Statement[] }>(key, "policy").Statement.find(
              (statement) => statement.Sid === "NamedPrincipalsUseTheKeyDirectly",
            )?.Condition?.ArnLike?.["aws:PrincipalArn"] as string[];
            expect(users, "the secrets key admits the role the job assumes").to.include(roleArn);
          });
        }
      }
    }
  });

  it("deploy develop to staging then smoke-test it, and main to production behind its environment", () => {
    expect(deploy.on.push?.branches).to.have.members(["develop", "main"]);
    const order: [string, string, string][] = [
      ["staging", "refs/heads/develop", "staging"],
      ["production", "refs/heads/main", "production"],
    ];
    for (const [name, ref, environment] of order) {
      const job = deploy.jobs[name] as Job;
      expect(job.if).to.include(`github.ref == '${ref}'`);
      expect(job.environment).to.equal(environment);
      expect(job.concurrency).to.deep.equal({ group: `deploy-${name}`, "cancel-in-progress": false });
      const [up] = uses(job, "pulumi/actions");
      expect(up?.with).to.deep.include({
        command: "up",
        "stack-name": name,
        policyPacks: "policy-pack",
        policyPackConfigs: `policy-pack/config/${name}.json`,
      });
      expect(
        (job.steps ?? []).some((step) => step.run === "npm test"),
        `${name} tests before deploying`,
      ).to.equal(true);
      const smoke = deploy.jobs[`smoke-${name}`] as Job;
      expect(needsOf(smoke)).to.deep.equal([name]);
      const script = (smoke.steps ?? []).map((step) => step.run ?? "").join("\n");
      // The smoke suite the release hook runs against new tasks, defined once (functions/release-checks/smoke.ts).
      expect(script).to.match(/^npm run smoke -- "\$URL"/m);
      expect(SMOKE_SUITES.site.map((check) => check.path)).to.include.members(["/health", "/api/v1/health", "/"]);
    }
    const production = deploy.jobs.production as Job;
    expect(production.if).to.include("github.ref == 'refs/heads/main'");
    // The standby follows every production deployment, in its own environment, through STS in its own region.
    const standby = deploy.jobs["production-dr"] as Job;
    expect(needsOf(standby)).to.deep.equal(["production"]);
    expect(standby.if).to.include("needs.production.result == 'success'");
    expect(standby.environment).to.equal("production-dr");
    expect(standby.concurrency).to.deep.equal({ group: "deploy-production-dr", "cancel-in-progress": false });
    const [standbyUp] = uses(standby, "pulumi/actions");
    expect(standbyUp?.with).to.deep.include({
      command: "up",
      "stack-name": "production-dr",
      policyPacks: "policy-pack",
      policyPackConfigs: "policy-pack/config/production-dr.json",
    });
    const [standbyCredentials] = uses(standby, "aws-actions/configure-aws-credentials");
    expect(standbyCredentials?.with?.["aws-region"]).to.equal(stackConfig("production-dr").region);
    // Production is never deployed from the branch that deploys staging, nor the other way round.
    expect(Object.values(deploy.jobs).filter((job) => job.environment === "production")).to.have.length(1);
  });

  it("gate production on a ZAP baseline scan, a k6 load test and Lighthouse CI against staging", () => {
    const gates: Record<string, string> = {
      "zap-baseline": "zaproxy/action-baseline",
      "load-test": "grafana/run-k6-action",
      lighthouse: "treosh/lighthouse-ci-action",
    };
    for (const [name, action] of Object.entries(gates)) {
      const job = deploy.jobs[name] as Job;
      expect(needsOf(job), name).to.deep.equal(["smoke-staging"]);
      expect(uses(job, action), name).to.have.length(1);
      expect(job.permissions).to.deep.equal({ contents: "read" });
    }
    const production = deploy.jobs.production as Job;
    expect(needsOf(production)).to.have.members(Object.keys(gates));
    for (const gate of Object.keys(gates)) expect(production.if).to.include(`needs.${gate}.result == 'success'`);
    expect(uses(deploy.jobs["zap-baseline"] as Job, "zaproxy/action-baseline")[0]?.with).to.deep.include({
      fail_action: true,
      target: "${{ env.STAGING_URL }}",
    });
    expect(uses(deploy.jobs["load-test"] as Job, "grafana/run-k6-action")[0]?.env).to.deep.equal({
      BASE_URL: "${{ env.STAGING_URL }}",
    });
    expect(uses(deploy.jobs.lighthouse as Job, "treosh/lighthouse-ci-action")[0]?.with?.urls).to.equal(
      "${{ env.STAGING_URL }}/",
    );
  });

  it("keep the load test's peak under staging's WAF rate limit (it comes from one runner)", () => {
    const k6 = fs.readFileSync(path.join(PROJECT_ROOT, "release-gates", "load", "api.k6.js"), "utf8");
    expect(k6).to.include('timeUnit: "1s"');
    const peakPerSecond = Math.max(...[...k6.matchAll(/target: (\d+)/g)].map((match) => Number(match[1])));
    const stack = parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.staging.yaml"), "utf8")) as {
      config: Record<string, { rateLimitPer5Minutes?: number }>;
    };
    const limit = stack.config["cloudweave:edge"]?.rateLimitPer5Minutes ?? 0;
    expect(peakPerSecond).to.be.greaterThan(0);
    expect(peakPerSecond * 300, "requests in WAF's 5-minute window").to.be.below(limit);
  });

  it("point the gates at staging's domain as its stack file declares it", () => {
    const stack = parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.staging.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const domain = stack.config["cloudweave:domain"] as { name: string };
    expect(deploy.env?.STAGING_URL).to.equal(`https://${domain.name}`);
  });

  it("load-test and Lighthouse with thresholds that fail the run", () => {
    const k6 = fs.readFileSync(path.join(PROJECT_ROOT, "release-gates", "load", "api.k6.js"), "utf8");
    expect(k6).to.match(/http_req_failed: \["rate<0\.01"\]/);
    expect(k6).to.match(/http_req_duration: \["p\(95\)<500"/);
    const lighthouse = JSON.parse(
      fs.readFileSync(path.join(PROJECT_ROOT, "release-gates", "frontend", "lighthouserc.json"), "utf8"),
    ) as { ci: { assert: { assertions: Record<string, [string, unknown]> } } };
    for (const [audit, [level]] of Object.entries(lighthouse.ci.assert.assertions))
      expect(level, audit).to.equal("error");
    const zap = fs.readFileSync(path.join(PROJECT_ROOT, "release-gates", "security", "zap-rules.tsv"), "utf8");
    expect(zap).to.match(/^10035\tFAIL\t/m);
  });
});
