import { expect } from "chai";
import { ConfigError, parseStackConfig, programSettings, type StackConfig } from "../config";
import { readStackSettings, runStack, ProgramFailed } from "../offline/harness";
import { STACKS } from "./helpers";

type Settings = Record<string, unknown>;

/** The stack file's settings, deep-copied so a case can change them freely. */
function settingsOf(stack: string): Settings {
  return structuredClone(readStackSettings(stack));
}

function parse(settings: Settings): StackConfig {
  return parseStackConfig(programSettings(settings));
}

function problems(settings: Settings): readonly string[] {
  try {
    parse(settings);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the settings to be rejected");
}

interface BadCase {
  readonly title: string;
  readonly stack: (typeof STACKS)[number];
  /** Changes the stack file's settings into the bad ones. */
  readonly change: (settings: Settings) => void;
  /** The problem the user must see: the key, the value as written, and what is allowed. */
  readonly key: string;
  readonly value: string;
  readonly allowed: string;
}

const vpc = (settings: Settings) =>
  settings["cloudweave:vpc"] as Record<string, unknown> & { subnets: Record<string, string[]> };
const service = (settings: Settings, name: "frontend" | "backend") =>
  (settings["cloudweave:compute"] as Record<string, Record<string, unknown>>)[name] as Record<string, unknown>;
const deployment = (settings: Settings) => settings["cloudweave:deployment"] as Record<string, unknown>;
const edge = (settings: Settings) => settings["cloudweave:edge"] as Record<string, unknown>;
const backup = (settings: Settings) => settings["cloudweave:backup"] as Record<string, unknown>;
const database = (settings: Settings) => settings["cloudweave:database"] as Record<string, unknown>;
const cache = (settings: Settings) => settings["cloudweave:cache"] as Record<string, unknown>;
const domain = (settings: Settings) => settings["cloudweave:domain"] as Record<string, unknown>;
const alerting = (settings: Settings) =>
  settings["cloudweave:alerting"] as Record<"critical" | "warning", Record<string, unknown>> & Record<string, unknown>;
const flags = (settings: Settings) =>
  settings["cloudweave:featureFlags"] as Record<string, unknown> & { rollout: Record<string, unknown> };

/** Every kind of bad configuration the program must refuse, each against a real stack file. */
const BAD_CASES: readonly BadCase[] = [
  {
    title: "a stack that names no account",
    stack: "staging",
    change: (s) => delete s["aws:allowedAccountIds"],
    key: "aws:allowedAccountIds",
    value: "(not set)",
    allowed: "must list the stack's AWS account id",
  },
  {
    title: "an account id that is not 12 digits",
    stack: "production",
    change: (s) => (s["aws:allowedAccountIds"] = ["11112222333"]),
    key: "aws:allowedAccountIds[0]",
    value: '"11112222333"',
    allowed: "must be a 12-digit AWS account id",
  },
  {
    title: "a stack allowed into two accounts",
    stack: "production",
    change: (s) => (s["aws:allowedAccountIds"] = ["111122223333", "444455556666"]),
    key: "aws:allowedAccountIds",
    value: '["111122223333","444455556666"]',
    allowed: "must list exactly one account",
  },
  {
    title: "resources tagged with another environment than the stack's",
    stack: "staging",
    change: (s) => ((s["aws:defaultTags"] as { tags: Record<string, string> }).tags.Environment = "production"),
    key: "aws:defaultTags.tags.Environment",
    value: '"production"',
    allowed: "must equal cloudweave:environment (staging)",
  },
  {
    title: "a deployment strategy ECS does not have",
    stack: "production",
    change: (s) => (deployment(s).strategy = "ROLLING"),
    key: "cloudweave:deployment.strategy",
    value: '"ROLLING"',
    allowed: "must be BLUE_GREEN, CANARY or LINEAR",
  },
  {
    title: "a canary that takes most of the traffic",
    stack: "staging",
    change: (s) => Object.assign(deployment(s), { strategy: "CANARY", canary: { percent: 60, bakeMinutes: 10 } }),
    key: "cloudweave:deployment.canary.percent",
    value: "60",
    allowed: "must be 0.1-50 percent",
  },
  {
    title: "a feature flag the backend does not know",
    stack: "production",
    change: (s) => (flags(s).enabled = ["cost-insights", "dark-mode"]),
    key: "cloudweave:featureFlags.enabled[1]",
    value: '"dark-mode"',
    allowed: "must name a flag the backend knows: new-dashboard, bulk-import, cost-insights",
  },
  {
    title: "a flag rollout that never grows",
    stack: "staging",
    change: (s) => (flags(s).rollout.growthPercent = 0),
    key: "cloudweave:featureFlags.rollout.growthPercent",
    value: "0",
    allowed: "must be 1-100 percent",
  },
  {
    title: "a moving tag for the fault-injection sidecar",
    stack: "staging",
    change: (s) =>
      Object.assign(s["cloudweave:faultInjection"] as object, {
        agentImage: "public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:latest",
      }),
    key: "cloudweave:faultInjection.agentImage",
    value: '"public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:latest"',
    allowed: "must be public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:<release>",
  },
  {
    title: "CPU stress that cannot trigger a scale-out",
    stack: "staging",
    change: (s) => Object.assign(s["cloudweave:faultInjection"] as object, { cpuStressPercent: 60 }),
    key: "cloudweave:faultInjection.cpuStressPercent",
    value: "60",
    allowed: "must be above cloudweave:scaling.scaleOutCpuPercent (70)",
  },
  {
    title: "stopping no tasks",
    stack: "production",
    change: (s) => Object.assign(s["cloudweave:faultInjection"] as object, { stopTaskPercent: 0 }),
    key: "cloudweave:faultInjection.stopTaskPercent",
    value: "0",
    allowed: "must be 1-100 percent",
  },
  {
    title: "an unknown environment",
    stack: "production",
    change: (s) => (s["cloudweave:environment"] = "prod"),
    key: "cloudweave:environment",
    value: '"prod"',
    allowed: "must be one of: staging, production",
  },
  {
    title: "a malformed VPC CIDR",
    stack: "staging",
    change: (s) => (vpc(s).cidr = "10.1.0/16"),
    key: "cloudweave:vpc.cidr",
    value: '"10.1.0/16"',
    allowed: "must be an IPv4 CIDR block like 10.0.0.0/16",
  },
  {
    title: "a VPC CIDR with host bits set",
    stack: "production",
    change: (s) => (vpc(s).cidr = "10.0.1.0/16"),
    key: "cloudweave:vpc.cidr",
    value: '"10.0.1.0/16"',
    allowed: "with no host bits set",
  },
  {
    title: "an oversized VPC CIDR",
    stack: "production",
    change: (s) => (vpc(s).cidr = "10.0.0.0/8"),
    key: "cloudweave:vpc.cidr",
    value: '"10.0.0.0/8"',
    allowed: "must be a /16 to /28 block",
  },
  {
    title: "a public VPC CIDR",
    stack: "staging",
    change: (s) => (vpc(s).cidr = "52.1.0.0/16"),
    key: "cloudweave:vpc.cidr",
    value: '"52.1.0.0/16"',
    allowed: "private (RFC 1918) range",
  },
  {
    title: "a subnet outside the VPC",
    stack: "production",
    change: (s) => (vpc(s).subnets.public = ["10.0.1.0/24", "10.9.2.0/24", "10.0.3.0/24"]),
    key: "cloudweave:vpc.subnets.public[1]",
    value: '"10.9.2.0/24"',
    allowed: "must lie inside the VPC CIDR 10.0.0.0/16",
  },
  {
    title: "overlapping subnets",
    stack: "production",
    change: (s) => (vpc(s).subnets.database = ["10.0.21.0/24", "10.0.22.0/24", "10.0.11.0/25"]),
    key: "cloudweave:vpc.subnets.database[2]",
    value: '"10.0.11.0/25"',
    allowed: "overlaps cloudweave:vpc.subnets.private[0] (10.0.11.0/24); subnets must not overlap",
  },
  {
    title: "a subnet smaller than AWS allows",
    stack: "staging",
    change: (s) => (vpc(s).subnets.private = ["10.1.11.0/24", "10.1.12.0/24", "10.1.13.0/29"]),
    key: "cloudweave:vpc.subnets.private[2]",
    value: '"10.1.13.0/29"',
    allowed: "must be a /16 to /28 block",
  },
  {
    title: "fewer than 3 availability zones",
    stack: "production",
    change: (s) => {
      vpc(s).availabilityZones = ["us-east-1a", "us-east-1b"];
      for (const tier of ["public", "private", "database"])
        vpc(s).subnets[tier] = vpc(s).subnets[tier]?.slice(0, 2) ?? [];
    },
    key: "cloudweave:vpc.availabilityZones",
    value: '["us-east-1a","us-east-1b"]',
    allowed: "must list at least 3 availability zones",
  },
  {
    title: "an availability zone outside the region",
    stack: "staging",
    change: (s) => (vpc(s).availabilityZones = ["us-east-1a", "us-west-2b", "us-east-1c"]),
    key: "cloudweave:vpc.availabilityZones[1]",
    value: '"us-west-2b"',
    allowed: "must be an availability zone of aws:region us-east-1",
  },
  {
    title: "a subnet tier with fewer CIDRs than zones",
    stack: "staging",
    change: (s) => (vpc(s).subnets.private = ["10.1.11.0/24", "10.1.12.0/24"]),
    key: "cloudweave:vpc.subnets.private",
    value: '["10.1.11.0/24","10.1.12.0/24"]',
    allowed: "must list one CIDR per availability zone (3)",
  },
  {
    title: "a single NAT gateway in production",
    stack: "production",
    change: (s) => (vpc(s).natGateways = "single"),
    key: "cloudweave:vpc.natGateways",
    value: '"single"',
    allowed: 'must be "one-per-az" in production',
  },
  {
    title: "a Fargate cpu value AWS does not offer",
    stack: "production",
    change: (s) => (service(s, "backend").cpu = 1000),
    key: "cloudweave:compute.backend.cpu",
    value: "1000",
    allowed: "must be a Fargate task cpu value: 256, 512, 1024, 2048, 4096, 8192, 16384",
  },
  {
    title: "a Fargate cpu/memory pair AWS does not accept",
    stack: "production",
    change: (s) => (service(s, "frontend").memory = 2048),
    key: "cloudweave:compute.frontend.memory",
    value: "2048",
    allowed: "is not a Fargate size for cpu 2048; allowed: 4096-16384 MiB in steps of 1024",
  },
  {
    title: "desiredCount above maxCount",
    stack: "staging",
    change: (s) => (service(s, "backend").desiredCount = 5),
    key: "cloudweave:compute.backend.desiredCount",
    value: "5",
    allowed: "must not exceed maxCount (4)",
  },
  {
    title: "one task where the stop-tasks experiment would stop none or all of them",
    stack: "staging",
    change: (s) => (service(s, "frontend").desiredCount = 1),
    key: "cloudweave:compute.frontend.desiredCount",
    value: "1",
    allowed:
      "must leave the stop-tasks experiment (cloudweave:faultInjection.stopTaskPercent = 50) at least one task to stop and one to keep: 1 task cannot",
  },
  {
    title: "no room to scale where the CPU-stress experiment expects it",
    stack: "staging",
    change: (s) => (service(s, "backend").maxCount = 2),
    key: "cloudweave:compute.backend.maxCount",
    value: "2",
    allowed: "must exceed desiredCount (2) where the CPU-stress experiment runs",
  },
  {
    title: "a linear rollout that outlasts CI's deploy credentials",
    stack: "production",
    change: (s) =>
      Object.assign(deployment(s), { strategy: "LINEAR", linear: { stepPercent: 10, stepBakeMinutes: 10 } }),
    key: "cloudweave:deployment.strategy",
    value: '"LINEAR"',
    allowed:
      "rolls out for 160 minutes (tasks starting and tested, LINEAR shifts and bakes, the rest of pulumi up), longer than CI's deploy session (cloudweave:deployment.ciSessionMinutes = 120)",
  },
  {
    title: "one task per service in production",
    stack: "production",
    change: (s) => (service(s, "frontend").desiredCount = 1),
    key: "cloudweave:compute.frontend.desiredCount",
    value: "1",
    allowed: "must be at least 2 in production",
  },
  {
    title: "a moving image tag",
    stack: "production",
    change: (s) => (service(s, "backend").imageTag = "latest"),
    key: "cloudweave:compute.backend.imageTag",
    value: '"latest"',
    allowed: "must name one build (a version such as 1.4.2 or a commit SHA), not a moving tag",
  },
  {
    title: "an image tag Docker would refuse",
    stack: "staging",
    change: (s) => (service(s, "frontend").imageTag = "v1 final"),
    key: "cloudweave:compute.frontend.imageTag",
    value: '"v1 final"',
    allowed: "must be a Docker image tag",
  },
  {
    title: "a service without an image tag",
    stack: "staging",
    change: (s) => delete service(s, "frontend").imageTag,
    key: "cloudweave:compute.frontend.imageTag",
    value: "(not set)",
    allowed: "must be set to the image tag CI pushed",
  },
  {
    title: "a scale-in threshold at or above the scale-out one",
    stack: "staging",
    change: (s) => (s["cloudweave:scaling"] = { scaleOutCpuPercent: 60, scaleInCpuPercent: 60 }),
    key: "cloudweave:scaling.scaleInCpuPercent",
    value: "60",
    allowed: "must be below scaleOutCpuPercent (60)",
  },
  {
    title: "a CPU threshold that is not a percentage",
    stack: "production",
    change: (s) => (s["cloudweave:scaling"] = { scaleOutCpuPercent: 170 }),
    key: "cloudweave:scaling.scaleOutCpuPercent",
    value: "170",
    allowed: "must be a percentage below 100",
  },
  {
    title: "a bake time ECS does not accept",
    stack: "staging",
    change: (s) => (deployment(s).bakeTimeMinutes = 2000),
    key: "cloudweave:deployment.bakeTimeMinutes",
    value: "2000",
    allowed: "must be 0-1440 minutes",
  },
  {
    title: "a production bake time too short for the rollback alarms",
    stack: "production",
    change: (s) => (deployment(s).bakeTimeMinutes = 1),
    key: "cloudweave:deployment.bakeTimeMinutes",
    value: "1",
    allowed: "must be at least 5 minutes in production",
  },
  {
    title: "a CloudFront price class that does not exist",
    stack: "staging",
    change: (s) => (edge(s).priceClass = "PriceClass_50"),
    key: "cloudweave:edge.priceClass",
    value: '"PriceClass_50"',
    allowed: "must be one of: PriceClass_All, PriceClass_200, PriceClass_100",
  },
  {
    title: "a viewer TLS policy that admits TLS 1.0",
    stack: "production",
    change: (s) => (edge(s).minimumTlsVersion = "TLSv1_2016"),
    key: "cloudweave:edge.minimumTlsVersion",
    value: '"TLSv1_2016"',
    allowed: "must be one of: TLSv1.2_2021",
  },
  {
    title: "a WAF rate limit below WAF's minimum",
    stack: "production",
    change: (s) => (edge(s).rateLimitPer5Minutes = 5),
    key: "cloudweave:edge.rateLimitPer5Minutes",
    value: "5",
    allowed: "must be 10-2000000000 requests per 5 minutes",
  },
  {
    title: "a default tag that is not a string",
    stack: "staging",
    change: (s) => (s["aws:defaultTags"] = { tags: { CostCenter: 42 } }),
    key: "aws:defaultTags.tags.CostCenter",
    value: "42",
    allowed: "must be a string",
  },
  {
    title: "backups recovered in the region they protect against",
    stack: "staging",
    change: (s) => (backup(s).drRegion = "us-east-1"),
    key: "cloudweave:backup.drRegion",
    value: '"us-east-1"',
    allowed: "must differ from aws:region (us-east-1)",
  },
  {
    title: "unlocked vaults in production",
    stack: "production",
    change: (s) => (backup(s).vaultLock = false),
    key: "cloudweave:backup.vaultLock",
    value: "false",
    allowed: "must be true in production",
  },
  {
    title: "no cross-region copies in production",
    stack: "production",
    change: (s) => (backup(s).copyRetentionDays = 0),
    key: "cloudweave:backup.copyRetentionDays",
    value: "0",
    allowed: "must be at least 7 in production",
  },
  {
    title: "a point-in-time window AWS Backup does not offer",
    stack: "staging",
    change: (s) => (backup(s).pointInTimeRetentionDays = 60),
    key: "cloudweave:backup.pointInTimeRetentionDays",
    value: "60",
    allowed: "must be 1-35 days",
  },
  {
    title: "production that pages no one, without saying why",
    stack: "production",
    change: (s) => delete alerting(s).critical.pagerDuty,
    key: "cloudweave:alerting.critical.pagerDuty",
    value: "(not set)",
    allowed:
      "must be set in production, so critical alarms page someone; to deploy without paging, say why in cloudweave:alerting.unpagedReason",
  },
  {
    title: "warnings that reach no one",
    stack: "staging",
    change: (s) => (alerting(s).warning = { emails: [] }),
    key: "cloudweave:alerting.warning",
    value: '{"emails":[]}',
    allowed: "must name at least one recipient (emails or slack): warning alarms would reach no one",
  },
  {
    title: "a reason for not paging while PagerDuty pages",
    stack: "production",
    change: (s) => (alerting(s).unpagedReason = "PagerDuty is not set up yet"),
    key: "cloudweave:alerting.unpagedReason",
    value: '"PagerDuty is not set up yet"',
    allowed: "must not be set when critical.pagerDuty pages someone",
  },
  {
    title: "an e-mail recipient that is not an address",
    stack: "staging",
    change: (s) => (alerting(s).critical.emails = ["platform team"]),
    key: "cloudweave:alerting.critical.emails[0]",
    value: '"platform team"',
    allowed: "must be an e-mail address",
  },
  {
    title: "a PagerDuty secret name Secrets Manager would refuse",
    stack: "production",
    change: (s) => (alerting(s).critical.pagerDuty = { integrationUrlSecret: "pager duty!" }),
    key: "cloudweave:alerting.critical.pagerDuty.integrationUrlSecret",
    value: '"pager duty!"',
    allowed: "must be a Secrets Manager secret name",
  },
  {
    title: "a Slack channel given by name instead of id",
    stack: "staging",
    change: (s) => (alerting(s).warning.slack = { workspaceId: "T07ABCDE12", channelId: "#platform-alerts" }),
    key: "cloudweave:alerting.warning.slack.channelId",
    value: '"#platform-alerts"',
    allowed: "must be a Slack channel id",
  },
  {
    title: "a sampling rate above 100%",
    stack: "staging",
    change: (s) => (s["cloudweave:tracing"] = { samplingPercent: 150 }),
    key: "cloudweave:tracing.samplingPercent",
    value: "150",
    allowed: "must be 0-100",
  },
  {
    title: "missing alarm thresholds that have no safe default",
    stack: "staging",
    change: (s) => (s["cloudweave:alarms"] = {}),
    key: "cloudweave:alarms.databaseConnections",
    value: "(not set)",
    allowed: "must be set to a connection count below the instance class's max_connections",
  },
  {
    title: "a recovery stack that would start with an empty database",
    stack: "production",
    change: (s) =>
      (s["cloudweave:recovery"] = {
        originVerifySecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-verify-AbCdEf",
      }),
    key: "cloudweave:database.restoreFrom",
    value: "(not set)",
    allowed: "must be set when cloudweave:recovery is",
  },
  {
    title: "restoring from something that is not a replicated-backups ARN",
    stack: "production",
    change: (s) => (database(s).restoreFrom = { automatedBackupsArn: "ab-123" }),
    key: "cloudweave:database.restoreFrom.automatedBackupsArn",
    value: '"ab-123"',
    allowed: "must be the ARN of replicated automated backups",
  },
  {
    title: "a backup retention AWS rejects",
    stack: "staging",
    change: (s) => (database(s).backupRetention = 36),
    key: "cloudweave:database.backupRetention",
    value: "36",
    allowed: "must be 1-35 days",
  },
  {
    title: "backups switched off",
    stack: "staging",
    change: (s) => (database(s).backupRetention = 0),
    key: "cloudweave:database.backupRetention",
    value: "0",
    allowed: "must be 1-35 days",
  },
  {
    title: "automated backups below the design's 7 days, in staging too",
    stack: "staging",
    change: (s) => (database(s).backupRetention = 3),
    key: "cloudweave:database.backupRetention",
    value: "3",
    allowed: "must be at least 7 days (the design's backup retention, in every environment)",
  },
  {
    title: "an RDS backup window inside its maintenance window",
    stack: "production",
    change: (s) =>
      Object.assign(database(s), { backupWindow: "02:00-02:30", maintenanceWindow: "sun:01:30-sun:03:00" }),
    key: "cloudweave:database.backupWindow",
    value: '"02:00-02:30"',
    allowed: "must not overlap cloudweave:database.maintenanceWindow (sun:01:30-sun:03:00): RDS refuses it",
  },
  {
    title: "a daily backup that would start in the hour before the database's maintenance",
    stack: "production",
    change: (s) => Object.assign(backup(s), { dailyBackupStart: "01:30" }),
    key: "cloudweave:backup.dailyBackupStart",
    value: '"01:30"',
    allowed:
      "must not start (within its 60-minute start window) during or in the 60 minutes before cloudweave:database.maintenanceWindow (sun:02:00-sun:02:30): AWS Backup cannot start then",
  },
  {
    title: "a continuous backup that would start during RDS's own backup window",
    stack: "staging",
    change: (s) => Object.assign(backup(s), { continuousBackupStart: "03:00" }),
    key: "cloudweave:backup.continuousBackupStart",
    value: '"03:00"',
    allowed: "in the 60 minutes before cloudweave:database.backupWindow (03:30-04:00)",
  },
  {
    title: "two backup rules whose start windows overlap",
    stack: "staging",
    change: (s) => Object.assign(backup(s), { dailyBackupStart: "05:00" }),
    key: "cloudweave:backup.dailyBackupStart",
    value: '"05:00"',
    allowed: "must not overlap the continuous rule's start window (04:30 + 60 minutes): AWS Backup would skip one",
  },
  {
    title: "a Redis snapshot window inside its maintenance window",
    stack: "staging",
    change: (s) => (cache(s).snapshotWindow = "02:00-04:00"),
    key: "cloudweave:cache.snapshotWindow",
    value: '"02:00-04:00"',
    allowed: "must not overlap cloudweave:cache.maintenanceWindow (sun:02:30-sun:03:30)",
  },
  {
    title: "a maintenance window shorter than ElastiCache allows",
    stack: "staging",
    change: (s) => (cache(s).maintenanceWindow = "sun:02:30-sun:03:00"),
    key: "cloudweave:cache.maintenanceWindow",
    value: '"sun:02:30-sun:03:00"',
    allowed: "must last at least 60 minutes (ElastiCache)",
  },
  {
    title: "a backup start window below AWS Backup's minimum",
    stack: "staging",
    change: (s) => (backup(s).startWindowMinutes = 30),
    key: "cloudweave:backup.startWindowMinutes",
    value: "30",
    allowed: "must be at least 60 minutes (AWS Backup's minimum)",
  },
  {
    title: "a single-AZ database in production",
    stack: "production",
    change: (s) => (database(s).multiAZ = false),
    key: "cloudweave:database.multiAZ",
    value: "false",
    allowed: "must be true in production",
  },
  {
    title: "a malformed instance class",
    stack: "staging",
    change: (s) => (database(s).instanceClass = "t3.micro"),
    key: "cloudweave:database.instanceClass",
    value: '"t3.micro"',
    allowed: "must be an RDS instance class such as db.t3.medium",
  },
  {
    title: "a PostgreSQL version other than 15",
    stack: "production",
    change: (s) => (database(s).engineVersion = "16.4"),
    key: "cloudweave:database.engineVersion",
    value: '"16.4"',
    allowed: "must be a PostgreSQL 15 version",
  },
  {
    title: "no storage autoscaling headroom",
    stack: "staging",
    change: (s) => (database(s).maxAllocatedStorage = 20),
    key: "cloudweave:database.maxAllocatedStorage",
    value: "20",
    allowed: "must exceed allocatedStorage (20 GiB)",
  },
  {
    title: "a malformed cache node type",
    stack: "staging",
    change: (s) => (cache(s).nodeType = "t3.micro"),
    key: "cloudweave:cache.nodeType",
    value: '"t3.micro"',
    allowed: "must be an ElastiCache node type such as cache.t3.micro",
  },
  {
    title: "a Redis version other than 7",
    stack: "staging",
    change: (s) => (cache(s).engineVersion = "6.2"),
    key: "cloudweave:cache.engineVersion",
    value: '"6.2"',
    allowed: "must be a Redis 7 version",
  },
  {
    title: "a Multi-AZ cache without a replica",
    stack: "production",
    change: (s) => (cache(s).replicas = 0),
    key: "cloudweave:cache.replicas",
    value: "0",
    allowed: "must be at least 1 when multiAZ is true",
  },
  {
    title: "a single-AZ cache in production",
    stack: "production",
    change: (s) => (cache(s).multiAZ = false),
    key: "cloudweave:cache.multiAZ",
    value: "false",
    allowed: "must be true in production",
  },
  {
    title: "a log retention CloudWatch does not offer",
    stack: "staging",
    change: (s) => (s["cloudweave:logs"] = { retentionInDays: 45 }),
    key: "cloudweave:logs.retentionInDays",
    value: "45",
    allowed: "must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60",
  },
  {
    title: "a malformed domain",
    stack: "production",
    change: (s) => (domain(s).name = "app..cloudweave.io"),
    key: "cloudweave:domain.name",
    value: '"app..cloudweave.io"',
    allowed: "must be a lower-case DNS name",
  },
  {
    title: "a domain outside its hosted zone",
    stack: "staging",
    change: (s) => (domain(s).name = "staging.example.org"),
    key: "cloudweave:domain.name",
    value: '"staging.example.org"',
    allowed: "must be cloudweave.io or a name under it",
  },
  {
    title: "a missing region",
    stack: "staging",
    change: (s) => delete s["aws:region"],
    key: "aws:region",
    value: "(not set)",
    allowed: "must be set to an AWS region",
  },
  {
    title: "a misspelt setting inside a key",
    stack: "production",
    change: (s) => (vpc(s).natGateway = "one-per-az"),
    key: "cloudweave:vpc",
    value: "",
    allowed: 'unknown setting "natGateway"; allowed: cidr, availabilityZones, subnets, natGateways, flowLogs',
  },
  {
    title: "a misspelt top-level key",
    stack: "staging",
    change: (s) => (s["cloudweave:databse"] = { instanceClass: "db.t3.micro" }),
    key: "stack config",
    value: "",
    allowed: 'unknown setting "cloudweave:databse"',
  },
];

describe("stack configuration", () => {
  for (const stack of STACKS) {
    it(`accepts Pulumi.${stack}.yaml as written, with no encrypted value needed`, () => {
      const settings = readStackSettings(stack);
      expect(parse(settings).environment).to.equal(stack);
      const encrypted = Object.entries(settings).filter(([, value]) => JSON.stringify(value).includes('"secure"'));
      expect(encrypted, "settings that need a secrets provider").to.deep.equal([]);
    });
  }

  it("production carries the design's figures exactly", () => {
    const config = parse(settingsOf("production"));
    expect(config.vpc.cidr).to.equal("10.0.0.0/16");
    expect(config.vpc.availabilityZones).to.have.length(3);
    expect(config.vpc.subnets).to.deep.equal({
      public: ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"],
      private: ["10.0.11.0/24", "10.0.12.0/24", "10.0.13.0/24"],
      database: ["10.0.21.0/24", "10.0.22.0/24", "10.0.23.0/24"],
    });
    expect(config.vpc.natGateways).to.equal("one-per-az");
    expect(config.database).to.deep.include({ instanceClass: "db.t3.medium", multiAZ: true, backupRetention: 7 });
    expect(config.database.engineVersion).to.match(/^15(\.\d+)?$/);
    expect(config.database.maxAllocatedStorage).to.be.greaterThan(config.database.allocatedStorage);
    expect(config.cache).to.deep.include({ nodeType: "cache.t3.micro", replicas: 1, multiAZ: true });
    expect(config.cache.engineVersion).to.match(/^7\./);
    expect(config.compute.frontend).to.deep.include({ cpu: 2048, memory: 4096, desiredCount: 2, maxCount: 10 });
    expect(config.compute.backend).to.deep.include({ cpu: 1024, memory: 2048, desiredCount: 2, maxCount: 20 });
    expect(config.deployment).to.deep.include({
      bakeTimeMinutes: 15,
      rollbackOn5xxPerMinute: 10,
      strategy: "BLUE_GREEN",
    });
    expect(config.scaling).to.deep.equal({
      scaleOutCpuPercent: 70,
      scaleOutPeriods: 2,
      scaleInCpuPercent: 30,
      scaleInPeriods: 5,
      memoryTargetPercent: 75,
    });
    expect(config.deletionProtection).to.equal(true);
  });

  it("staging is the design's smaller environment on the same architecture", () => {
    const staging = parse(settingsOf("staging"));
    const production = parse(settingsOf("production"));
    expect(staging.database.instanceClass).to.equal("db.t3.micro");
    expect(staging.cache).to.deep.include({ nodeType: "cache.t3.micro", replicas: 1, multiAZ: false });
    expect(staging.vpc.natGateways).to.equal("single");
    expect(staging.vpc.availabilityZones).to.have.length(production.vpc.availabilityZones.length);
    for (const name of ["frontend", "backend"] as const) {
      expect(staging.compute[name].cpu).to.be.at.most(production.compute[name].cpu);
      expect(staging.compute[name].maxCount, `${name} can still scale out`).to.be.greaterThan(
        staging.compute[name].desiredCount,
      );
    }
    expect(staging.deletionProtection).to.equal(false);
  });

  it("lets a stack switch deletion protection on or off explicitly", () => {
    expect(parse({ ...settingsOf("staging"), "cloudweave:deletionProtection": true }).deletionProtection).to.equal(
      true,
    );
    expect(parse({ ...settingsOf("production"), "cloudweave:deletionProtection": false }).deletionProtection).to.equal(
      false,
    );
  });

  it("reports every problem at once", () => {
    const settings = settingsOf("production");
    BAD_CASES.filter((c) => c.stack === "production")
      .slice(0, 3)
      .forEach((c) => c.change(settings));
    expect(problems(settings).length).to.be.at.least(2);
  });

  describe("refuses bad settings before any resource is declared", () => {
    for (const badCase of BAD_CASES) {
      it(`${badCase.title} (${badCase.stack})`, async () => {
        const settings = settingsOf(badCase.stack);
        badCase.change(settings);
        const expected = badCase.value ? `${badCase.key} = ${badCase.value}: ` : `${badCase.key}: `;
        expect(
          problems(settings).some((problem) => problem.startsWith(expected) && problem.includes(badCase.allowed)),
          problems(settings).join("\n"),
        ).to.equal(true);

        // The same settings through the real program: it fails with that message and declares nothing.
        const overrides = Object.fromEntries(
          [...new Set([...Object.keys(settings), ...Object.keys(readStackSettings(badCase.stack))])].map((key) => [
            key,
            settings[key],
          ]),
        );
        const failure = await runStack(badCase.stack, { configOverrides: overrides }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).to.be.instanceOf(ProgramFailed);
        const { cause, declared } = failure as ProgramFailed;
        expect((cause as Error).message).to.include(expected);
        expect(declared.map((resource) => resource.type)).to.deep.equal(["pulumi:pulumi:Stack"]);
      });
    }
  });
});
