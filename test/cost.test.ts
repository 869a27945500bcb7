import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { parseDocument } from "yaml";
import { estimateCost, loadPrices, renderCost, type CostReport } from "../offline/cost/estimate";
import { COST_MODELS, FREE_TYPES, HOURS_PER_MONTH, USAGE_NOT_ESTIMATED } from "../offline/cost/models";
import { priceDefinition } from "../offline/cost/price-list";
import { PROJECT_ROOT, runStack, stackNames } from "../offline/harness";
import type { DeclaredResource } from "../offline/mocks";
import { plan as runPlan, type PlanOptions } from "../offline/plan";
import { GAME_DAY_STACKS, STACKS, ofType, prefixOf, sharedRun, single, stackConfig, stackRun } from "./helpers";

const prices = loadPrices();
/** A price of the committed snapshot, in dollars per unit. */
const price = (region: string, key: string) => {
  const entry = prices.get(region)?.prices[key];
  if (!entry) throw new Error(`no ${key} in ${region}'s snapshot`);
  return entry.usd;
};
const ALL_STACKS = [...STACKS, ...GAME_DAY_STACKS];

/** The plan, sharing the stack files' runs with the other tests. */
function plan(argv: readonly string[], options: PlanOptions = {}) {
  return runPlan(argv, { run: sharedRun, ...options });
}

/** The monthly cost of one resource's lines. */
function costOf(report: CostReport, resource: DeclaredResource): number {
  return report.lines
    .filter((line) => line.resource === resource.name && line.type === resource.type)
    .reduce((sum, line) => sum + line.monthly, 0);
}

describe("the monthly cost estimate (npm run plan -- --cost)", () => {
  for (const stack of ALL_STACKS) {
    describe(stack, () => {
      it("prices every resource it can and lists the rest, within the stack's budget's forecast threshold", async () => {
        const run = await stackRun(stack);
        const report = estimateCost(run, prices);
        expect(report.unpriced, "every price the stack needs is in its region's snapshot").to.deep.equal([]);
        expect(report.total).to.be.closeTo(
          report.lines.reduce((sum, line) => sum + line.monthly, 0),
          1e-9,
        );
        // A stack file that outgrows its budget would alert every month: raise the budget with the change.
        const budget = stackConfig(stack).cost.monthlyBudgetUsd;
        expect(report.total, `estimate against ${budget} USD`).to.be.below(0.8 * budget);
        // Every type the stack declares is priced, free, or charged by use with its reason: none goes unnoticed.
        for (const type of new Set(run.resources.filter((r) => r.custom).map((r) => r.type))) {
          const homes = [type in COST_MODELS, type in FREE_TYPES, type in USAGE_NOT_ESTIMATED].filter(Boolean);
          expect(homes, `${type} is in exactly one cost table`).to.have.length(1);
        }
      });
    });
  }

  it("charges production's hourly resources from what the program declares", async () => {
    const run = await stackRun("production");
    const report = estimateCost(run, prices);
    const config = stackConfig("production");
    const region = config.region;
    const prefix = prefixOf("production");

    // One NAT gateway per zone, each with its public address, and its share of the assumed traffic.
    const nats = ofType(run, "aws:ec2/natGateway:NatGateway");
    expect(nats).to.have.length(config.vpc.availabilityZones.length);
    const natTotal = nats.reduce((sum, nat) => sum + costOf(report, nat), 0);
    expect(natTotal).to.be.closeTo(
      nats.length * HOURS_PER_MONTH * price(region, "nat-gateway-hour") +
        config.cost.usage.natDataProcessedGb * price(region, "nat-gateway-gb"),
      1e-6,
    );

    // Fargate: vCPU and GB of the task definition, for the desired count and for the scaling maximum.
    const { frontend } = config.compute;
    const perTask =
      HOURS_PER_MONTH *
      ((frontend.cpu / 1024) * price(region, "fargate-x86-vcpu-hour") +
        (frontend.memory / 1024) * price(region, "fargate-x86-gb-hour"));
    const service = ofType(run, "aws:ecs/service:Service").find((s) => s.name.endsWith("frontend-service"))!;
    const lines = report.lines.filter((line) => line.resource === service.name);
    expect(lines.reduce((sum, line) => sum + line.monthly, 0)).to.be.closeTo(frontend.desiredCount * perTask, 1e-6);
    expect(lines.reduce((sum, line) => sum + line.monthlyAtMax, 0)).to.be.closeTo(frontend.maxCount * perTask, 1e-6);

    // RDS: the class at its Multi-AZ rate, and the storage twice over.
    const database = single(run, "aws:rds/instance:Instance");
    expect(costOf(report, database)).to.be.closeTo(
      HOURS_PER_MONTH * price(region, `rds-instance-hour/postgres/${config.database.instanceClass}/Multi-AZ`) +
        config.database.allocatedStorage * price(region, "rds-storage-gb-month/gp3/Multi-AZ"),
      1e-6,
    );
    // The cache: every node of the replication group.
    const cache = single(run, "aws:elasticache/replicationGroup:ReplicationGroup");
    expect(costOf(report, cache)).to.be.closeTo(
      (config.cache.replicas + 1) *
        HOURS_PER_MONTH *
        price(region, `elasticache-node-hour/redis/${config.cache.nodeType}`),
      1e-6,
    );
    // The internet-facing load balancer pays for a public address per subnet; the internal one does not.
    const publicAlb = single(run, "aws:lb/loadBalancer:LoadBalancer", `${prefix}-public-alb`);
    const apiAlb = single(run, "aws:lb/loadBalancer:LoadBalancer", `${prefix}-api-alb`);
    expect(costOf(report, publicAlb) - costOf(report, apiAlb)).to.be.closeTo(
      config.vpc.subnets.public.length * HOURS_PER_MONTH * price(region, "public-ipv4-hour"),
      1e-6,
    );
    // Keys in the second region are priced there: each replica key is a key.
    const replicaKeys = ofType(run, "aws:kms/replicaKey:ReplicaKey");
    expect(replicaKeys.map((key) => key.region)).to.include(config.backup.drRegion);
    for (const key of replicaKeys) expect(costOf(report, key)).to.equal(price(key.region, "kms-key-month"));
    // Alarms: one charged metric each, a metric-math alarm one per metric it reads.
    const mathAlarm = ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").find(
      (alarm) => ((alarm.inputs.metricQueries ?? []) as unknown[]).length > 0,
    )!;
    const metrics = (mathAlarm.inputs.metricQueries as { metric?: unknown }[]).filter((q) => q.metric).length;
    expect(metrics).to.be.greaterThan(1);
    expect(costOf(report, mathAlarm)).to.be.closeTo(metrics * price(region, "alarm-metric-month"), 1e-9);
  });

  it("shows usage as assumptions, and says when an assumption prices nothing", async () => {
    const production = estimateCost(await stackRun("production"), prices);
    const assumed = production.lines.filter((line) => typeof line.basis === "object");
    expect(assumed.length).to.be.greaterThan(0);
    for (const assumption of production.assumptions) {
      expect(assumption.applied, assumption.name).to.equal(true);
      const carried = assumed.filter(
        (line) => typeof line.basis === "object" && line.basis.assumption === assumption.name,
      );
      expect(assumption.monthly).to.be.closeTo(
        carried.reduce((sum, line) => sum + line.monthly, 0),
        1e-9,
      );
    }
    const cdn = production.assumptions.find((assumption) => assumption.name === "cdnDataTransferOutGb")!;
    expect(cdn.monthly).to.be.closeTo(cdn.value * price("us-east-1", "cloudfront-data-out-gb"), 1e-9);
    const text = renderCost(production);
    expect(text).to.match(/^\* Usage assumed per month \(cloudweave:cost\.usage in Pulumi\.production\.yaml\):$/m);
    expect(text).to.match(/^ {2}cdnDataTransferOutGb +1000 {2}→ \$85\.00$/m);

    // A standby has no CloudFront: its CDN assumptions are stated, and the estimate says they price nothing.
    const standby = estimateCost(await stackRun("production-dr"), prices);
    expect(standby.assumptions.find((assumption) => assumption.name === "cdnRequestsMillions")?.applied).to.equal(
      false,
    );
    expect(renderCost(standby)).to.include(
      "prices nothing: the stack declares no aws:cloudfront/distribution:Distribution",
    );
  });

  it("lists a resource type it has no model for, and a price missing from the snapshot, instead of counting $0", async () => {
    // Staging with one more resource, of a type the estimate has no model for (as a new component would add).
    const staging = await stackRun("staging");
    const key = single(staging, "aws:kms/key:Key", `${prefixOf("staging")}-logs-key`);
    const run = {
      ...staging,
      resources: [
        ...staging.resources,
        { ...key, type: "aws:sqs/queue:Queue", name: "cloudweave-staging-jobs", urn: `${key.urn}-jobs`, inputs: {} },
      ],
    };
    const report = estimateCost(run, prices);
    expect(report.unpriced).to.deep.equal([
      { type: "aws:sqs/queue:Queue", resource: "cloudweave-staging-jobs", reason: "no cost model for this type" },
    ]);
    expect(report.total).to.equal(estimateCost(staging, prices).total);
    expect(renderCost(report)).to.match(
      /^Unpriced \(no cost model or no price: left out of the total\):\n {2}aws:sqs\/queue:Queue {2}cloudweave-staging-jobs: no cost model for this type$/m,
    );

    // An instance class the snapshot has no price for is unpriced with what to run, not charged as nothing.
    const database = JSON.parse((await stackRun("production")).config["cloudweave:database"] ?? "{}") as object;
    const larger = await runStack("production", {
      configOverrides: { "cloudweave:database": { ...database, instanceClass: "db.r6g.large" } },
    });
    const unpriced = estimateCost(larger, prices).unpriced;
    expect(unpriced).to.have.length(1);
    expect(unpriced[0]?.reason).to.equal(
      'db.r6g.large Multi-AZ: no price "rds-instance-hour/postgres/db.r6g.large/Multi-AZ" in offline/cost/prices/us-east-1.json (npm run prices:refresh adds it)',
    );
  });

  it("keeps a snapshot per region, each price with its date, where it came from and the Price List query that finds it", () => {
    expect([...prices.keys()].sort()).to.deep.equal(["us-east-1", "us-west-2"]);
    const keys = (region: string) => Object.keys(prices.get(region)?.prices ?? {}).sort();
    expect(keys("us-west-2")).to.deep.equal(keys("us-east-1"));
    for (const [region, snapshot] of prices) {
      expect(snapshot.currency).to.equal("USD");
      for (const [key, entry] of Object.entries(snapshot.prices)) {
        expect(entry.usd, `${region} ${key}`).to.be.greaterThan(0);
        expect(entry.recorded, `${region} ${key}`).to.match(/^\d{4}-\d{2}-\d{2}$/);
        expect(entry.from, `${region} ${key}`).to.match(/^(price-list-api|pricing page https:\/\/\S+)$/);
        // The query recorded is the one the refresh runs today.
        const definition = priceDefinition(key);
        expect(definition, key).to.not.equal(undefined);
        const { regionCode, ...query } = entry.query;
        expect(query, `${region} ${key}`).to.deep.equal(definition?.query);
        expect(regionCode, `${region} ${key}`).to.equal(definition?.query.global ? undefined : region);
      }
    }
  });

  describe("npm run plan -- --cost", () => {
    it("prints the estimate per component and per type, and as JSON", async () => {
      const { code, stdout } = await plan(["--stack", "production", "--cost"]);
      expect(code).to.equal(0);
      expect(stdout).to.equal(renderCost(estimateCost(await stackRun("production"), prices)));
      expect(stdout).to.match(/^Estimated monthly cost of stack "production": \$[\d,]+\.\d\d /);
      expect(stdout).to.match(/^By component +declared +usage\* +monthly +at max tasks$/m);
      expect(stdout).to.match(/^By resource type +count +monthly$/m);
      expect(stdout).to.match(
        /^Budget: \$1,000\.00 a month \(cloudweave:cost\.monthlyBudgetUsd\); the estimate is \d+ % of it, below the 80 % forecast alert\.$/m,
      );
      const json = await plan(["--stack", "staging", "--cost", "--json"]);
      const report = JSON.parse(json.stdout) as CostReport;
      expect(report.stack).to.equal("staging");
      expect(report.total).to.be.greaterThan(0);
    });

    it("refuses --base without --cost, and a ref that names no commit", async () => {
      const alone = await plan(["--stack", "production", "--base", "main"]);
      expect(alone.code).to.equal(2);
      expect(alone.stderr).to.match(/^--base needs --cost/);
      const unknown = await plan(["--stack", "production", "--cost", "--base", "no-such-ref-anywhere"]);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.match(/^--base no-such-ref-anywhere: not a commit of this repository/);
    });

    it("--base: prices the same stack at another revision and shows what the change costs", async function () {
      this.timeout(60_000);
      // A repository whose only commit is this working tree with production's backend at one more task: compared
      // with it, the working tree costs exactly one backend task less.
      const repo = fs.mkdtempSync(path.join(os.tmpdir(), "cloudweave-base-repo-"));
      try {
        const files = execFileSync(
          "git",
          ["-C", PROJECT_ROOT, "ls-files", "--cached", "--others", "--exclude-standard"],
          {
            encoding: "utf8",
          },
        )
          .split("\n")
          .filter((file) => file && fs.existsSync(path.join(PROJECT_ROOT, file)));
        for (const file of files) {
          fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
          fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(repo, file));
        }
        const stackFile = path.join(repo, "Pulumi.production.yaml");
        const document = parseDocument(fs.readFileSync(stackFile, "utf8"));
        const backend = stackConfig("production").compute.backend;
        document.setIn(["config", "cloudweave:compute", "backend", "desiredCount"], backend.desiredCount + 1);
        fs.writeFileSync(stackFile, document.toString());
        const git = (...args: string[]) =>
          execFileSync("git", ["-C", repo, "-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args]);
        git("init", "-q");
        git("add", "-A");
        git("commit", "-q", "-m", "one more backend task");

        const revisions = () => fs.readdirSync(os.tmpdir()).filter((name) => /^cloudweave-base-(?!repo-)/.test(name));
        const before = revisions();
        const { code, stdout, stderr } = await plan(["--stack", "production", "--cost", "--base", "HEAD"], {
          repoDir: repo,
        });
        expect(stderr).to.equal("");
        expect(code).to.equal(0);
        const task =
          HOURS_PER_MONTH *
          ((backend.cpu / 1024) * price("us-east-1", "fargate-x86-vcpu-hour") +
            (backend.memory / 1024) * price("us-east-1", "fargate-x86-gb-hour"));
        const now = estimateCost(await stackRun("production"), prices).total;
        const money = (amount: number) =>
          `$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
        expect(stdout.split("\n")[0]).to.match(
          new RegExp(
            `^Monthly cost of stack "production": \\${money(now + task)} at HEAD \\([0-9a-f]{12}\\) → \\${money(now)} now, -\\${money(task)}`,
          ),
        );
        expect(stdout).to.match(
          /^By component:\n {2}cloudweave-production-backend +\$[\d,.]+ → +\$[\d,.]+ {2}-\$[\d,.]+$/m,
        );
        expect(stdout).to.match(/^By resource type:\n {2}aws:ecs\/service:Service /m);
        // The checked-out revision is removed afterwards.
        expect(revisions()).to.deep.equal(before);
      } finally {
        fs.rmSync(repo, { recursive: true, force: true });
      }
    });
  });

  describe("npm run plan: the other views", () => {
    it("--diagram and --diff print the diagram and the comparison; --diff refuses unknown stacks", async () => {
      const diagram = await plan(["--stack", "staging", "--diagram"]);
      expect(diagram.code).to.equal(0);
      expect(diagram.stdout).to.match(/^flowchart LR\n/);
      const diff = await plan(["--diff", "staging", "production"]);
      expect(diff.code).to.equal(0);
      expect(diff.stdout).to.match(/^How stack "staging" differs from "production"/);
      const unknown = await plan(["--diff", "staging", "nowhere"]);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.include(`unknown stack "nowhere" (stacks: ${stackNames().join(", ")})`);
      const one = await plan(["--diff", "staging"]);
      expect(one.code).to.equal(2);
      expect(one.stderr).to.match(/^--diff takes two stack names/);
    });
  });
});
