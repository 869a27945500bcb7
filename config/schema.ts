import { z } from "zod";
import { blockContains, blocksOverlap, isPrivateBlock, parseIpv4Block, type Ipv4Block } from "./cidr";
import { FEATURE_FLAGS } from "./app";
import { FARGATE_CPU_VALUES, describeMemoryOptions, fargateMemoryFor } from "./fargate";
import { PULUMI_UP_OVERHEAD_MINUTES, deploymentTimeoutMinutes } from "./rollout";
import { ENVIRONMENT_TAG } from "../components/lib/delivery";
import {
  DAILY_WINDOW,
  TIME_OF_DAY,
  WEEKLY_WINDOW,
  dailyDuration,
  dailyWindow,
  everyDay,
  overlaps,
  weeklyDuration,
  weeklyWindow,
  widenedBefore,
  type Spans,
} from "./windows";

/** The environments this program knows how to build. */
export const ENVIRONMENTS = ["staging", "production"] as const;

/** NAT strategies: a gateway in every AZ (no cross-AZ dependency), or one shared gateway (cheaper, one AZ's fate). */
export const NAT_STRATEGIES = ["one-per-az", "single"] as const;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** CloudFront price classes: all edge locations, most, or North America and Europe only. */
export const PRICE_CLASSES = ["PriceClass_All", "PriceClass_200", "PriceClass_100"] as const;

/** CloudFront viewer security policies at TLS 1.2 or newer (older ones admit TLS 1.0/1.1). */
export const VIEWER_TLS_POLICIES = ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"] as const;

/** Subnet tiers, each with one subnet per availability zone. */
export const SUBNET_TIERS = ["public", "private", "database"] as const;

/** The design spreads every tier over three AZs (seed: "Multi-AZ deployment across 3 availability zones"). */
export const MIN_AVAILABILITY_ZONES = 3;

/** AWS keeps automated RDS backups for 1-35 days; 0 would switch them off. */
const BACKUP_RETENTION_RANGE = { min: 1, max: 35 } as const;
/** The design's automated-backup retention, in every environment. */
const MIN_BACKUP_RETENTION = 7;
/**
 * AWS Backup cannot start a database backup within an hour before or during the database's maintenance window
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/plan-options-and-configuration.html); the same margin keeps
 * its jobs off the RDS automated-backup window.
 */
const BACKUP_MARGIN_MINUTES = 60;
const PRODUCTION_MIN_TASKS = 2;
/** Long enough for the rollback alarms (two one-minute periods) to see the new version under full traffic. */
const PRODUCTION_MIN_BAKE_MINUTES = 5;
const MAX_TASKS_PER_SERVICE = 100;

/** The shape of an AWS region name (`us-east-1`, `us-gov-west-1`, `us-iso-east-1`); the stack and bootstrap schemas use it. */
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** An AWS account id: 12 digits (IAM User Guide, "Your AWS account ID and its alias"). */
export const ACCOUNT_ID = /^\d{12}$/;
/** What Docker and ECR accept as a tag. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Tags that name no particular build: with immutable ECR tags they could never be pushed twice anyway. */
const FLOATING_TAGS = ["latest", "stable", "main", "develop"];
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A strict object: an unknown key (usually a typo) fails and the message lists the keys that are allowed. */
function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown setting${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; allowed: ${allowed}`
        : undefined,
  });
}

const cidrBlock = z.string().refine((text) => parseIpv4Block(text) !== undefined, {
  message: "must be an IPv4 CIDR block like 10.0.0.0/16, with no host bits set",
});

/** A CIDR block of a size AWS accepts: /16 to /28, for VPCs and subnets alike. */
function sizedBlock(what: string) {
  return cidrBlock.superRefine((text, ctx) => {
    const block = parseIpv4Block(text);
    if (block && (block.prefixLength < 16 || block.prefixLength > 28)) {
      ctx.addIssue({ code: "custom", message: `must be a /16 to /28 block (the sizes AWS allows for a ${what})` });
    }
  });
}

const vpcCidr = sizedBlock("VPC").superRefine((text, ctx) => {
  const block = parseIpv4Block(text);
  if (block && !isPrivateBlock(block)) {
    ctx.addIssue({
      code: "custom",
      message: "must lie in a private (RFC 1918) range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
    });
  }
});

const subnetCidr = sizedBlock("subnet");

const domainName = z.string().refine(isDomainName, {
  message: "must be a lower-case DNS name of two or more labels (a-z, 0-9, '-'), at most 253 characters",
});

function isDomainName(name: string): boolean {
  const labels = name.split(".");
  return name.length <= 253 && labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label));
}

const logRetention = z
  .number()
  .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `must be a CloudWatch Logs retention: ${LOG_RETENTION_DAYS.join(", ")}`,
  })
  .default(365);

const imageTag = z
  .string({ error: "must be set to the image tag CI pushed, e.g. 1.4.2" })
  .regex(IMAGE_TAG, { message: "must be a Docker image tag: letters, digits, '_', '.', '-', at most 128 characters" })
  .refine((tag) => !FLOATING_TAGS.includes(tag.toLowerCase()), {
    message: `must name one build (a version such as 1.4.2 or a commit SHA), not a moving tag like ${FLOATING_TAGS.join(", ")}`,
  });

/** A Secrets Manager secret name (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html). */
const secretName = z
  .string()
  .regex(/^[\w/+=.@-]{1,512}$/, { message: "must be a Secrets Manager secret name (letters, digits and /_+=.@-)" });

/** Where one severity's alarms go besides its SNS topic. */
const alertRecipientFields = {
  /** E-mail addresses subscribed to the topic; each confirms once from the message SNS sends it. */
  emails: z.array(z.email({ error: "must be an e-mail address" })).default([]),
  /**
   * A Slack channel AWS Chatbot posts the alarms to; the workspace is authorised once in the Chatbot console. Ids as
   * the Chatbot API takes them (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html).
   */
  slack: strictObject({
    workspaceId: z
      .string()
      .regex(/^[0-9A-Z]{1,255}$/, { message: "must be a Slack workspace (team) id such as T07ABCDE12" }),
    channelId: z.string().regex(/^[A-Za-z0-9]{1,255}$/, { message: "must be a Slack channel id such as C07ABCDE12" }),
  }).optional(),
};
const alertRecipients = strictObject(alertRecipientFields);

const percent = z.number().gt(0, "must be a percentage above 0").lt(100, "must be a percentage below 100");
const periods = z.number().int("must be a whole number of periods").min(1, "must be 1-10").max(10, "must be 1-10");

const service = strictObject({
  /** The image tag to run, from the service's ECR repository. */
  imageTag,
  /** Task cpu units (1024 = 1 vCPU). */
  cpu: z.number().refine((cpu) => FARGATE_CPU_VALUES.includes(cpu), {
    message: `must be a Fargate task cpu value: ${FARGATE_CPU_VALUES.join(", ")}`,
  }),
  /** Task memory in MiB; must be a size Fargate pairs with `cpu`. */
  memory: z.number().int("must be a whole number of MiB"),
  /** Tasks running at steady state; also the auto-scaling minimum. */
  desiredCount: z.number().int().min(1, "must be at least 1"),
  /** The auto-scaling ceiling. */
  maxCount: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(MAX_TASKS_PER_SERVICE, `must be at most ${MAX_TASKS_PER_SERVICE}`),
}).superRefine((size, ctx) => {
  const memoryOptions = fargateMemoryFor(size.cpu);
  if (memoryOptions.length > 0 && !memoryOptions.includes(size.memory)) {
    ctx.addIssue({
      code: "custom",
      path: ["memory"],
      message: `is not a Fargate size for cpu ${size.cpu}; allowed: ${describeMemoryOptions(memoryOptions)}`,
    });
  }
  if (size.desiredCount > size.maxCount) {
    ctx.addIssue({ code: "custom", path: ["desiredCount"], message: `must not exceed maxCount (${size.maxCount})` });
  }
});

const rawSettings = strictObject({
  "cloudweave:environment": z.enum(ENVIRONMENTS, { error: `must be one of: ${ENVIRONMENTS.join(", ")}` }),
  "aws:region": z.string({ error: "must be set to an AWS region such as us-east-1" }).regex(REGION, {
    message: "must be an AWS region name such as us-east-1 or eu-west-2",
  }),
  // The provider refuses credentials of any other account, so a stack can never be deployed into the wrong one.
  "aws:allowedAccountIds": z
    .array(z.string().regex(ACCOUNT_ID, { message: "must be a 12-digit AWS account id" }), {
      error: 'must list the stack\'s AWS account id, e.g. ["111122223333"]',
    })
    .length(1, "must list exactly one account: the one this stack deploys into"),
  "cloudweave:vpc": strictObject({
    cidr: vpcCidr,
    availabilityZones: z
      .array(z.string())
      .min(
        MIN_AVAILABILITY_ZONES,
        `must list at least ${MIN_AVAILABILITY_ZONES} availability zones (the design spreads every tier over 3)`,
      ),
    subnets: strictObject({
      public: z.array(subnetCidr),
      private: z.array(subnetCidr),
      database: z.array(subnetCidr),
    }),
    natGateways: z.enum(NAT_STRATEGIES, { error: `must be one of: ${NAT_STRATEGIES.join(", ")}` }),
    flowLogs: strictObject({
      retentionInDays: logRetention,
      trafficType: z.enum(["ALL", "ACCEPT", "REJECT"], { error: "must be one of: ALL, ACCEPT, REJECT" }).default("ALL"),
    }).default({ retentionInDays: 365, trafficType: "ALL" }),
  }),
  "cloudweave:database": strictObject({
    engineVersion: z
      .string()
      .regex(/^15(\.\d+)?$/, { message: 'must be a PostgreSQL 15 version: "15" (newest minor) or "15.<minor>"' })
      .default("15"),
    allocatedStorage: z
      .number()
      .int()
      .min(20, "must be 20-65536 GiB (gp3)")
      .max(65536, "must be 20-65536 GiB (gp3)")
      .default(20),
    maxAllocatedStorage: z.number().int().max(65536, "must be at most 65536 GiB").default(100),
    instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, {
      message: "must be an RDS instance class such as db.t3.medium",
    }),
    multiAZ: z.boolean({ error: "must be true or false" }),
    /** RDS's daily automated-backup window, UTC, at least 30 minutes (RDS CreateDBInstance PreferredBackupWindow). */
    backupWindow: z
      .string()
      .regex(DAILY_WINDOW, { message: 'must be a daily window "hh24:mi-hh24:mi" (UTC)' })
      .default("03:30-04:00"),
    /** RDS's weekly maintenance window, UTC, at least 30 minutes (RDS PreferredMaintenanceWindow). */
    maintenanceWindow: z
      .string()
      .regex(WEEKLY_WINDOW, {
        message: 'must be a weekly window "ddd:hh24:mi-ddd:hh24:mi" (UTC), e.g. sun:02:00-sun:02:30',
      })
      .default("sun:02:00-sun:02:30"),
    /** Disaster recovery: build the instance from a backup (docs/runbook-restore.md). */
    restoreFrom: z
      .union(
        [
          strictObject({
            snapshot: z.string().min(1, "must name an RDS snapshot (identifier or ARN)"),
          }),
          strictObject({
            automatedBackupsArn: z.string().regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:auto-backup:ab-[a-z0-9]+$/, {
              message:
                "must be the ARN of replicated automated backups (arn:aws:rds:<region>:<account>:auto-backup:ab-...)",
            }),
            restoreTime: z.iso
              .datetime({ offset: true, message: "must be an RFC 3339 time such as 2026-11-25T03:00:00Z" })
              .optional(),
          }),
        ],
        { error: "must be { snapshot } or { automatedBackupsArn, restoreTime? }" },
      )
      .optional(),
    backupRetention: z
      .number()
      .int("must be a whole number of days")
      .min(
        BACKUP_RETENTION_RANGE.min,
        `must be ${BACKUP_RETENTION_RANGE.min}-${BACKUP_RETENTION_RANGE.max} days (AWS keeps automated backups 1-35 days)`,
      )
      .max(
        BACKUP_RETENTION_RANGE.max,
        `must be ${BACKUP_RETENTION_RANGE.min}-${BACKUP_RETENTION_RANGE.max} days (AWS keeps automated backups 1-35 days)`,
      ),
  }),
  "cloudweave:cache": strictObject({
    engineVersion: z
      .string()
      .regex(/^7\.\d+$/, { message: 'must be a Redis 7 version such as "7.1"' })
      .default("7.1"),
    nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, {
      message: "must be an ElastiCache node type such as cache.t3.micro",
    }),
    replicas: z.number().int().min(0, "must be 0-5").max(5, "must be 0-5"),
    multiAZ: z.boolean({ error: "must be true or false" }),
    snapshotRetention: z.number().int().min(0, "must be 0-35 days").max(35, "must be 0-35 days"),
    /** ElastiCache's daily snapshot window, UTC (CreateReplicationGroup SnapshotWindow). */
    snapshotWindow: z
      .string()
      .regex(DAILY_WINDOW, { message: 'must be a daily window "hh24:mi-hh24:mi" (UTC)' })
      .default("00:30-01:30"),
    /** ElastiCache's weekly maintenance window, UTC, at least 60 minutes (PreferredMaintenanceWindow). */
    maintenanceWindow: z
      .string()
      .regex(WEEKLY_WINDOW, {
        message: 'must be a weekly window "ddd:hh24:mi-ddd:hh24:mi" (UTC), e.g. sun:02:30-sun:03:30',
      })
      .default("sun:02:30-sun:03:30"),
  }),
  "cloudweave:logs": strictObject({
    retentionInDays: logRetention,
  }).default({ retentionInDays: 365 }),
  "cloudweave:compute": strictObject({ frontend: service, backend: service }),
  "cloudweave:scaling": strictObject({
    /** Average service CPU (%) above which tasks are added (seed: 70). */
    scaleOutCpuPercent: percent.default(70),
    /** Consecutive one-minute periods above it before scaling out (seed: 2). */
    scaleOutPeriods: periods.default(2),
    /** Average service CPU (%) below which tasks are removed (seed: 30). */
    scaleInCpuPercent: percent.default(30),
    /** Consecutive one-minute periods below it before scaling in (seed: 5). */
    scaleInPeriods: periods.default(5),
    /** Average memory (%) a target-tracking policy holds the service at by adding tasks. */
    memoryTargetPercent: percent.default(75),
  })
    .superRefine((scaling, ctx) => {
      if (scaling.scaleInCpuPercent >= scaling.scaleOutCpuPercent) {
        ctx.addIssue({
          code: "custom",
          path: ["scaleInCpuPercent"],
          message: `must be below scaleOutCpuPercent (${scaling.scaleOutCpuPercent}), or the service would flap`,
        });
      }
    })
    .default({
      scaleOutCpuPercent: 70,
      scaleOutPeriods: 2,
      scaleInCpuPercent: 30,
      scaleInPeriods: 5,
      memoryTargetPercent: 75,
    }),
  "cloudweave:deployment": strictObject({
    /** Minutes ECS keeps the old (blue) tasks after shifting traffic, ready for an instant rollback. */
    bakeTimeMinutes: z
      .number()
      .int("must be a whole number of minutes")
      .min(0, "must be 0-1440 minutes")
      .max(1440, "must be 0-1440 minutes"),
    /** Target 5xx responses per minute (two minutes running) that make ECS roll a deployment back. */
    rollbackOn5xxPerMinute: z.number().int().min(1, "must be at least 1").default(10),
    /**
     * How traffic moves to a new version: all at once after testing (BLUE_GREEN), a share first (CANARY), or in
     * steps (LINEAR). Set CANARY for a high-risk release, in the release's pull request or for one deploy.
     */
    strategy: z
      .enum(["BLUE_GREEN", "CANARY", "LINEAR"], { error: "must be BLUE_GREEN, CANARY or LINEAR" })
      .default("BLUE_GREEN"),
    /** CANARY: the share of traffic (%) the new version gets first, and for how many minutes. */
    canary: strictObject({
      // ECS accepts up to 100; a canary is a minority of the traffic, or it is just a blue/green switch.
      percent: z
        .number()
        .min(0.1, "must be 0.1-50 percent (a canary is a minority of the traffic)")
        .max(50, "must be 0.1-50 percent (a canary is a minority of the traffic)"),
      bakeMinutes: z.number().int().min(0, "must be 0-1440 minutes").max(1440, "must be 0-1440 minutes"),
    }).default({ percent: 10, bakeMinutes: 10 }),
    /** LINEAR: the share of traffic (%) each step moves, and the minutes between steps. */
    linear: strictObject({
      stepPercent: z.number().min(3, "must be 3-100 percent").max(100, "must be 3-100 percent"),
      stepBakeMinutes: z.number().int().min(0, "must be 0-1440 minutes").max(1440, "must be 0-1440 minutes"),
    }).default({ stepPercent: 25, stepBakeMinutes: 5 }),
    /**
     * Minutes CI's deploy credentials last: the bootstrap deploy roles' maxSessionSeconds and deploy.yml's
     * role-duration-seconds. A release must finish within them, or `pulumi up` loses its credentials mid-rollout.
     */
    ciSessionMinutes: z
      .number()
      .int()
      .min(15, "must be 15-720 minutes (IAM role sessions)")
      .max(720, "must be 15-720 minutes (IAM role sessions)")
      .default(120),
  }),
  "cloudweave:domain": strictObject({
    /** The name users browse to. */
    name: domainName,
    /** The Route 53 hosted zone that holds `name`. */
    hostedZone: domainName,
    /** Create the hosted zone (a new account) instead of looking up an existing one. */
    createHostedZone: z.boolean({ error: "must be true or false" }).default(false),
  }),
  "cloudweave:edge": strictObject({
    /** Which CloudFront edge locations serve viewers (and what they cost). */
    priceClass: z.enum(PRICE_CLASSES, { error: `must be one of: ${PRICE_CLASSES.join(", ")}` }),
    /** Requests one client IP may make in any 5 minutes before WAF blocks it. */
    rateLimitPer5Minutes: z
      .number()
      .int("must be a whole number of requests")
      .min(10, "must be 10-2000000000 requests per 5 minutes (WAF's range)")
      .max(2_000_000_000, "must be 10-2000000000 requests per 5 minutes (WAF's range)"),
    /** The oldest TLS viewers may use. */
    minimumTlsVersion: z
      .enum(VIEWER_TLS_POLICIES, { error: `must be one of: ${VIEWER_TLS_POLICIES.join(", ")}` })
      .default("TLSv1.2_2021"),
  }),
  "cloudweave:alarms": strictObject({
    /** Load-balancer 5xx responses (ELB and targets) as a share of requests, over 5 minutes (critical). */
    http5xxPercent: percent.default(5),
    /** p95 target response time in seconds, over 5 minutes (warning). */
    targetResponseP95Seconds: z.number().positive("must be a positive number of seconds").default(1.5),
    /** Average service CPU and memory (%) for 10 minutes (warning); above the scaling thresholds on purpose. */
    serviceCpuPercent: percent.default(85),
    serviceMemoryPercent: percent.default(85),
    /** RDS CPU (%) for 15 minutes (warning). */
    databaseCpuPercent: percent.default(80),
    /** RDS free storage below this many GiB (critical; storage autoscaling should have acted first). */
    databaseFreeStorageGiB: z.number().positive("must be a positive number of GiB").default(5),
    /** RDS connections (warning): size it to the instance class's max_connections. */
    databaseConnections: z
      .number({ error: "must be set to a connection count below the instance class's max_connections, e.g. 300" })
      .int()
      .positive("must be a positive number of connections"),
    /** Redis engine CPU and memory (%) for 10 minutes (warning). */
    cacheEngineCpuPercent: percent.default(80),
    cacheMemoryPercent: percent.default(80),
    /** Redis evictions per 5 minutes (warning): the cache is too small for its working set. */
    cacheEvictionsPer5Minutes: z.number().int().min(1, "must be at least 1").default(100),
    /** Redis replication lag in seconds (warning). */
    cacheReplicationLagSeconds: z.number().positive("must be a positive number of seconds").default(5),
    /** WAF-blocked requests per 5 minutes (warning): an attack or a false positive. */
    wafBlockedPer5Minutes: z.number().int().min(1, "must be at least 1").default(1000),
    /** Backend error log lines per 5 minutes (warning). */
    backendErrorsPer5Minutes: z.number().int().min(1, "must be at least 1").default(25),
  }),
  "cloudweave:alerting": strictObject({
    /** Who hears of alarms that need someone now (users see errors, data at risk): paged and/or told. */
    critical: strictObject({
      ...alertRecipientFields,
      /**
       * Page through PagerDuty: the name of a Secrets Manager secret in the stack's account and region that holds the
       * service's CloudWatch integration URL (created once by the on-call owner, docs/delivery.md). The program reads
       * it at deploy time; the URL never appears in a stack file.
       */
      pagerDuty: strictObject({ integrationUrlSecret: secretName }).optional(),
    }),
    /** Who hears of alarms for working hours (latency, saturation, rolled-back releases). */
    warning: alertRecipients,
    /**
     * Production must page for critical alarms; a production stack without `critical.pagerDuty` must say why here
     * (for example while the PagerDuty service is being set up). The plan and `pulumi preview` repeat it.
     */
    unpagedReason: z.string().min(10, "must say in a sentence why production pages no one").optional(),
  }),
  "cloudweave:tracing": strictObject({
    /** Share of requests (%) the X-Ray sampling rule traces beyond its reservoir of one per second. */
    samplingPercent: z.number().min(0, "must be 0-100").max(100, "must be 0-100"),
  }),
  "cloudweave:backup": strictObject({
    /** The second region: backup copies, replicated automated backups, and where the runbook restores. */
    drRegion: z.string().regex(REGION, { message: "must be an AWS region name such as us-west-2" }),
    /** Days continuous backups (point-in-time recovery, RPO minutes) are kept: 1-35. */
    pointInTimeRetentionDays: z.number().int().min(1, "must be 1-35 days").max(35, "must be 1-35 days"),
    /** Days the daily snapshots are kept. */
    dailyRetentionDays: z.number().int().min(1, "must be at least 1 day"),
    /** Copy the daily snapshots to a vault in drRegion, kept this many days (0: no copies). */
    copyRetentionDays: z.number().int().min(0, "must be 0 (no copies) or more days"),
    /** Replicate RDS automated backups (point-in-time recovery) to drRegion. */
    replicateAutomatedBackups: z.boolean({ error: "must be true or false" }),
    /** Lock the vaults (compliance mode after a 3-day grace period): nobody can delete recovery points early. */
    vaultLock: z.boolean({ error: "must be true or false" }),
    /** How often AWS Backup restore-tests the newest recovery point. */
    restoreTests: z.enum(["daily", "weekly"], { error: "must be daily or weekly" }),
    /** When (UTC) the continuous-backup rule runs each day; its start window follows. */
    continuousBackupStart: z
      .string()
      .regex(TIME_OF_DAY, { message: 'must be a time of day "hh24:mi" (UTC)' })
      .default("04:30"),
    /** When (UTC) the daily snapshot rule runs; its start window follows. */
    dailyBackupStart: z
      .string()
      .regex(TIME_OF_DAY, { message: 'must be a time of day "hh24:mi" (UTC)' })
      .default("06:00"),
    /** Minutes a scheduled backup may take to start before it counts as missed (AWS Backup: at least 60). */
    startWindowMinutes: z.number().int().min(60, "must be at least 60 minutes (AWS Backup's minimum)").default(60),
    /** When (UTC) the restore tests start, after the day's backups. */
    restoreTestStart: z
      .string()
      .regex(TIME_OF_DAY, { message: 'must be a time of day "hh24:mi" (UTC)' })
      .default("09:00"),
  }),
  "cloudweave:featureFlags": strictObject({
    /** The flags that are on in this stack; the others are off. */
    enabled: z.array(
      z.enum(Object.keys(FEATURE_FLAGS) as [string, ...string[]], {
        error: `must name a flag the backend knows: ${Object.keys(FEATURE_FLAGS).join(", ")}`,
      }),
    ),
    /** How a flag change spreads: over how many minutes, how much more of the fleet each step, then a bake. */
    rollout: strictObject({
      durationMinutes: z.number().int().min(0, "must be 0-1440 minutes").max(1440, "must be 0-1440 minutes"),
      growthPercent: z.number().min(1, "must be 1-100 percent").max(100, "must be 1-100 percent"),
      bakeMinutes: z.number().int().min(0, "must be 0-1440 minutes").max(1440, "must be 0-1440 minutes"),
    }),
  }),
  "cloudweave:faultInjection": strictObject({
    /**
     * Run the fault-injection sidecar (an SSM agent) in both services' tasks, so FIS can stress their CPU. It runs as
     * root with a writable root filesystem: meant for staging; production's policy pack refuses it.
     */
    taskAgent: z.boolean({ error: "must be true or false" }).default(false),
    /** The sidecar's SSM agent image, pinned to a release (default: the component's pinned release). */
    agentImage: z
      .string()
      .regex(/^public\.ecr\.aws\/amazon-ssm-agent\/amazon-ssm-agent:\d+(\.\d+){3}$/, {
        message: "must be public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:<release>, e.g. :3.3.1142.0",
      })
      .optional(),
    /** Share of each service's tasks the stop-tasks experiments stop (%). */
    stopTaskPercent: z.number().int().min(1, "must be 1-100 percent").max(100, "must be 1-100 percent").default(50),
    /** The CPU-stress experiments' load (%): above cloudweave:scaling.scaleOutCpuPercent, or nothing scales. */
    cpuStressPercent: z.number().int().min(1, "must be 1-100 percent").max(100, "must be 1-100 percent").default(90),
    /** How long the CPU stress lasts: long enough for the scale-out alarm and the new tasks. */
    cpuStressMinutes: z.number().int().min(1, "must be 1-60 minutes").max(60, "must be 1-60 minutes").default(10),
    /** How long the Redis failover experiment cuts power to the primary's AZ. */
    cacheOutageMinutes: z.number().int().min(1, "must be 1-60 minutes").max(60, "must be 1-60 minutes").default(5),
  }).default({
    taskAgent: false,
    stopTaskPercent: 50,
    cpuStressPercent: 90,
    cpuStressMinutes: 10,
    cacheOutageMinutes: 5,
  }),
  "cloudweave:recovery": strictObject({
    /**
     * This stack recovers production in the second region behind production's CloudFront (docs/runbook-restore.md):
     * the ARN of the origin-verification secret's replica in this region.
     */
    originVerifySecretArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, {
      message: "must be the ARN of the origin-verification secret's replica in this stack's region",
    }),
  }).optional(),
  "aws:defaultTags": strictObject({
    tags: z.record(z.string(), z.string({ error: "must be a string" })),
  }).optional(),
  "cloudweave:deletionProtection": z.boolean({ error: "must be true or false" }).optional(),
});

const rawConfigSchema = rawSettings.superRefine((raw, ctx) => {
  const production = raw["cloudweave:environment"] === "production";
  const region = raw["aws:region"];
  const vpc = raw["cloudweave:vpc"];

  const environmentTag = raw["aws:defaultTags"]?.tags[ENVIRONMENT_TAG];
  if (environmentTag !== raw["cloudweave:environment"]) {
    ctx.addIssue({
      code: "custom",
      path: ["aws:defaultTags", "tags", ENVIRONMENT_TAG],
      message: `must equal cloudweave:environment (${raw["cloudweave:environment"]}): the deploy roles act only on resources tagged with their own environment`,
    });
  }

  vpc.availabilityZones.forEach((zone, index) => {
    if (!new RegExp(`^${region}[a-z]$`).test(zone)) {
      ctx.addIssue({
        code: "custom",
        path: ["cloudweave:vpc", "availabilityZones", index],
        message: `must be an availability zone of aws:region ${region}, e.g. ${region}a`,
      });
    }
  });
  const duplicateZone = vpc.availabilityZones.findIndex((zone, index) => vpc.availabilityZones.indexOf(zone) !== index);
  if (duplicateZone >= 0) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:vpc", "availabilityZones", duplicateZone],
      message: "is listed twice; each availability zone may appear once",
    });
  }

  // Field checks above have already reported unparsable blocks; the checks between blocks skip them.
  const vpcBlock = parseIpv4Block(vpc.cidr);

  const seen: { block: Ipv4Block; path: (string | number)[] }[] = [];
  for (const tier of SUBNET_TIERS) {
    const cidrs = vpc.subnets[tier];
    if (cidrs.length !== vpc.availabilityZones.length) {
      ctx.addIssue({
        code: "custom",
        path: ["cloudweave:vpc", "subnets", tier],
        message: `must list one CIDR per availability zone (${vpc.availabilityZones.length}), in the order of availabilityZones`,
      });
    }
    cidrs.forEach((cidr, index) => {
      const path = ["cloudweave:vpc", "subnets", tier, index];
      const block = parseIpv4Block(cidr);
      if (!block) return;
      if (vpcBlock && !blockContains(vpcBlock, block)) {
        ctx.addIssue({ code: "custom", path, message: `must lie inside the VPC CIDR ${vpc.cidr}` });
      }
      const clash = seen.find((other) => blocksOverlap(other.block, block));
      if (clash) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `overlaps ${formatPath(clash.path)} (${clash.block.text}); subnets must not overlap`,
        });
      }
      seen.push({ block, path });
    });
  }

  if (production && vpc.natGateways !== "one-per-az") {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:vpc", "natGateways"],
      message: 'must be "one-per-az" in production, so losing one AZ does not cut the others off from the internet',
    });
  }

  const database = raw["cloudweave:database"];
  if (database.backupRetention < MIN_BACKUP_RETENTION) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:database", "backupRetention"],
      message: `must be at least ${MIN_BACKUP_RETENTION} days (the design's backup retention, in every environment), at most ${BACKUP_RETENTION_RANGE.max}`,
    });
  }
  if (database.maxAllocatedStorage <= database.allocatedStorage) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:database", "maxAllocatedStorage"],
      message: `must exceed allocatedStorage (${database.allocatedStorage} GiB): it is the storage autoscaling ceiling`,
    });
  }
  if (production && !database.multiAZ) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:database", "multiAZ"],
      message: "must be true in production (the design runs RDS Multi-AZ)",
    });
  }

  const cache = raw["cloudweave:cache"];
  if (cache.multiAZ && cache.replicas < 1) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:cache", "replicas"],
      message: "must be at least 1 when multiAZ is true (failover needs a replica to promote)",
    });
  }
  if (production && !cache.multiAZ) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:cache", "multiAZ"],
      message: "must be true in production (automatic failover to a replica in another AZ)",
    });
  }
  if (production && cache.snapshotRetention < 1) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:cache", "snapshotRetention"],
      message: "must be at least 1 day in production, at most 35",
    });
  }

  for (const service of ["frontend", "backend"] as const) {
    if (production && raw["cloudweave:compute"][service].desiredCount < PRODUCTION_MIN_TASKS) {
      ctx.addIssue({
        code: "custom",
        path: ["cloudweave:compute", service, "desiredCount"],
        message: `must be at least ${PRODUCTION_MIN_TASKS} in production, so a task or an AZ can fail without an outage`,
      });
    }
  }

  if (production && raw["cloudweave:deployment"].bakeTimeMinutes < PRODUCTION_MIN_BAKE_MINUTES) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:deployment", "bakeTimeMinutes"],
      message: `must be at least ${PRODUCTION_MIN_BAKE_MINUTES} minutes in production, so the rollback alarms can judge the new version before the old one is gone`,
    });
  }

  const backup = raw["cloudweave:backup"];
  if (backup.drRegion === region) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:backup", "drRegion"],
      message: `must differ from aws:region (${region}): a regional outage must not take the backups with it`,
    });
  }
  const recovery = raw["cloudweave:recovery"];
  if (recovery && !database.restoreFrom) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:database", "restoreFrom"],
      message: "must be set when cloudweave:recovery is: a recovery stack restores the database from a backup",
    });
  }
  if (recovery && !recovery.originVerifySecretArn.includes(`:${region}:`)) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:recovery", "originVerifySecretArn"],
      message: `must be the replica in aws:region ${region}`,
    });
  }
  // A recovery stack runs while the primary region is down: it cannot protect itself there until that is back.
  if (production && !recovery) {
    const required: [keyof typeof backup, boolean, string][] = [
      [
        "copyRetentionDays",
        backup.copyRetentionDays >= MIN_BACKUP_RETENTION,
        `must be at least ${MIN_BACKUP_RETENTION} in production (cross-region copies are the regional-outage recovery)`,
      ],
      [
        "replicateAutomatedBackups",
        backup.replicateAutomatedBackups,
        "must be true in production (point-in-time recovery in the second region keeps the 1-hour RPO through a regional outage)",
      ],
      ["vaultLock", backup.vaultLock, "must be true in production (recovery points nobody can delete early)"],
      [
        "restoreTests",
        backup.restoreTests === "daily",
        'must be "daily" in production, so a broken backup is found within a day',
      ],
    ];
    for (const [key, ok, message] of required) {
      if (!ok) ctx.addIssue({ code: "custom", path: ["cloudweave:backup", key], message });
    }
  }
  if (backup.dailyRetentionDays < database.backupRetention) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:backup", "dailyRetentionDays"],
      message: `must be at least cloudweave:database.backupRetention (${database.backupRetention})`,
    });
  }

  const deploymentSettings = raw["cloudweave:deployment"];
  const releaseMinutes = deploymentTimeoutMinutes(deploymentSettings) + PULUMI_UP_OVERHEAD_MINUTES;
  if (releaseMinutes > deploymentSettings.ciSessionMinutes) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:deployment", "strategy"],
      message: `rolls out for ${releaseMinutes} minutes (tasks starting and tested, ${deploymentSettings.strategy} shifts and bakes, the rest of pulumi up), longer than CI's deploy session (cloudweave:deployment.ciSessionMinutes = ${deploymentSettings.ciSessionMinutes}): shorten the bakes or steps`,
    });
  }

  const faults = raw["cloudweave:faultInjection"];
  // Every service has a stop-tasks experiment: it must stop at least one task and leave at least one running,
  // whichever way FIS rounds PERCENT(n) (https://docs.aws.amazon.com/fis/latest/userguide/targets.html#target-selection-mode).
  for (const serviceName of ["frontend", "backend"] as const) {
    const size = raw["cloudweave:compute"][serviceName];
    const share = (size.desiredCount * faults.stopTaskPercent) / 100;
    if (Math.floor(share) < 1 || Math.ceil(share) > size.desiredCount - 1) {
      ctx.addIssue({
        code: "custom",
        path: ["cloudweave:compute", serviceName, "desiredCount"],
        message: `must leave the stop-tasks experiment (cloudweave:faultInjection.stopTaskPercent = ${faults.stopTaskPercent}) at least one task to stop and one to keep: ${size.desiredCount} task${size.desiredCount === 1 ? "" : "s"} cannot`,
      });
    }
    if (faults.taskAgent && size.maxCount <= size.desiredCount) {
      ctx.addIssue({
        code: "custom",
        path: ["cloudweave:compute", serviceName, "maxCount"],
        message: `must exceed desiredCount (${size.desiredCount}) where the CPU-stress experiment runs (cloudweave:faultInjection.taskAgent): it proves that auto scaling adds tasks`,
      });
    }
  }
  if (faults.cpuStressPercent <= raw["cloudweave:scaling"].scaleOutCpuPercent) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:faultInjection", "cpuStressPercent"],
      message: `must be above cloudweave:scaling.scaleOutCpuPercent (${raw["cloudweave:scaling"].scaleOutCpuPercent}), or the experiment proves nothing`,
    });
  }

  checkWindows(raw, ctx);

  const alerting = raw["cloudweave:alerting"];
  for (const severity of ["critical", "warning"] as const) {
    const recipients = alerting[severity];
    const paged = severity === "critical" && alerting.critical.pagerDuty !== undefined;
    if (recipients.emails.length === 0 && !recipients.slack && !paged) {
      ctx.addIssue({
        code: "custom",
        path: ["cloudweave:alerting", severity],
        message: `must name at least one recipient (emails${severity === "critical" ? ", slack or pagerDuty" : " or slack"}): ${severity} alarms would reach no one`,
      });
    }
  }
  if (production && !recovery && !alerting.critical.pagerDuty && alerting.unpagedReason === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:alerting", "critical", "pagerDuty"],
      message:
        "must be set in production, so critical alarms page someone; to deploy without paging, say why in cloudweave:alerting.unpagedReason",
    });
  }
  if (alerting.critical.pagerDuty && alerting.unpagedReason !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:alerting", "unpagedReason"],
      message: "must not be set when critical.pagerDuty pages someone",
    });
  }

  const domain = raw["cloudweave:domain"];
  if (domain.name !== domain.hostedZone && !domain.name.endsWith(`.${domain.hostedZone}`)) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:domain", "name"],
      message: `must be ${domain.hostedZone} or a name under it (the hostedZone)`,
    });
  }
});

/**
 * Backups, snapshots and maintenance must not collide: RDS refuses a backup window that overlaps its maintenance
 * window (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ManagingAutomatedBackups.html); AWS Backup
 * cannot start within an hour before or during it (BACKUP_MARGIN_MINUTES), and two rules whose start windows overlap
 * make it skip the shorter-lived one (plan-options-and-configuration.html); ElastiCache snapshots must stay out of its
 * maintenance window (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-automatic.html).
 */
function checkWindows(raw: z.output<typeof rawSettings>, ctx: z.RefinementCtx): void {
  const database = raw["cloudweave:database"];
  const cache = raw["cloudweave:cache"];
  const backup = raw["cloudweave:backup"];
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });

  if (dailyDuration(database.backupWindow) < 30) {
    issue(["cloudweave:database", "backupWindow"], "must last at least 30 minutes (RDS)");
  }
  if (weeklyDuration(database.maintenanceWindow) < 30) {
    issue(["cloudweave:database", "maintenanceWindow"], "must last at least 30 minutes (RDS)");
  }
  if (weeklyDuration(cache.maintenanceWindow) < 60) {
    issue(["cloudweave:cache", "maintenanceWindow"], "must last at least 60 minutes (ElastiCache)");
  }
  const rdsBackup = dailyWindow(database.backupWindow);
  const rdsMaintenance = weeklyWindow(database.maintenanceWindow);
  if (overlaps(rdsBackup, rdsMaintenance)) {
    issue(
      ["cloudweave:database", "backupWindow"],
      `must not overlap cloudweave:database.maintenanceWindow (${database.maintenanceWindow}): RDS refuses it`,
    );
  }
  if (overlaps(dailyWindow(cache.snapshotWindow), weeklyWindow(cache.maintenanceWindow))) {
    issue(
      ["cloudweave:cache", "snapshotWindow"],
      `must not overlap cloudweave:cache.maintenanceWindow (${cache.maintenanceWindow})`,
    );
  }
  const rules: [string, Spans][] = [
    ["continuousBackupStart", everyDay(backup.continuousBackupStart, backup.startWindowMinutes)],
    ["dailyBackupStart", everyDay(backup.dailyBackupStart, backup.startWindowMinutes)],
  ];
  for (const [key, starts] of rules) {
    const blocked: [string, Spans][] = [
      [`cloudweave:database.maintenanceWindow (${database.maintenanceWindow})`, rdsMaintenance],
      [`cloudweave:database.backupWindow (${database.backupWindow})`, rdsBackup],
    ];
    for (const [what, spans] of blocked) {
      if (overlaps(starts, widenedBefore(spans, BACKUP_MARGIN_MINUTES))) {
        issue(
          ["cloudweave:backup", key],
          `must not start (within its ${backup.startWindowMinutes}-minute start window) during or in the ${BACKUP_MARGIN_MINUTES} minutes before ${what}: AWS Backup cannot start then`,
        );
      }
    }
  }
  if (overlaps(rules[0]![1], rules[1]![1])) {
    issue(
      ["cloudweave:backup", "dailyBackupStart"],
      `must not overlap the continuous rule's start window (${backup.continuousBackupStart} + ${backup.startWindowMinutes} minutes): AWS Backup would skip one`,
    );
  }
}

/** The stack settings as they are written in `Pulumi.<stack>.yaml`, keyed by their full config key. */
export type RawStackConfig = z.input<typeof rawConfigSchema>;

type Parsed = z.output<typeof rawConfigSchema>;

/** The validated settings of one stack: the only way configuration reaches `index.ts` and the components. */
export interface StackConfig {
  /** `cloudweave:environment`. */
  readonly environment: Parsed["cloudweave:environment"];
  /** True for the production environment; switches on the design's production-only safeguards. */
  readonly isProduction: boolean;
  /** `aws:region`: where the stack's regional resources live. */
  readonly region: string;
  /** `aws:allowedAccountIds[0]`: the AWS account the stack deploys into (its providers allow no other). */
  readonly accountId: string;
  /** `cloudweave:vpc`. */
  readonly vpc: Parsed["cloudweave:vpc"];
  /** `cloudweave:database`. */
  readonly database: Parsed["cloudweave:database"];
  /** `cloudweave:cache`. */
  readonly cache: Parsed["cloudweave:cache"];
  /** `cloudweave:logs`: retention of the stack's service log groups (database, cache, later the services). */
  readonly logs: Parsed["cloudweave:logs"];
  /** `cloudweave:compute`: each service's image, task size and task count range. */
  readonly compute: Parsed["cloudweave:compute"];
  /** `cloudweave:scaling`: the CPU step-scaling thresholds and the memory target, for both services. */
  readonly scaling: Parsed["cloudweave:scaling"];
  /** `cloudweave:deployment`: blue/green bake time and the rollback alarm's threshold. */
  readonly deployment: Parsed["cloudweave:deployment"];
  /** `cloudweave:domain`. */
  readonly domain: Parsed["cloudweave:domain"];
  /** `cloudweave:alarms`: the thresholds of the alarms that notify people. */
  readonly alarms: Parsed["cloudweave:alarms"];
  /** `cloudweave:alerting`: who receives each severity's alarms, and whether critical ones page. */
  readonly alerting: Parsed["cloudweave:alerting"];
  /** `cloudweave:tracing`. */
  readonly tracing: Parsed["cloudweave:tracing"];
  /** `cloudweave:backup`: AWS Backup, cross-region copies and restore testing. */
  readonly backup: Parsed["cloudweave:backup"];
  /** `cloudweave:featureFlags`: which flags are on, and how a change rolls out. */
  readonly featureFlags: Parsed["cloudweave:featureFlags"];
  /** `cloudweave:faultInjection`: the task experiments' sidecar and how many tasks they stop. */
  readonly faultInjection: Parsed["cloudweave:faultInjection"];
  /** `cloudweave:recovery`: set only on a stack that recovers production in the second region. */
  readonly recovery: Parsed["cloudweave:recovery"];
  /** `cloudweave:edge`: CloudFront and WAF settings. */
  readonly edge: Parsed["cloudweave:edge"];
  /** `aws:defaultTags.tags`: the tags every resource gets, also through the program's own providers. */
  readonly defaultTags: Readonly<Record<string, string>>;
  /** `cloudweave:deletionProtection` (default: on in production): protects stateful resources from deletion. */
  readonly deletionProtection: boolean;
}

/** Raised when a stack's settings are invalid; its message lists every problem with key, value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * True for a {@link ConfigError}, also one thrown by another load of this module (the offline harness reloads the
 * program's modules for every run, so `instanceof` is not enough).
 */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof Error && error.name === "ConfigError" && Array.isArray((error as ConfigError).problems);
}

/**
 * Validates raw stack settings (keyed `cloudweave:vpc`, `aws:region`, ...) into a {@link StackConfig}.
 * Throws a {@link ConfigError} naming every bad key, its value and what is allowed.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const result = rawConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(raw, issue)));
  }
  const parsed = result.data;
  const isProduction = parsed["cloudweave:environment"] === "production";
  return {
    environment: parsed["cloudweave:environment"],
    isProduction,
    region: parsed["aws:region"],
    accountId: parsed["aws:allowedAccountIds"][0] as string,
    vpc: parsed["cloudweave:vpc"],
    database: parsed["cloudweave:database"],
    cache: parsed["cloudweave:cache"],
    logs: parsed["cloudweave:logs"],
    compute: parsed["cloudweave:compute"],
    scaling: parsed["cloudweave:scaling"],
    deployment: parsed["cloudweave:deployment"],
    domain: parsed["cloudweave:domain"],
    edge: parsed["cloudweave:edge"],
    recovery: parsed["cloudweave:recovery"],
    featureFlags: parsed["cloudweave:featureFlags"],
    faultInjection: parsed["cloudweave:faultInjection"],
    alarms: parsed["cloudweave:alarms"],
    alerting: parsed["cloudweave:alerting"],
    tracing: parsed["cloudweave:tracing"],
    backup: parsed["cloudweave:backup"],
    defaultTags: parsed["aws:defaultTags"]?.tags ?? {},
    deletionProtection: parsed["cloudweave:deletionProtection"] ?? isProduction,
  };
}

function describeIssue(raw: Record<string, unknown>, issue: z.core.$ZodIssue): string {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
  if (issue.code === "unrecognized_keys") {
    return `${path.length > 0 ? formatPath(path) : "stack config"}: ${issue.message}`;
  }
  const value = valueAt(raw, path);
  // No setting holds a secret (secrets live in Secrets Manager), so every value can be shown.
  const shown = value === undefined ? "(not set)" : truncate(JSON.stringify(value));
  return `${formatPath(path)} = ${shown}: ${issue.message}`;
}

/** Formats a schema path as the user writes it: `cloudweave:vpc.subnets.public[1]`. */
function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((segment, index) => (typeof segment === "number" ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join("");
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function truncate(text: string, limit = 120): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}
