import { expect } from "chai";
import { diffStacks, renderStackDiff, type StackDiff } from "../offline/stack-diff";
import { stackConfig, stackRun } from "./helpers";

/** Every setting difference, as "<resource> <setting>: <a> → <b>". */
function settings(diff: StackDiff): string[] {
  return diff.components.flatMap((component) =>
    component.settings.map(
      (difference) =>
        `${difference.resource} ${difference.setting}: ${JSON.stringify(difference.a)} → ${JSON.stringify(difference.b)}`,
    ),
  );
}

/** Every resource only one side declares, as "<side> <type> <name>". */
function onlyOne(diff: StackDiff): string[] {
  return diff.components.flatMap((component) => [
    ...component.onlyA.map((resource) => `${diff.a} ${resource.type} ${resource.name}`),
    ...component.onlyB.map((resource) => `${diff.b} ${resource.type} ${resource.name}`),
  ]);
}

describe("npm run plan -- --diff: how two stacks differ", () => {
  it("finds nothing between a stack and itself", async () => {
    const run = await stackRun("production");
    const diff = diffStacks(run, run);
    expect(diff.components).to.deep.equal([]);
    // Every resource but the stack itself is matched.
    expect(diff.shared).to.equal(run.resources.length - 1);
  });

  it("reports exactly the setting a change makes, and nothing that differs only by name", async () => {
    const production = await stackRun("production");
    const cache = JSON.parse(production.config["cloudweave:cache"] ?? "{}") as Record<string, unknown>;
    const changed = await stackRun("production", { "cloudweave:cache": { ...cache, snapshotRetention: 1 } });
    const diff = diffStacks(changed, production);
    expect(onlyOne(diff)).to.deep.equal([]);
    expect(settings(diff)).to.deep.equal([
      `cloudweave-<env>-redis-redis snapshotRetentionLimit: 1 → ${String(cache.snapshotRetention)}`,
    ]);
  });

  it("shows how production-like staging is: what only production has, and the sizes, retention and protection that differ", async () => {
    const [staging, production] = [await stackRun("staging"), await stackRun("production")];
    const diff = diffStacks(staging, production);
    const [small, large] = [stackConfig("staging"), stackConfig("production")];
    const found = settings(diff);
    expect(found).to.include(
      `cloudweave-<env>-postgres-instance instanceClass: "${small.database.instanceClass}" → "${large.database.instanceClass}"`,
    );
    expect(found).to.include("cloudweave-<env>-postgres-instance multiAz: false → true");
    expect(found).to.include("cloudweave-<env>-postgres-instance protect: false → true");
    expect(found).to.include(
      `cloudweave-<env>-backend-task cpu: "${small.compute.backend.cpu}" → "${large.compute.backend.cpu}"`,
    );
    expect(found).to.include(
      `cloudweave-<env>-backend-scaling maxCapacity: ${small.compute.backend.maxCount} → ${large.compute.backend.maxCount}`,
    );
    expect(found).to.include(
      `cloudweave-<env>-flow-logs retentionInDays: ${small.vpc.flowLogs.retentionInDays} → ${large.vpc.flowLogs.retentionInDays}`,
    );
    // One NAT gateway against one per zone: production's other two, with their addresses, are production's alone.
    const only = onlyOne(diff);
    expect(only.filter((line) => line.includes("aws:ec2/natGateway:NatGateway"))).to.have.length(2);
    expect(only.every((line) => line.startsWith("staging ") || line.startsWith("production "))).to.equal(true);
    expect(diff.shared).to.be.greaterThan(0.9 * diff.resourcesB);

    const text = renderStackDiff(diff);
    expect(text).to.match(
      /^How stack "staging" differs from "production": staging declares \d+ of production's \d+ resources/,
    );
    expect(text).to.include("only in production: aws:ec2/natGateway:NatGateway ×2");
  });

  it("matches a standby's resources across regions, so only what a pilot light leaves out differs", async () => {
    const diff = diffStacks(await stackRun("production-dr"), await stackRun("production"));
    const only = onlyOne(diff);
    // Same NAT gateways, subnets and security groups, in us-west-2's zones.
    expect(only.filter((line) => /aws:ec2\/(natGateway|subnet|securityGroup):/.test(line))).to.deep.equal([]);
    // What the standby does not run: CloudFront and the cache cluster are production's alone.
    expect(only).to.include("production aws:cloudfront/distribution:Distribution cloudweave-production-edge-cdn");
    expect(
      only.some((line) => line.startsWith("production aws:elasticache/replicationGroup:ReplicationGroup")),
    ).to.equal(true);
    expect(settings(diff)).to.include("cloudweave-<env>-frontend-service desiredCount: 0 → 2");
  });
});
