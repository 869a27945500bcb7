import { expect } from "chai";
import type { StackConfig } from "../config";
import { type StackRun } from "../offline/harness";
import { type DeclaredResource } from "../offline/mocks";
import {
  STACKS,
  prefixOf,
  isIdleStandby,
  isProduction,
  hasEdge,
  byArn,
  json,
  ofType,
  single,
  stackRun,
  stackConfig,
  type Statement,
} from "./helpers";

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

      const prefix = () => `${prefixOf(stack)}`;
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
          // An idle standby's services run no tasks on purpose: no data there is not a shortfall.
          expect(shortfall.inputs).to.include({
            threshold: 0,
            evaluationPeriods: 5,
            treatMissingData: isIdleStandby(stack) ? "notBreaching" : "breaching",
          });
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
        expect(config.alarms.databaseConnections).to.equal(isProduction(stack) ? 300 : 60);
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

      it("alarms on WAF-blocked request spikes (where the stack has a WAF) and on backend error logs", () => {
        const webAcls = ofType(run, "aws:wafv2/webAcl:WebAcl");
        expect(webAcls, "a WAF on every stack with an edge").to.have.length(hasEdge(stack) ? 1 : 0);
        for (const webAcl of webAcls) {
          const waf = alarm("waf-blocked");
          expect(waf.inputs).to.include({
            namespace: "AWS/WAFV2",
            metricName: "BlockedRequests",
            threshold: config.alarms.wafBlockedPer5Minutes,
          });
          expect(waf.inputs.dimensions).to.deep.equal({ WebACL: webAcl.outputs.name, Rule: "ALL" });
        }
        const filter = single(run, "aws:cloudwatch/logMetricFilter:LogMetricFilter", `${prefix()}-ops-backend-errors`);
        const backendLogs = single(run, "aws:cloudwatch/logGroup:LogGroup", `${prefix()}-backend-logs`);
        expect(filter.inputs).to.include({ logGroupName: backendLogs.outputs.name, pattern: '{ $.level = "error" }' });
        const errors = alarm("backend-errors");
        expect(errors.inputs).to.include({
          namespace: `CloudWeave/${config.environment}`,
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
        // A switch Route 53 reads (the failover pair's, ADR 24) notifies nobody: it lives in the standby's region.
        const switches = new Set(
          ofType(run, "aws:route53/healthCheck:HealthCheck").map((check) => check.inputs.cloudwatchAlarmName),
        );
        for (const each of ofType(run, ALARM).filter(
          (a) => !scalingAlarms.test(a.name) && !switches.has(a.outputs.name),
        )) {
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
          ...(hasEdge(stack) ? ["WAF: allowed and blocked requests"] : []),
        ]) {
          expect(titles).to.include(expected);
        }
        const waf = body.widgets.find((widget) => widget.properties.title.startsWith("WAF"));
        if (hasEdge(stack)) expect(waf?.properties.region).to.equal("us-east-1");
        else expect(waf).to.equal(undefined);
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
        // A standby's read replica is backed up once promoted: until then the primary's backups hold its data.
        if (isIdleStandby(stack)) {
          expect(ofType(run, "aws:backup/selection:Selection")).to.deep.equal([]);
          return;
        }
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

      if (stackConfig(stack).backup.copyRetentionDays > 0) {
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
      } else if (!isProduction(stack)) {
        it("spends nothing on cross-region backups in staging: no copies, replication, second-region vault or lock", () => {
          for (const type of [
            "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
            "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
          ]) {
            expect(ofType(run, type), type).to.deep.equal([]);
          }
          expect(ofType(run, "aws:backup/vault:Vault")).to.have.length(1);
          // In the second region only what its game-day standby needs: the keys' replicas, the replicated images'
          // repositories, the failover switch.
          const elsewhere = run.resources.filter((r) => r.custom && r.region !== config.region);
          expect([...new Set(elsewhere.map((r) => r.type))].sort()).to.deep.equal([
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
            "aws:ecr/repository:Repository",
            "aws:kms/alias:Alias",
            "aws:kms/replicaKey:ReplicaKey",
            "pulumi:providers:aws",
          ]);
          expect(config.backup.pointInTimeRetentionDays).to.be.lessThan(14);
          expect(config.tracing.samplingPercent).to.equal(100);
        });
      }

      it("restore-tests the newest recovery point on a schedule, in the database subnets, and alarms on the result", () => {
        const testing = single(run, "aws:backup/restoreTestingPlan:RestoreTestingPlan");
        expect(String(testing.inputs.scheduleExpression)).to.match(
          config.backup.restoreTests === "daily" ? /^cron\(\d+ \d+ \* \* \? \*\)$/ : /^cron\(\d+ \d+ \? \* MON \*\)$/,
        );
        expect(config.backup.restoreTests).to.equal(isProduction(stack) ? "daily" : "weekly");
        const missing = ofType(run, ALARM).filter((a) => a.name.endsWith("-restore-test-missing"));
        expect(missing, "a missing-restore alarm where restore tests are daily").to.have.length(
          isProduction(stack) ? 1 : 0,
        );
        if (isIdleStandby(stack)) {
          expect(ofType(run, "aws:backup/restoreTestingSelection:RestoreTestingSelection")).to.deep.equal([]);
          return;
        }
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
      });
    });
  }
});
