import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import type { StackConfig } from "../config";
import { PROJECT_ROOT, readStackSettings, runStack, type StackRun } from "../offline/harness";
import { checkStack } from "../offline/policies";
import { policies } from "../policy-pack/policies";
import { type SecretValue, type DeclaredResource } from "../offline/mocks";
import { STACKS, byArn, json, ofType, single, stackRun, stackConfig, type Statement } from "./helpers";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe("operations on both stacks", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      let config: StackConfig;
      before(async () => {
        run = await stackRun(stack);
        config = stackConfig(stack);
      });

      const prefix = () => `cloudweave-${stack}`;
      const topic = (severity: "critical" | "warning") =>
        single(run, "aws:sns/topic:Topic", `${prefix()}-alerts-${severity}`);
      const alarm = (suffix: string) => single(run, ALARM, `${prefix()}-ops-${suffix}`);
      /** The region of the explicit provider a resource uses, or "default". */
      const regionOf = (resource: DeclaredResource) => {
        if (!resource.provider) return "default";
        const urn = resource.provider.split("::").slice(0, -1).join("::");
        return String(run.resources.find((candidate) => candidate.urn === urn)?.inputs.region);
      };

      it("alarms on the load balancers' 5xx rate (critical) and p95 latency (warning)", () => {
        for (const lb of ["public", "api"]) {
          const rate = alarm(`${lb}-5xx-rate`);
          expect(rate.inputs).to.include({ threshold: config.alarms.http5xxPercent, evaluationPeriods: 1 });
          expect(rate.inputs.alarmActions).to.deep.equal([topic("critical").outputs.arn]);
          const queries = rate.inputs.metricQueries as {
            id: string;
            expression?: string;
            metric?: { metricName: string; period: number };
          }[];
          expect(queries.filter((q) => q.metric).map((q) => q.metric?.metricName)).to.deep.equal([
            "HTTPCode_ELB_5XX_Count",
            "HTTPCode_Target_5XX_Count",
            "RequestCount",
          ]);
          expect(queries.every((q) => !q.metric || q.metric.period === 300)).to.be.true;
          const latency = alarm(`${lb}-latency-p95`);
          expect(latency.inputs).to.include({
            metricName: "TargetResponseTime",
            extendedStatistic: "p95",
            threshold: config.alarms.targetResponseP95Seconds,
            period: 300,
          });
          expect(latency.inputs.alarmActions).to.deep.equal([topic("warning").outputs.arn]);
        }
      });

      it("alarms per service on unhealthy targets in each target group, CPU, memory and missing tasks", () => {
        for (const service of ["frontend", "backend"]) {
          for (const color of ["blue", "green"]) {
            const unhealthy = alarm(`${service}-${color}-unhealthy`);
            const group = single(run, "aws:lb/targetGroup:TargetGroup", `${prefix()}-${service}-${color}`);
            expect(unhealthy.inputs).to.include({
              metricName: "UnHealthyHostCount",
              threshold: 1,
              evaluationPeriods: 3,
            });
            expect((unhealthy.inputs.dimensions as Record<string, string>).TargetGroup).to.equal(
              group.outputs.arnSuffix,
            );
          }
          expect(alarm(`${service}-cpu`).inputs).to.include({
            namespace: "AWS/ECS",
            metricName: "CPUUtilization",
            threshold: config.alarms.serviceCpuPercent,
          });
          expect(alarm(`${service}-memory`).inputs).to.include({
            metricName: "MemoryUtilization",
            threshold: config.alarms.serviceMemoryPercent,
          });
          const shortfall = alarm(`${service}-task-shortfall`);
          expect(shortfall.inputs).to.include({ threshold: 0, evaluationPeriods: 5, treatMissingData: "breaching" });
          expect(shortfall.inputs.alarmActions).to.deep.equal([topic("critical").outputs.arn]);
        }
      });

      it("alarms on RDS CPU, free storage and connections with the stack's thresholds", () => {
        const identifier = single(run, "aws:rds/instance:Instance").inputs.identifier;
        expect(alarm("database-cpu").inputs).to.include({
          threshold: config.alarms.databaseCpuPercent,
          evaluationPeriods: 3,
        });
        const storage = alarm("database-free-storage");
        expect(storage.inputs).to.include({
          metricName: "FreeStorageSpace",
          comparisonOperator: "LessThanThreshold",
          threshold: config.alarms.databaseFreeStorageGiB * 1024 ** 3,
        });
        expect(storage.inputs.alarmActions).to.deep.equal([topic("critical").outputs.arn]);
        expect(alarm("database-connections").inputs).to.include({ threshold: config.alarms.databaseConnections });
        expect(config.alarms.databaseConnections).to.equal(stack === "production" ? 300 : 60);
        for (const name of ["database-cpu", "database-free-storage", "database-connections"]) {
          expect(alarm(name).inputs.dimensions).to.deep.equal({ DBInstanceIdentifier: identifier });
        }
      });

      it("alarms on every Redis node's engine CPU, memory, evictions and replication lag", () => {
        const nodes = Array.from({ length: config.cache.replicas + 1 }, (_, i) => `${prefix()}-redis-00${i + 1}`);
        for (const node of nodes) {
          for (const [suffix, metric] of [
            ["engine-cpu", "EngineCPUUtilization"],
            ["memory", "DatabaseMemoryUsagePercentage"],
            ["evictions", "Evictions"],
            ["replication-lag", "ReplicationLag"],
          ]) {
            const nodeAlarm = alarm(`${node}-${suffix}`);
            expect(nodeAlarm.inputs).to.include({ namespace: "AWS/ElastiCache", metricName: metric });
            expect(nodeAlarm.inputs.dimensions).to.deep.equal({ CacheClusterId: node });
          }
        }
        expect(alarm(`${nodes[0]}-evictions`).inputs.threshold).to.equal(config.alarms.cacheEvictionsPer5Minutes);
      });

      it("alarms on WAF-blocked request spikes and on backend error logs", () => {
        const waf = alarm("waf-blocked");
        const webAcl = single(run, "aws:wafv2/webAcl:WebAcl");
        expect(waf.inputs).to.include({
          namespace: "AWS/WAFV2",
          metricName: "BlockedRequests",
          threshold: config.alarms.wafBlockedPer5Minutes,
        });
        expect(waf.inputs.dimensions).to.deep.equal({ WebACL: webAcl.outputs.name, Rule: "ALL" });
        const filter = single(run, "aws:cloudwatch/logMetricFilter:LogMetricFilter", `${prefix()}-ops-backend-errors`);
        const backendLogs = single(run, "aws:cloudwatch/logGroup:LogGroup", `${prefix()}-backend-logs`);
        expect(filter.inputs).to.include({ logGroupName: backendLogs.outputs.name, pattern: '{ $.level = "error" }' });
        const errors = alarm("backend-errors");
        expect(errors.inputs).to.include({
          namespace: `CloudWeave/${stack}`,
          metricName: "BackendErrors",
          threshold: config.alarms.backendErrorsPer5Minutes,
        });
      });

      it("sends the deployment-rollback alarms to the warning topic", () => {
        for (const service of ["frontend", "backend"]) {
          for (const suffix of ["target-5xx", "unhealthy-targets"]) {
            const rollback = single(run, ALARM, `${prefix()}-${service}-${suffix}`);
            expect(rollback.inputs.alarmActions).to.deep.equal([topic("warning").outputs.arn]);
          }
        }
      });

      it("every alarm notifies a topic and says its severity", () => {
        const topics = [topic("critical").outputs.arn, topic("warning").outputs.arn];
        const scalingAlarms = /-cpu-(high|low)$/;
        for (const each of ofType(run, ALARM).filter((a) => !scalingAlarms.test(a.name))) {
          const actions = each.inputs.alarmActions as string[];
          expect(actions, each.name).to.have.length(1);
          expect(topics, each.name).to.include(actions[0]);
        }
      });

      it("builds a dashboard with the golden signals of every tier", () => {
        const dashboard = single(run, "aws:cloudwatch/dashboard:Dashboard");
        const body = json<{ widgets: { properties: { title: string; metrics: unknown[][]; region: string } }[] }>(
          dashboard,
          "dashboardBody",
        );
        const titles = body.widgets.map((widget) => widget.properties.title);
        for (const expected of [
          "public: requests and 5xx",
          "api: target response time p95",
          "frontend: CPU and memory",
          "backend: running and desired tasks",
          "PostgreSQL: CPU and connections",
          "Redis: evictions and replication lag",
          "WAF: allowed and blocked requests",
        ]) {
          expect(titles).to.include(expected);
        }
        const waf = body.widgets.find((widget) => widget.properties.title.startsWith("WAF"));
        expect(waf?.properties.region).to.equal("us-east-1");
      });

      it("samples the backend's traces at the stack's rate and groups them", () => {
        const rule = single(run, "aws:xray/samplingRule:SamplingRule");
        expect(rule.inputs).to.include({
          serviceName: `${prefix()}-backend`,
          fixedRate: config.tracing.samplingPercent / 100,
          reservoirSize: 1,
        });
        expect(single(run, "aws:xray/group:Group").inputs.filterExpression).to.equal(`service("${prefix()}-backend")`);
        const definitions = JSON.parse(
          single(run, "aws:ecs/taskDefinition:TaskDefinition", `${prefix()}-backend-task`).inputs
            .containerDefinitions as string,
        ) as { name: string; environment: { name: string; value: string }[] }[];
        expect(definitions[0]?.environment).to.deep.include({
          name: "AWS_XRAY_TRACING_NAME",
          value: `${prefix()}-backend`,
        });
      });

      it("backs the database up continuously and daily into a KMS-encrypted vault", () => {
        const vault = single(run, "aws:backup/vault:Vault", `${prefix()}-backup-vault`);
        expect(vault.inputs.kmsKeyArn).to.equal(
          single(run, "aws:kms/key:Key", `${prefix()}-backup-vault-key`).outputs.arn,
        );
        const plan = single(run, "aws:backup/plan:Plan");
        const rules = plan.inputs.rules as {
          ruleName: string;
          enableContinuousBackup?: boolean;
          schedule: string;
          lifecycle: { deleteAfter: number };
          copyActions?: { destinationVaultArn: string; lifecycle: { deleteAfter: number } }[];
          targetVaultName: string;
        }[];
        const pitr = rules.find((rule) => rule.ruleName === "point-in-time");
        expect(pitr).to.deep.include({
          enableContinuousBackup: true,
          lifecycle: { deleteAfter: config.backup.pointInTimeRetentionDays },
        });
        const daily = rules.find((rule) => rule.ruleName === "daily");
        expect(daily?.lifecycle).to.deep.equal({ deleteAfter: config.backup.dailyRetentionDays });
        for (const rule of rules) expect(rule.targetVaultName).to.equal(vault.outputs.name);
        const selection = single(run, "aws:backup/selection:Selection");
        expect(selection.inputs.resources).to.deep.equal([single(run, "aws:rds/instance:Instance").outputs.arn]);
        expect(selection.inputs.planId).to.equal(plan.id);
        const role = byArn(run, selection.inputs.iamRoleArn);
        expect(json<{ Statement: Statement[] }>(role, "assumeRolePolicy").Statement[0]?.Principal).to.deep.equal({
          Service: "backup.amazonaws.com",
        });
        const attached = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
          .filter((attachment) => attachment.inputs.role === role.outputs.name)
          .map((attachment) => attachment.inputs.policyArn);
        expect(attached).to.have.members([
          "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
          "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        ]);
      });

      if (stack === "production") {
        it("copies daily backups to a locked vault in the second region and replicates automated backups there", () => {
          const drVault = single(run, "aws:backup/vault:Vault", `${prefix()}-backup-dr-vault`);
          expect(regionOf(drVault)).to.equal("us-west-2");
          const daily = (
            single(run, "aws:backup/plan:Plan").inputs.rules as { ruleName: string; copyActions: unknown[] }[]
          ).find((rule) => rule.ruleName === "daily");
          expect(daily?.copyActions).to.deep.equal([
            { destinationVaultArn: drVault.outputs.arn, lifecycle: { deleteAfter: config.backup.copyRetentionDays } },
          ]);
          const drKey = single(run, "aws:kms/key:Key", `${prefix()}-backup-dr-key`);
          expect(regionOf(drKey)).to.equal("us-west-2");
          expect(drVault.inputs.kmsKeyArn).to.equal(drKey.outputs.arn);
          const replication = single(
            run,
            "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
          );
          expect(regionOf(replication)).to.equal("us-west-2");
          expect(replication.inputs).to.deep.include({
            sourceDbInstanceArn: single(run, "aws:rds/instance:Instance").outputs.arn,
            kmsKeyId: drKey.outputs.arn,
            retentionPeriod: config.database.backupRetention,
          });
          const locks = ofType(run, "aws:backup/vaultLockConfiguration:VaultLockConfiguration");
          expect(locks.map((lock) => lock.inputs.backupVaultName).sort()).to.deep.equal(
            [
              single(run, "aws:backup/vault:Vault", `${prefix()}-backup-vault`).outputs.name,
              drVault.outputs.name,
            ].sort(),
          );
          for (const lock of locks) expect(lock.inputs.changeableForDays).to.equal(3);
          expect(drVault.protect && drKey.protect).to.equal(true);
        });
      } else {
        it("spends nothing on cross-region recovery in staging: no copies, replication, second-region key or lock", () => {
          for (const type of [
            "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
            "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
          ]) {
            expect(ofType(run, type), type).to.deep.equal([]);
          }
          expect(ofType(run, "aws:backup/vault:Vault")).to.have.length(1);
          expect(
            run.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => r.inputs.region),
          ).to.deep.equal(["us-east-1"]);
          expect(config.backup.pointInTimeRetentionDays).to.be.lessThan(14);
          expect(config.tracing.samplingPercent).to.equal(100);
        });
      }

      it("restore-tests the newest recovery point on a schedule, in the database subnets, and alarms on the result", () => {
        const testing = single(run, "aws:backup/restoreTestingPlan:RestoreTestingPlan");
        expect(String(testing.inputs.scheduleExpression)).to.match(
          config.backup.restoreTests === "daily" ? /^cron\(\d+ \d+ \* \* \? \*\)$/ : /^cron\(\d+ \d+ \? \* MON \*\)$/,
        );
        expect(config.backup.restoreTests).to.equal(stack === "production" ? "daily" : "weekly");
        const selection = single(run, "aws:backup/restoreTestingSelection:RestoreTestingSelection");
        expect(selection.inputs).to.deep.include({
          restoreTestingPlanName: testing.outputs.name,
          protectedResourceType: "RDS",
          protectedResourceArns: [single(run, "aws:rds/instance:Instance").outputs.arn],
        });
        const overrides = selection.inputs.restoreMetadataOverrides as Record<string, string>;
        const groups = run.outputs.securityGroupIds as Record<string, string>;
        expect(JSON.parse(overrides.vpcSecurityGroupIds as string)).to.deep.equal([groups.database]);
        expect(overrides).to.include({ publiclyAccessible: "false", multiAZ: "false" });
        const missing = ofType(run, ALARM).filter((a) => a.name.endsWith("-restore-test-missing"));
        expect(missing, "a missing-restore alarm where restore tests are daily").to.have.length(
          stack === "production" ? 1 : 0,
        );
      });
    });
  }
});

describe("the restore runbook", () => {
  const RUNBOOK = path.join(PROJECT_ROOT, "docs", "runbook-restore.md");
  const VARIABLES: Record<string, string> = {
    AUTOMATED_BACKUPS_ARN: "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-abcdefghijklmnopqrstuvwxyz",
    ORIGIN_VERIFY_REPLICA_ARN:
      "arn:aws:secretsmanager:us-west-2:123456789012:secret:cloudweave-production-edge-origin-verify-secret-AbCdEf",
  };

  /** The production stack file changed by the runbook's `pulumi config set --stack production-dr` commands. */
  function recoverySettings(): Record<string, unknown> {
    const settings = structuredClone(readStackSettings("production"));
    const commands = fs
      .readFileSync(RUNBOOK, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("pulumi config set --stack production-dr "));
    expect(commands.length).to.be.greaterThan(5);
    for (const command of commands) {
      const words = [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
      const args = words.slice(5).filter((word) => word !== "--path");
      const [key = "", raw = ""] = args;
      const text = raw.replace(/^\$(\w+)$/, (_, name: string) => VARIABLES[name] ?? `unset ${name}`);
      // `pulumi config set --path` stores true/false and integers as such.
      const value: unknown = /^(true|false)$/.test(text) ? text === "true" : /^\d+$/.test(text) ? Number(text) : text;
      if (!words.includes("--path")) {
        settings[key] = value;
        continue;
      }
      const [top = "", ...rest] = key.split(".");
      const segments = [top, ...rest].flatMap((segment) => segment.split(/\[(\d+)\]/).filter(Boolean));
      let target = settings;
      for (const [index, segment] of segments.slice(0, -1).entries()) {
        const next = segments[index + 1] ?? "";
        target[segment] ??= /^\d+$/.test(next) ? [] : {};
        target = target[segment] as Record<string, unknown>;
      }
      target[segments[segments.length - 1] ?? ""] = value;
    }
    return settings;
  }

  it("configures a recovery stack that plans in us-west-2 with nothing in us-east-1", async () => {
    const run = await runStack("production", { configOverrides: recoverySettings() });
    const instance = single(run, "aws:rds/instance:Instance");
    expect(instance.inputs.restoreToPointInTime).to.deep.equal({
      sourceDbInstanceAutomatedBackupsArn: VARIABLES.AUTOMATED_BACKUPS_ARN,
      useLatestRestorableTime: true,
    });
    expect(instance.inputs.dbName).to.equal(undefined);
    expect(instance.inputs.multiAz).to.equal(true);
    expect(String(instance.outputs.arn)).to.include(":us-west-2:");
    for (const type of [
      "cloudweave:edge:Edge",
      "aws:cloudfront/distribution:Distribution",
      "aws:wafv2/webAcl:WebAcl",
    ]) {
      expect(ofType(run, type), type).to.deep.equal([]);
    }
    const regions = run.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => r.inputs.region);
    expect(regions, "no resource in the failed region").to.not.include("us-east-1");
    // The cutover: the public load balancer takes over production's origin name; the internal API's name lives in
    // the recovery stack's own private zone.
    const aliases = ofType(run, "aws:route53/record:Record").filter((record) => record.inputs.type === "A");
    expect(aliases.map((record) => [record.inputs.name, record.inputs.allowOverwrite])).to.have.deep.members([
      ["origin.app.cloudweave.io", true],
      ["api.internal.app.cloudweave.io", false],
    ]);
    // Production's CloudFront sends the header whose value the replica holds.
    const rules = ofType(run, "aws:lb/listenerRule:ListenerRule").filter((rule) => rule.name.includes("frontend"));
    for (const rule of rules) {
      expect(JSON.stringify((rule.inputs.conditions as SecretValue).value ?? rule.inputs.conditions)).to.include(
        "X-Origin-Verify",
      );
    }
    const report = await checkStack(run, policies);
    expect(report.violations.filter((violation) => violation.level === "mandatory")).to.deep.equal([]);
  });

  it("names every step's time and the total stays within the 4-hour RTO", () => {
    const headings = fs
      .readFileSync(RUNBOOK, "utf8")
      .split("\n")
      .map((line) => /^## (\d):(\d\d) — .*\((\d+)(?:–(\d+))? min/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null);
    expect(headings.length).to.be.at.least(5);
    const finishes = headings.map((match) => Number(match[1]) * 60 + Number(match[2]) + Number(match[4] ?? match[3]));
    expect(Math.max(...finishes), "minutes until the last step ends").to.be.at.most(240);
  });
});
