import { expect } from "chai";
import { AWS_NAME_RULES } from "../components/lib/aws-names";
import { readStackSettings, runStack, type StackRun } from "../offline/harness";
import type { DeclaredResource } from "../offline/mocks";
import { checkStack } from "../offline/policies";
import { policies } from "../policy-pack/policies";
import { RECOVERY_PAIRS, ofType, recoveredSettings, single, stackConfig, stackRun } from "./helpers";
import { alarmState, failoverAnswer, healthCheckHealthy } from "./support/dns-failover";
import { diffRuns } from "./support/run-diff";

/**
 * Services whose control plane lives in us-east-1 or is global (IAM, Route 53, ACM certificates for CloudFront,
 * CloudFront itself): a recovery must not need them (AWS, "Static stability using Availability Zones" and the
 * Route 53 / IAM control- and data-plane split in https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html).
 */
const GLOBAL_CONTROL_PLANES = ["iam", "route53", "acm", "cloudfront", "wafv2", "organizations"];
const serviceOf = (token: string) => token.split(":")[1]?.split("/")[0] ?? "";

for (const { primary: PRIMARY, standby: STANDBY } of RECOVERY_PAIRS)
  describe(`disaster recovery: ${PRIMARY}'s pilot light, ${STANDBY} (ADR 24)`, () => {
    let primary: StackRun;
    let standby: StackRun;
    let recovered: StackRun;
    before(async () => {
      primary = await stackRun(PRIMARY);
      standby = await stackRun(STANDBY);
      recovered = await stackRun(STANDBY, recoveredSettings(STANDBY));
    });
    const primaryConfig = stackConfig(PRIMARY);
    const standbyConfig = stackConfig(STANDBY);

    it("pairs the two stack files: same account, environment, names and sizes; only the region's settings differ", () => {
      expect(primaryConfig.disasterRecovery).to.deep.equal({ role: "primary" });
      expect(standbyConfig.disasterRecovery).to.deep.equal({
        role: "standby",
        primaryRegion: primaryConfig.region,
        state: "standby",
      });
      expect(standbyConfig.region).to.equal(primaryConfig.backup.drRegion);
      // Everything that is not about where the stack runs is production's: a recovered standby is production.
      const [a, b] = [readStackSettings(PRIMARY), readStackSettings(STANDBY)];
      // The standby's own: its region's settings, its Stack tag and what it costs (a pilot light, not production).
      const regional = new Set([
        "aws:region",
        "cloudweave:vpc",
        "cloudweave:disasterRecovery",
        "cloudweave:backup",
        "aws:defaultTags",
        "cloudweave:cost",
      ]);
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!regional.has(key)) expect(b[key], key).to.deep.equal(a[key]);
      }
      expect(standbyConfig.defaultTags).to.deep.equal({ ...primaryConfig.defaultTags, Stack: STANDBY });
      expect(primaryConfig.defaultTags.Stack).to.equal(PRIMARY);
      const backup = (settings: Record<string, unknown>) => {
        const { drRegion, copyRetentionDays, replicateAutomatedBackups, ...rest } = settings["cloudweave:backup"] as {
          drRegion: string;
          copyRetentionDays: number;
          replicateAutomatedBackups: boolean;
        };
        void [drRegion, copyRetentionDays, replicateAutomatedBackups];
        return rest;
      };
      expect(backup(b)).to.deep.equal(backup(a));
      const vpc = (settings: Record<string, unknown>) => {
        const { cidr, availabilityZones, subnets, ...rest } = settings["cloudweave:vpc"] as Record<string, unknown>;
        void [cidr, availabilityZones, subnets];
        return rest;
      };
      expect(vpc(b)).to.deep.equal(vpc(a));
      expect(standbyConfig.vpc.cidr, "address spaces that can be peered for the fail-back").to.not.equal(
        primaryConfig.vpc.cidr,
      );
    });

    it("keeps everything but the data's primary copy and the running tasks ready, all in its own region", () => {
      const instance = single(standby, "aws:rds/instance:Instance");
      expect(instance.inputs.replicateSourceDb).to.equal(single(primary, "aws:rds/instance:Instance").outputs.arn);
      // The primary's shape, so the promotion is its only change.
      expect(instance.inputs).to.include({
        multiAz: standbyConfig.database.multiAZ,
        backupRetentionPeriod: standbyConfig.database.backupRetention,
      });
      expect(instance.inputs.kmsKeyId, "its own region's key").to.match(/^arn:aws:kms:us-west-2:/);
      expect(ofType(standby, "aws:elasticache/replicationGroup:ReplicationGroup")).to.deep.equal([]);
      for (const type of ["aws:elasticache/subnetGroup:SubnetGroup", "aws:elasticache/parameterGroup:ParameterGroup"]) {
        expect(ofType(standby, type), type).to.have.length(1);
      }
      for (const target of ofType(standby, "aws:appautoscaling/target:Target")) {
        expect(target.inputs.minCapacity, target.name).to.equal(0);
      }
      for (const type of [
        "aws:ecs/service:Service",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:acm/certificateValidation:CertificateValidation",
      ]) {
        expect(ofType(standby, type).length, type).to.be.greaterThan(0);
      }
      expect(ofType(standby, "aws:cloudwatch/metricAlarm:MetricAlarm").length).to.be.greaterThan(30);
      const lag = ofType(standby, "aws:cloudwatch/metricAlarm:MetricAlarm").find((alarm) =>
        alarm.name.endsWith("-database-replica-lag"),
      );
      expect(lag?.inputs).to.deep.include({
        metricName: "ReplicaLag",
        threshold: standbyConfig.alarms.databaseReplicaLagSeconds,
        treatMissingData: "breaching",
      });
      // Nothing of the standby lives anywhere else: no explicit provider, every resource in us-west-2.
      expect(ofType(standby, "pulumi:providers:aws")).to.deep.equal([]);
      expect([...new Set(standby.resources.filter((r) => r.custom).map((r) => r.region))]).to.deep.equal(["us-west-2"]);
    });

    it("recovers with one setting: a diff of no IAM, ACM or Route 53 change, and the data and tasks it adds", () => {
      const changes = diffRuns(standby, recovered);
      const touched = changes.filter((change) => GLOBAL_CONTROL_PLANES.includes(serviceOf(change.type)));
      expect(touched, "changes through a global control plane").to.deep.equal([]);
      const summary = changes.map(
        (change) => `${change.op} ${change.type}${change.properties.length ? ` ${change.properties.join(",")}` : ""}`,
      );
      expect(summary).to.have.members([
        // The replica promoted (nothing else about it changes); the cache created; its secret's first value.
        "update aws:rds/instance:Instance replicateSourceDb",
        "create aws:elasticache/replicationGroup:ReplicationGroup",
        "create aws:secretsmanager/secretVersion:SecretVersion",
        // The prepared rotations scheduled, and the application's password set on the promoted roles.
        "create aws:secretsmanager/secretRotation:SecretRotation",
        "create aws:secretsmanager/secretRotation:SecretRotation",
        "create aws:secretsmanager/secretRotation:SecretRotation",
        "create aws:lambda/invocation:Invocation",
        // Backups and restore tests of the now-primary database; the replica's lag alarm goes.
        "create aws:backup/selection:Selection",
        "create aws:backup/restoreTestingSelection:RestoreTestingSelection",
        "delete aws:cloudwatch/metricAlarm:MetricAlarm",
        // The services' task range raised (auto scaling starts the tasks), and a missing task count is an alarm again.
        "update aws:appautoscaling/target:Target minCapacity",
        "update aws:appautoscaling/target:Target minCapacity",
        "update aws:cloudwatch/metricAlarm:MetricAlarm treatMissingData",
        "update aws:cloudwatch/metricAlarm:MetricAlarm treatMissingData",
      ]);
      // What it reads at deploy time, it reads in its own region, from regional services.
      for (const run of [standby, recovered]) {
        for (const call of run.calls) {
          expect(call.region, call.token).to.equal("us-west-2");
          expect(GLOBAL_CONTROL_PLANES, call.token).to.not.include(serviceOf(call.token));
        }
      }
    });

    if (primaryConfig.backup.replicateAutomatedBackups) {
      it("falls back to the primary's replicated backups with no IAM, ACM or Route 53 change either", async () => {
        // The replica is lost: restore the latest restorable time of the automated backups the primary replicates here.
        const database = readStackSettings(STANDBY)["cloudweave:database"] as Record<string, unknown>;
        const automatedBackupsArn = `arn:aws:rds:${standbyConfig.region}:${standbyConfig.accountId}:auto-backup:ab-abcdefghijklmnopqrstuvwxyz0123`;
        const fallback = await runStack(STANDBY, {
          configOverrides: {
            ...recoveredSettings(STANDBY),
            "cloudweave:database": { ...database, restoreFrom: { automatedBackupsArn } },
          },
        });
        const changes = diffRuns(standby, fallback);
        expect(changes.filter((change) => GLOBAL_CONTROL_PLANES.includes(serviceOf(change.type)))).to.deep.equal([]);
        const instance = single(fallback, "aws:rds/instance:Instance");
        expect(instance.inputs.restoreToPointInTime).to.deep.equal({
          sourceDbInstanceAutomatedBackupsArn: automatedBackupsArn,
          useLatestRestorableTime: true,
        });
        expect(instance.inputs).to.not.have.any.keys("replicateSourceDb", "password", "username", "dbName");
        // The restored instance has the primary's master password: the replicated secret stays the master's.
        expect(fallback.outputs.databaseMasterSecretArn).to.equal(standby.outputs.databaseMasterSecretArn);
      });
    }

    it("passes the policy pack standing by and recovered", async () => {
      for (const run of [standby, recovered]) {
        const report = await checkStack(run, policies);
        expect(report.configFile).to.equal(`policy-pack/config/${STANDBY}.json`);
        expect(report.violations.filter((violation) => violation.level === "mandatory")).to.deep.equal([]);
      }
    });

    it("moves the origin name only while the standby runs tasks, and keeps it there while it does", () => {
      const records = (run: StackRun) =>
        ofType(run, "aws:route53/record:Record").filter((record) => record.inputs.setIdentifier !== undefined);
      const [primaryRecord] = records(primary);
      const [standbyRecord] = records(standby);
      expect(records(primary)).to.have.length(1);
      expect(records(standby)).to.have.length(1);
      for (const [record, run] of [
        [primaryRecord!, primary],
        [standbyRecord!, standby],
      ] as const) {
        // Same zone and name (the zone named in both files, never looked up), each an alias of its own load balancer.
        expect(record.inputs).to.deep.include({ name: `origin.${primaryConfig.domain.name}`, type: "A" });
        expect(record.inputs.zoneId).to.equal(primaryConfig.domain.hostedZoneId);
        expect((record.inputs.aliases as { name: string }[])[0]?.name).to.equal(
          (run.outputs.loadBalancerDnsNames as { public: string }).public,
        );
      }
      expect(standbyConfig.domain.hostedZoneId).to.equal(primaryConfig.domain.hostedZoneId);
      expect(primaryRecord!.inputs.failoverRoutingPolicies).to.deep.equal([{ type: "PRIMARY" }]);
      expect(standbyRecord!.inputs.failoverRoutingPolicies).to.deep.equal([{ type: "SECONDARY" }]);
      expect(standbyRecord!.inputs.healthCheckId).to.equal(undefined);
      // No plain alias of the origin name is left to shadow the pair.
      for (const run of [primary, standby]) {
        const plain = ofType(run, "aws:route53/record:Record").filter(
          (record) => record.inputs.name === `origin.${primaryConfig.domain.name}` && !record.inputs.setIdentifier,
        );
        expect(plain).to.deep.equal([]);
      }

      // The primary's health check watches its own alarm in the standby's region, on the standby's cluster by the
      // name both stacks give it: created by the primary, it exists before the standby does.
      const check = single(primary, "aws:route53/healthCheck:HealthCheck");
      expect(primaryRecord!.inputs.healthCheckId).to.equal(check.id);
      const alarm = ofType(primary, "aws:cloudwatch/metricAlarm:MetricAlarm").find(
        (candidate) => candidate.outputs.name === check.inputs.cloudwatchAlarmName,
      );
      expect(alarm, "the alarm the health check names").to.not.equal(undefined);
      expect(alarm!.region).to.equal(standbyConfig.region);
      expect(check.inputs.cloudwatchAlarmRegion).to.equal(standbyConfig.region);
      expect(alarm!.inputs.dimensions).to.deep.equal({ ClusterName: standby.outputs.clusterName });
      expect(alarm!.inputs).to.include({ namespace: "ECS/ContainerInsights", metricName: "TaskCount", period: 60 });
      // Route 53 reads standard-resolution alarms with a plain statistic only (API_AlarmIdentifier).
      expect(["Average", "Minimum", "Maximum", "Sum", "SampleCount"]).to.include(alarm!.inputs.statistic);
      // The standby tells the on-call when it starts (or stops) serving, from the same metric.
      const notice = ofType(standby, "aws:cloudwatch/metricAlarm:MetricAlarm").find(
        (candidate) => candidate.inputs.metricName === "TaskCount",
      );
      expect(notice?.inputs).to.deep.include({
        dimensions: alarm!.inputs.dimensions,
        threshold: alarm!.inputs.threshold,
        evaluationPeriods: alarm!.inputs.evaluationPeriods,
        alarmActions: [(standby.outputs.operations as { alertTopics: { critical: string } }).alertTopics.critical],
      });

      const answer = (taskCounts: (number | undefined)[], cloudWatchUp = true) => {
        const state = cloudWatchUp ? alarmState(alarm!, taskCounts) : "INSUFFICIENT_DATA";
        const chosen = failoverAnswer(
          { record: primaryRecord!, healthy: healthCheckHealthy(check, state) },
          { record: standbyRecord!, healthy: true },
        );
        return chosen === primaryRecord ? "primary" : "standby";
      };
      expect(answer([]), "standing by: no tasks, no data").to.equal("primary");
      expect(answer([0, 0]), "standing by: zero tasks").to.equal("primary");
      expect(answer([4]), "one minute of tasks is not yet a recovery").to.equal("primary");
      expect(answer([4, 4]), "recovered: its tasks run").to.equal("standby");
      expect(answer([4, 4, 4, 4]), "and stays while they do (also once us-east-1 is back)").to.equal("standby");
      expect(answer([4, 4], false), "the standby's CloudWatch unreachable: production keeps it").to.equal("primary");
      expect(answer([4, 4, 0, 0]), "failed back: the standby scaled to zero").to.equal("primary");
    });

    it("reads what the primary replicates to its region: secrets by name, their key by alias, images by ECR", () => {
      const replicated = ofType(primary, "aws:secretsmanager/secret:Secret").filter(
        (secret) => (secret.inputs.replicas as unknown[]).length > 0,
      );
      // The secrets and images keys are multi-Region, each with its replica in the standby's region.
      const replicaKeys = ofType(primary, "aws:kms/replicaKey:ReplicaKey");
      const replicaOf = (purpose: string) => {
        const primaryKey = single(primary, "aws:kms/key:Key", `cloudweave-${primaryConfig.environment}-${purpose}-key`);
        expect(primaryKey.inputs.multiRegion, purpose).to.equal(true);
        const replica = replicaKeys.find((key) => key.inputs.primaryKeyArn === primaryKey.outputs.arn);
        expect(replica?.region, purpose).to.equal(standbyConfig.region);
        return replica!;
      };
      expect(replicaKeys).to.have.length(2);
      const secretsReplica = replicaOf("secrets");
      for (const secret of replicated) {
        expect(secret.inputs.replicas, secret.name).to.deep.equal([
          { region: standbyConfig.region, kmsKeyId: secretsReplica.outputs.arn },
        ]);
      }
      const read = standby.calls
        .filter((call) => call.token.startsWith("aws:secretsmanager/getSecret"))
        .map((call) => String(call.inputs.name ?? call.inputs.secretId));
      // Besides the operator's PagerDuty URL (created in both regions, docs/delivery.md), only what the primary replicates.
      const operator = standbyConfig.alerting.critical.pagerDuty?.integrationUrlSecret;
      expect([...new Set(read)].filter((name) => name !== operator).sort(), "the primary replicates it").to.deep.equal(
        replicated.map((secret) => String(secret.inputs.name)).sort(),
      );
      const aliases = ofType(primary, "aws:kms/alias:Alias").filter((alias) => alias.region === standbyConfig.region);
      const keyRead = standby.calls.find((call) => call.token === "aws:kms/getKey:getKey");
      expect(aliases.map((alias) => alias.inputs.name)).to.include(keyRead?.inputs.keyId);

      const replication = single(primary, "aws:ecr/replicationConfiguration:ReplicationConfiguration");
      const [rule] = (
        replication.inputs.replicationConfiguration as {
          rules: { destinations: { region: string; registryId: string }[]; repositoryFilters: { filter: string }[] }[];
        }
      ).rules;
      expect(rule?.destinations).to.deep.equal([{ region: standbyConfig.region, registryId: standbyConfig.accountId }]);
      // The primary creates the destination repositories (under its images key's replica) before it replicates into
      // them; the standby reads exactly those by name and creates none.
      const destinations = ofType(primary, "aws:ecr/repository:Repository").filter(
        (repository) => repository.region === standbyConfig.region,
      );
      expect(destinations.map((repository) => repository.inputs.encryptionConfigurations)).to.deep.equal(
        destinations.map(() => [{ encryptionType: "KMS", kmsKey: replicaOf("images").outputs.arn }]),
      );
      for (const repository of destinations) {
        expect(replication.dependencies, "replicates only once the destination exists").to.include(repository.urn);
      }
      expect(ofType(standby, "aws:ecr/repository:Repository")).to.deep.equal([]);
      const pulled = standby.calls
        .filter((call) => call.token === "aws:ecr/getRepository:getRepository")
        .map((call) => String(call.inputs.name));
      expect(pulled.sort()).to.deep.equal(destinations.map((repository) => String(repository.inputs.name)).sort());
      for (const name of pulled) expect(name.startsWith(rule!.repositoryFilters[0]!.filter), name).to.equal(true);
      // The standby runs the images production runs (CI sets both files on release).
      expect(standbyConfig.compute.frontend.imageTag).to.equal(primaryConfig.compute.frontend.imageTag);
      expect(standbyConfig.compute.backend.imageTag).to.equal(primaryConfig.compute.backend.imageTag);
    });

    it("names nothing the primary names in the same scope (the account for IAM and S3, the region otherwise)", () => {
      // Route 53 is global too; private zones of one name may coexist, each attached to its own VPC.
      const ACCOUNT_WIDE = new Set(["iam", "s3", "cloudwatch/dashboard", "route53"]);
      const scoped = (run: StackRun) =>
        new Map(
          run.resources
            .filter((resource) => resource.custom && resource.type in AWS_NAME_RULES)
            .flatMap((resource): [string, DeclaredResource][] => {
              // Names Pulumi generates end in random characters (collision-free, ADR 1); only fixed names can clash.
              const property = AWS_NAME_RULES[resource.type]?.[0]?.property;
              const name = property ? resource.inputs[property] : undefined;
              if (typeof name !== "string" || resource.inputs.vpcs !== undefined) return [];
              const module = resource.type.split(":")[1] ?? "";
              const wide = ACCOUNT_WIDE.has(module.split("/")[0] ?? "") || ACCOUNT_WIDE.has(module);
              return [[`${resource.type} ${wide ? "account" : resource.region} ${name}`, resource]];
            }),
        );
      const mine = scoped(standby);
      const theirs = scoped(primary);
      expect(mine.size, "fixed names checked").to.be.greaterThan(20);
      const collisions = [...theirs.keys()].filter((key) => mine.has(key));
      expect(collisions).to.deep.equal([]);
    });
  });
