import { z } from "zod";
import { DAILY_WINDOW, TIME_OF_DAY, WEEKLY_WINDOW } from "./windows";
import {
  ENVIRONMENTS,
  NAT_STRATEGIES,
  PRICE_CLASSES,
  VIEWER_TLS_POLICIES,
  MIN_AVAILABILITY_ZONES,
  BACKUP_RETENTION_RANGE,
  REGION,
  ACCOUNT_ID,
  strictObject,
  vpcCidr,
  subnetCidr,
  domainName,
  logRetention,
  secretName,
  alertRecipientFields,
  alertRecipients,
  percent,
  periods,
  service,
  rotationDays,
  tokenLifetime,
  usageAmount,
} from "./fields";

/**
 * Every setting of a stack, keyed as in `Pulumi.<stack>.yaml`: its type, allowed values, default and description.
 * The description and default are stated here only; `npm run docs` renders them into docs/configuration.md.
 */
export const rawSettings = strictObject({
  "cloudweave:environment": z
    .enum(ENVIRONMENTS, { error: `must be one of: ${ENVIRONMENTS.join(", ")}` })
    .describe(
      "Which environment this stack is; switches on production's safeguards and names every resource (cloudweave-<environment>-…).",
    ),
  "aws:region": z
    .string({ error: "must be set to an AWS region such as us-east-1" })
    .regex(REGION, {
      message: "must be an AWS region name such as us-east-1 or eu-west-2",
    })
    .describe("The AWS region of the stack's regional resources (the default provider's region)."),
  // The provider refuses credentials of any other account, so a stack can never be deployed into the wrong one.
  "aws:allowedAccountIds": z
    .array(z.string().regex(ACCOUNT_ID, { message: "must be a 12-digit AWS account id" }), {
      error: 'must list the stack\'s AWS account id, e.g. ["111122223333"]',
    })
    .length(1, "must list exactly one account: the one this stack deploys into")
    .describe(
      "The one AWS account the stack deploys into: the provider refuses credentials of any other, so a stack can never be deployed into the wrong account.",
    ),
  "cloudweave:vpc": strictObject({
    cidr: vpcCidr.describe("The VPC's IPv4 block: a private (RFC 1918) /16 to /28 with no host bits set."),
    availabilityZones: z
      .array(z.string())
      .min(
        MIN_AVAILABILITY_ZONES,
        `must list at least ${MIN_AVAILABILITY_ZONES} availability zones (the design spreads every tier over 3)`,
      )
      .describe("The availability zones of aws:region every tier spreads over (at least three, each once)."),
    subnets: strictObject({
      public: z.array(subnetCidr).describe("Public subnets: the internet-facing load balancer and the NAT gateways."),
      private: z.array(subnetCidr).describe("Private subnets: the ECS tasks and the internal load balancer."),
      database: z.array(subnetCidr).describe("Database subnets: RDS and ElastiCache, with no route to the internet."),
    }).describe(
      "One subnet block per availability zone and tier, in the order of availabilityZones; inside the VPC, none overlapping.",
    ),
    natGateways: z
      .enum(NAT_STRATEGIES, { error: `must be one of: ${NAT_STRATEGIES.join(", ")}` })
      .describe(
        "A NAT gateway in every AZ (no cross-AZ dependency; required in production) or one shared gateway (cheaper, one AZ's fate).",
      ),
    flowLogs: strictObject({
      retentionInDays: logRetention.describe("Days the flow logs are kept (a CloudWatch Logs retention)."),
      trafficType: z
        .enum(["ALL", "ACCEPT", "REJECT"], { error: "must be one of: ALL, ACCEPT, REJECT" })
        .default("ALL")
        .describe("Which traffic is logged: all, accepted only or rejected only."),
    })
      .prefault({})
      .describe("VPC flow logs to CloudWatch Logs, encrypted with the stack's logs key."),
  }).describe("The stack's VPC: its address space, availability zones, subnets per tier, NAT strategy and flow logs."),
  "cloudweave:database": strictObject({
    engineVersion: z
      .string()
      .regex(/^15(\.\d+)?$/, { message: 'must be a PostgreSQL 15 version: "15" (newest minor) or "15.<minor>"' })
      .default("15")
      .describe('PostgreSQL 15: "15" takes the newest minor version, "15.<minor>" pins one.'),
    allocatedStorage: z
      .number()
      .int()
      .min(20, "must be 20-65536 GiB (gp3)")
      .max(65536, "must be 20-65536 GiB (gp3)")
      .default(20)
      .describe("Initial gp3 storage in GiB."),
    maxAllocatedStorage: z
      .number()
      .int()
      .max(65536, "must be at most 65536 GiB")
      .default(100)
      .describe("Storage autoscaling ceiling in GiB; must exceed allocatedStorage."),
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, {
        message: "must be an RDS instance class such as db.t3.medium",
      })
      .describe("The RDS instance class, e.g. db.t3.medium."),
    multiAZ: z
      .boolean({ error: "must be true or false" })
      .describe("A synchronous standby in another AZ with automatic failover (required in production)."),
    backupWindow: z
      .string()
      .regex(DAILY_WINDOW, { message: 'must be a daily window "hh24:mi-hh24:mi" (UTC)' })
      .default("03:30-04:00")
      .describe(
        "RDS's daily automated-backup window, UTC, at least 30 minutes (RDS CreateDBInstance PreferredBackupWindow).",
      ),
    maintenanceWindow: z
      .string()
      .regex(WEEKLY_WINDOW, {
        message: 'must be a weekly window "ddd:hh24:mi-ddd:hh24:mi" (UTC), e.g. sun:02:00-sun:02:30',
      })
      .default("sun:02:00-sun:02:30")
      .describe("RDS's weekly maintenance window, UTC, at least 30 minutes (RDS PreferredMaintenanceWindow)."),
    restoreFrom: z
      .union(
        [
          strictObject({
            snapshot: z
              .string()
              .min(1, "must name an RDS snapshot (identifier or ARN)")
              .describe("An RDS snapshot (identifier or ARN) to build the instance from."),
          }),
          strictObject({
            automatedBackupsArn: z
              .string()
              .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:auto-backup:ab-[a-z0-9]+$/, {
                message:
                  "must be the ARN of replicated automated backups (arn:aws:rds:<region>:<account>:auto-backup:ab-...)",
              })
              .describe(
                "Replicated automated backups (arn:aws:rds:<region>:<account>:auto-backup:ab-…) to restore from.",
              ),
            restoreTime: z.iso
              .datetime({ offset: true, message: "must be an RFC 3339 time such as 2026-11-25T03:00:00Z" })
              .optional()
              .describe("The point in time to restore to (RFC 3339); the latest restorable time when unset."),
          }),
        ],
        { error: "must be { snapshot } or { automatedBackupsArn, restoreTime? }" },
      )
      .optional()
      .describe("Disaster recovery: build the instance from a backup (docs/runbook-restore.md)."),
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
      )
      .describe(
        "Days RDS keeps automated backups (point-in-time recovery): at least the design's 7, at most AWS's 35.",
      ),
  }).describe("The PostgreSQL instance (RDS): size, availability, windows and automated backups."),
  "cloudweave:cache": strictObject({
    engineVersion: z
      .string()
      .regex(/^7\.\d+$/, { message: 'must be a Redis 7 version such as "7.1"' })
      .default("7.1")
      .describe('Redis 7 minor version, e.g. "7.1".'),
    nodeType: z
      .string()
      .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, {
        message: "must be an ElastiCache node type such as cache.t3.micro",
      })
      .describe("The ElastiCache node type, e.g. cache.t3.micro."),
    replicas: z
      .number()
      .int()
      .min(0, "must be 0-5")
      .max(5, "must be 0-5")
      .describe("Read replicas besides the primary (0-5); at least 1 with multiAZ."),
    multiAZ: z
      .boolean({ error: "must be true or false" })
      .describe("Automatic failover to a replica in another AZ (required in production)."),
    snapshotRetention: z
      .number()
      .int()
      .min(0, "must be 0-35 days")
      .max(35, "must be 0-35 days")
      .describe("Days daily snapshots are kept (0-35; at least 1 in production)."),
    snapshotWindow: z
      .string()
      .regex(DAILY_WINDOW, { message: 'must be a daily window "hh24:mi-hh24:mi" (UTC)' })
      .default("00:30-01:30")
      .describe("ElastiCache's daily snapshot window, UTC (CreateReplicationGroup SnapshotWindow)."),
    maintenanceWindow: z
      .string()
      .regex(WEEKLY_WINDOW, {
        message: 'must be a weekly window "ddd:hh24:mi-ddd:hh24:mi" (UTC), e.g. sun:02:30-sun:03:30',
      })
      .default("sun:02:30-sun:03:30")
      .describe("ElastiCache's weekly maintenance window, UTC, at least 60 minutes (PreferredMaintenanceWindow)."),
  }).describe("The Redis replication group (ElastiCache): node size, replicas, failover, snapshots and windows."),
  "cloudweave:logs": strictObject({
    retentionInDays: logRetention.describe("Days the service logs are kept (a CloudWatch Logs retention)."),
  })
    .prefault({})
    .describe("The stack's service log groups (database, cache, services)."),
  "cloudweave:secrets": strictObject({
    credentialRotationDays: rotationDays
      .default(30)
      .describe(
        "Days between rotations of the database master user's, the application user's and the Redis user's passwords.",
      ),
    headerRotationDays: rotationDays
      .default(30)
      .describe(
        "Days between rotations of CloudFront's origin-verify header and the release checks' test-traffic header.",
      ),
    jwt: strictObject({
      rotationDays: rotationDays
        .default(30)
        .describe(
          "Days between rotations of the JWT signing key; at least the refresh token's lifetime plus the one-day rotation window, since the backend verifies with the current and the previous key only.",
        ),
      accessTokenLifetime: tokenLifetime
        .default("15m")
        .describe("Lifetime of an access token (the backend's expiresIn)."),
      refreshTokenLifetime: tokenLifetime
        .default("7d")
        .describe("Lifetime of a refresh token (the backend's refreshExpiresIn)."),
    })
      .prefault({})
      .describe("The JWT signing key's rotation and the token lifetimes the backend reads with it."),
  })
    .prefault({})
    .describe("How often each generated credential rotates (ADR 23; docs/credentials.md)."),
  "cloudweave:compute": strictObject({
    frontend: service.describe("The React/nginx frontend service."),
    backend: service.describe("The Go backend service."),
  }).describe("Each service's image, Fargate task size and task count range."),
  "cloudweave:scaling": strictObject({
    scaleOutCpuPercent: percent.default(70).describe("Average service CPU (%) above which tasks are added (seed: 70)."),
    scaleOutPeriods: periods
      .default(2)
      .describe("Consecutive one-minute periods above it before scaling out (seed: 2)."),
    scaleInCpuPercent: percent
      .default(30)
      .describe("Average service CPU (%) below which tasks are removed (seed: 30)."),
    scaleInPeriods: periods.default(5).describe("Consecutive one-minute periods below it before scaling in (seed: 5)."),
    memoryTargetPercent: percent
      .default(75)
      .describe("Average memory (%) a target-tracking policy holds the service at by adding tasks."),
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
    .prefault({})
    .describe(
      "Auto scaling of both services: CPU step scaling (the design's thresholds) and a memory target that only adds tasks.",
    ),
  "cloudweave:deployment": strictObject({
    bakeTimeMinutes: z
      .number()
      .int("must be a whole number of minutes")
      .min(0, "must be 0-1440 minutes")
      .max(1440, "must be 0-1440 minutes")
      .describe("Minutes ECS keeps the old (blue) tasks after shifting traffic, ready for an instant rollback."),
    rollbackOn5xxPerMinute: z
      .number()
      .int()
      .min(1, "must be at least 1")
      .default(10)
      .describe("Target 5xx responses per minute (two minutes running) that make ECS roll a deployment back."),
    strategy: z
      .enum(["BLUE_GREEN", "CANARY", "LINEAR"], { error: "must be BLUE_GREEN, CANARY or LINEAR" })
      .default("BLUE_GREEN")
      .describe(
        "How traffic moves to a new version: all at once after testing (BLUE_GREEN), a share first (CANARY), or in steps (LINEAR). Set CANARY for a high-risk release, in the release's pull request or for one deploy.",
      ),
    canary: strictObject({
      // ECS accepts up to 100; a canary is a minority of the traffic, or it is just a blue/green switch.
      percent: z
        .number()
        .min(0.1, "must be 0.1-50 percent (a canary is a minority of the traffic)")
        .max(50, "must be 0.1-50 percent (a canary is a minority of the traffic)")
        .describe("Share of traffic (%) the new version gets first (0.1-50)."),
      bakeMinutes: z
        .number()
        .int()
        .min(0, "must be 0-1440 minutes")
        .max(1440, "must be 0-1440 minutes")
        .describe("Minutes the canary runs before the rest of the traffic moves."),
    })
      .default({ percent: 10, bakeMinutes: 10 })
      .describe("CANARY: the share of traffic (%) the new version gets first, and for how many minutes."),
    linear: strictObject({
      stepPercent: z
        .number()
        .min(3, "must be 3-100 percent")
        .max(100, "must be 3-100 percent")
        .describe("Share of traffic (%) each step moves (3-100)."),
      stepBakeMinutes: z
        .number()
        .int()
        .min(0, "must be 0-1440 minutes")
        .max(1440, "must be 0-1440 minutes")
        .describe("Minutes between steps."),
    })
      .default({ stepPercent: 25, stepBakeMinutes: 5 })
      .describe("LINEAR: the share of traffic (%) each step moves, and the minutes between steps."),
    checks: strictObject({
      testMinutes: z
        .number()
        .int("must be a whole number of minutes")
        .min(1, "must be 1-60 minutes")
        .max(60, "must be 1-60 minutes")
        .describe(
          "Minutes the release checks of the new tasks under test traffic (POST_TEST_TRAFFIC_SHIFT) may keep failing, retried every 30 s, before the release rolls back.",
        ),
      productionMinutes: z
        .number()
        .int("must be a whole number of minutes")
        .min(1, "must be 1-60 minutes")
        .max(60, "must be 1-60 minutes")
        .describe(
          "The same before each canary or linear step (PRE_PRODUCTION_TRAFFIC_SHIFT) and under production traffic (POST_PRODUCTION_TRAFFIC_SHIFT).",
        ),
    })
      .default({ testMinutes: 5, productionMinutes: 3 })
      .describe(
        "The release checks' budgets: the smoke suite (functions/release-checks/smoke.ts) an ECS lifecycle hook runs against each release before and after it takes traffic.",
      ),
    ciSessionMinutes: z
      .number()
      .int()
      .min(15, "must be 15-720 minutes (IAM role sessions)")
      .max(720, "must be 15-720 minutes (IAM role sessions)")
      .default(120)
      .describe(
        "Minutes CI's deploy credentials last: the bootstrap deploy roles' maxSessionSeconds and deploy.yml's role-duration-seconds. A release must finish within them, or `pulumi up` loses its credentials mid-rollout.",
      ),
  }).describe(
    "How a release reaches the services: ECS blue/green, canary or linear, with bake time and automatic rollback.",
  ),
  "cloudweave:domain": strictObject({
    name: domainName.describe("The name users browse to."),
    hostedZone: domainName.describe("The Route 53 hosted zone that holds `name`."),
    createHostedZone: z
      .boolean({ error: "must be true or false" })
      .default(false)
      .describe("Create the hosted zone (a new account) instead of looking up an existing one."),
    hostedZoneId: z
      .string()
      // Route 53 hosted zone ids: "Z" and upper-case letters and digits, at most 32 characters
      // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZone.html: Id, length 0-32).
      .regex(/^Z[A-Z0-9]{1,31}$/, { message: "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ" })
      .optional()
      .describe(
        "The id of hostedZone: no lookup at deploy time. Required on a standby stack, whose recovery must not call Route 53's control plane (homed in us-east-1).",
      ),
  }).describe("The names users reach the application under."),
  "cloudweave:edge": strictObject({
    priceClass: z
      .enum(PRICE_CLASSES, { error: `must be one of: ${PRICE_CLASSES.join(", ")}` })
      .describe("Which CloudFront edge locations serve viewers (and what they cost)."),
    rateLimitPer5Minutes: z
      .number()
      .int("must be a whole number of requests")
      .min(10, "must be 10-2000000000 requests per 5 minutes (WAF's range)")
      .max(2_000_000_000, "must be 10-2000000000 requests per 5 minutes (WAF's range)")
      .describe("Requests one client IP may make in any 5 minutes before WAF blocks it."),
    minimumTlsVersion: z
      .enum(VIEWER_TLS_POLICIES, { error: `must be one of: ${VIEWER_TLS_POLICIES.join(", ")}` })
      .default("TLSv1.2_2021")
      .describe("The oldest TLS viewers may use."),
  }).describe("CloudFront and its WAF in front of the application."),
  "cloudweave:alarms": strictObject({
    http5xxPercent: percent
      .default(5)
      .describe("Load-balancer 5xx responses (ELB and targets) as a share of requests, over 5 minutes (critical)."),
    targetResponseP95Seconds: z
      .number()
      .positive("must be a positive number of seconds")
      .default(1.5)
      .describe("p95 target response time in seconds, over 5 minutes (warning)."),
    serviceCpuPercent: percent
      .default(85)
      .describe(
        "Average service CPU and memory (%) for 10 minutes (warning); above the scaling thresholds on purpose.",
      ),
    serviceMemoryPercent: percent.default(85).describe("Average service memory (%) for 10 minutes (warning)."),
    databaseCpuPercent: percent.default(80).describe("RDS CPU (%) for 15 minutes (warning)."),
    databaseFreeStorageGiB: z
      .number()
      .positive("must be a positive number of GiB")
      .default(5)
      .describe("RDS free storage below this many GiB (critical; storage autoscaling should have acted first)."),
    databaseConnections: z
      .number({ error: "must be set to a connection count below the instance class's max_connections, e.g. 300" })
      .int()
      .positive("must be a positive number of connections")
      .describe("RDS connections (warning): size it to the instance class's max_connections."),
    cacheEngineCpuPercent: percent.default(80).describe("Redis engine CPU and memory (%) for 10 minutes (warning)."),
    cacheMemoryPercent: percent.default(80).describe("Redis memory use (%) for 10 minutes (warning)."),
    cacheEvictionsPer5Minutes: z
      .number()
      .int()
      .min(1, "must be at least 1")
      .default(100)
      .describe("Redis evictions per 5 minutes (warning): the cache is too small for its working set."),
    cacheReplicationLagSeconds: z
      .number()
      .positive("must be a positive number of seconds")
      .default(5)
      .describe("Redis replication lag in seconds (warning)."),
    databaseReplicaLagSeconds: z
      .number()
      .int("must be a whole number of seconds")
      .positive("must be a positive number of seconds")
      .default(300)
      .describe(
        "A standby's cross-region database replica lagging more than this for 5 minutes (warning): the recovery point objective of ADR 24.",
      ),
    wafBlockedPer5Minutes: z
      .number()
      .int()
      .min(1, "must be at least 1")
      .default(1000)
      .describe("WAF-blocked requests per 5 minutes (warning): an attack or a false positive."),
    backendErrorsPer5Minutes: z
      .number()
      .int()
      .min(1, "must be at least 1")
      .default(25)
      .describe("Backend error log lines per 5 minutes (warning)."),
  }).describe("Thresholds of the alarms that notify people."),
  "cloudweave:alerting": strictObject({
    critical: strictObject({
      ...alertRecipientFields,
      pagerDuty: strictObject({
        integrationUrlSecret: secretName.describe(
          "The Secrets Manager secret holding the PagerDuty service's CloudWatch integration URL.",
        ),
      })
        .optional()
        .describe(
          "Page through PagerDuty: the name of a Secrets Manager secret in the stack's account and region that holds the service's CloudWatch integration URL (created once by the on-call owner, docs/delivery.md). The program reads it at deploy time; the URL never appears in a stack file.",
        ),
    }).describe("Who hears of alarms that need someone now (users see errors, data at risk): paged and/or told."),
    warning: alertRecipients.describe(
      "Who hears of alarms for working hours (latency, saturation, rolled-back releases).",
    ),
    unpagedReason: z
      .string()
      .min(10, "must say in a sentence why production pages no one")
      .optional()
      .describe(
        "Production must page for critical alarms; a production stack without `critical.pagerDuty` must say why here (for example while the PagerDuty service is being set up). The plan and `pulumi preview` repeat it.",
      ),
  }).describe("Who hears of each severity's alarms, and whether critical ones page."),
  "cloudweave:tracing": strictObject({
    samplingPercent: z
      .number()
      .min(0, "must be 0-100")
      .max(100, "must be 0-100")
      .describe("Share of requests (%) the X-Ray sampling rule traces beyond its reservoir of one per second."),
  }).describe("AWS X-Ray tracing of the backend."),
  "cloudweave:cost": strictObject({
    monthlyBudgetUsd: z
      .number({ error: "must be set to the stack's monthly budget in US dollars, e.g. 1200" })
      .positive("must be a positive amount of US dollars")
      .describe(
        "The stack's monthly AWS Budgets amount in USD, over the costs tagged with its Stack tag: a forecast above 80 % and actual spend above 100 % alert the warning topic. Set it from `npm run plan -- --stack <name> --cost` plus headroom.",
      ),
    usage: strictObject({
      cdnDataTransferOutGb: usageAmount.describe("GB CloudFront serves to viewers per month."),
      cdnRequestsMillions: usageAmount.describe(
        "Millions of HTTPS requests viewers make to CloudFront per month (WAF inspects each of them).",
      ),
      loadBalancerCapacityUnits: usageAmount.describe(
        "Average load balancer capacity units (LCU) each load balancer uses per hour.",
      ),
      natDataProcessedGb: usageAmount.describe("GB through the NAT gateways per month, all of them together."),
      logIngestionGb: usageAmount.describe(
        "GB of logs written to CloudWatch Logs per month, all log groups together (services, flow logs, WAF, functions).",
      ),
      backupStorageGb: usageAmount.describe(
        "GB-months of backup storage beyond the free allowance: snapshots, continuous backups, copies, replicated backups.",
      ),
    }).describe(
      "Usage the cost estimate cannot read from the program, stated per month; the estimate shows each as an assumption.",
    ),
  }).describe(
    "What the stack may cost: the budget that alerts, and the usage `npm run plan -- --cost` assumes (docs/cost.md).",
  ),
  "cloudweave:backup": strictObject({
    drRegion: z
      .string()
      .regex(REGION, { message: "must be an AWS region name such as us-west-2" })
      .describe("The second region: backup copies, replicated automated backups, and where the runbook restores."),
    pointInTimeRetentionDays: z
      .number()
      .int()
      .min(1, "must be 1-35 days")
      .max(35, "must be 1-35 days")
      .describe("Days continuous backups (point-in-time recovery, RPO minutes) are kept: 1-35."),
    dailyRetentionDays: z
      .number()
      .int()
      .min(1, "must be at least 1 day")
      .describe("Days the daily snapshots are kept."),
    copyRetentionDays: z
      .number()
      .int()
      .min(0, "must be 0 (no copies) or more days")
      .describe("Copy the daily snapshots to a vault in drRegion, kept this many days (0: no copies)."),
    replicateAutomatedBackups: z
      .boolean({ error: "must be true or false" })
      .describe("Replicate RDS automated backups (point-in-time recovery) to drRegion."),
    vaultLock: z
      .boolean({ error: "must be true or false" })
      .describe(
        "Lock the vaults (compliance mode after a 3-day grace period): nobody can delete recovery points early.",
      ),
    restoreTests: z
      .enum(["daily", "weekly"], { error: "must be daily or weekly" })
      .describe("How often AWS Backup restore-tests the newest recovery point."),
    continuousBackupStart: z
      .string()
      .regex(TIME_OF_DAY, { message: 'must be a time of day "hh24:mi" (UTC)' })
      .default("04:30")
      .describe("When (UTC) the continuous-backup rule runs each day; its start window follows."),
    dailyBackupStart: z
      .string()
      .regex(TIME_OF_DAY, { message: 'must be a time of day "hh24:mi" (UTC)' })
      .default("06:00")
      .describe("When (UTC) the daily snapshot rule runs; its start window follows."),
    startWindowMinutes: z
      .number()
      .int()
      .min(60, "must be at least 60 minutes (AWS Backup's minimum)")
      .default(60)
      .describe("Minutes a scheduled backup may take to start before it counts as missed (AWS Backup: at least 60)."),
    restoreTestStart: z
      .string()
      .regex(TIME_OF_DAY, { message: 'must be a time of day "hh24:mi" (UTC)' })
      .default("09:00")
      .describe("When (UTC) the restore tests start, after the day's backups."),
  }).describe(
    "AWS Backup of the database: schedules, retention, copies and replication to the second region, vault lock and restore tests.",
  ),
  "cloudweave:featureFlags": strictObject({
    rollout: strictObject({
      durationMinutes: z
        .number()
        .int()
        .min(0, "must be 0-1440 minutes")
        .max(1440, "must be 0-1440 minutes")
        .describe("Minutes a flag change takes to reach every target."),
      growthPercent: z
        .number()
        .min(1, "must be 1-100 percent")
        .max(100, "must be 1-100 percent")
        .describe("Share of targets (%) added at each step."),
      bakeMinutes: z
        .number()
        .int()
        .min(0, "must be 0-1440 minutes")
        .max(1440, "must be 0-1440 minutes")
        .describe("Minutes AppConfig watches the monitors after the change reached everyone."),
    }).describe("How a flag change spreads: over how many minutes, how much more of the fleet each step, then a bake."),
  }).describe(
    "How a change of the backend's feature flags (AWS AppConfig) rolls out. Which flags are on is not stack config: feature-flags/<stack>.yaml, deployed by npm run flags.",
  ),
  "cloudweave:faultInjection": strictObject({
    taskAgent: z
      .boolean({ error: "must be true or false" })
      .default(false)
      .describe(
        "Run the fault-injection sidecar (an SSM agent) in both services' tasks, so FIS can stress their CPU. It runs as root with a writable root filesystem: meant for staging; production's policy pack refuses it.",
      ),
    agentImage: z
      .string()
      .regex(/^public\.ecr\.aws\/amazon-ssm-agent\/amazon-ssm-agent:\d+(\.\d+){3}$/, {
        message: "must be public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:<release>, e.g. :3.3.1142.0",
      })
      .optional()
      .describe("The sidecar's SSM agent image, pinned to a release (default: the component's pinned release)."),
    stopTaskPercent: z
      .number()
      .int()
      .min(1, "must be 1-100 percent")
      .max(100, "must be 1-100 percent")
      .default(50)
      .describe("Share of each service's tasks the stop-tasks experiments stop (%)."),
    cpuStressPercent: z
      .number()
      .int()
      .min(1, "must be 1-100 percent")
      .max(100, "must be 1-100 percent")
      .default(90)
      .describe(
        "The CPU-stress experiments' load (%): above cloudweave:scaling.scaleOutCpuPercent, or nothing scales.",
      ),
    cpuStressMinutes: z
      .number()
      .int()
      .min(1, "must be 1-60 minutes")
      .max(60, "must be 1-60 minutes")
      .default(10)
      .describe("How long the CPU stress lasts: long enough for the scale-out alarm and the new tasks."),
    cacheOutageMinutes: z
      .number()
      .int()
      .min(1, "must be 1-60 minutes")
      .max(60, "must be 1-60 minutes")
      .default(5)
      .describe("How long the Redis failover experiment cuts power to the primary's AZ."),
  })
    .prefault({})
    .describe("AWS FIS experiments that test the failover claims (docs/resilience.md)."),
  "cloudweave:disasterRecovery": z
    .discriminatedUnion(
      "role",
      [
        strictObject({
          role: z
            .literal("primary")
            .describe(
              "This stack serves users; its standby (same account, cloudweave:backup.drRegion) takes over when this region fails: the database, the master-user and origin-verification secrets and the images are replicated there, and the origin name fails over to it.",
            ),
        }),
        strictObject({
          role: z
            .literal("standby")
            .describe(
              "This stack is the pilot light of the primary stack of the same environment and account (docs/runbook-restore.md).",
            ),
          primaryRegion: z
            .string()
            .regex(REGION, { message: "must be an AWS region name such as us-east-1" })
            .describe("The primary stack's aws:region: where the database replicates from."),
          state: z
            .enum(["standby", "recovered"], { error: 'must be "standby" or "recovered"' })
            .describe(
              "standby: everything but the data's primary copy and the running tasks (a read replica, services at zero, no cache cluster); recovered: the replica promoted, the cache created, the services at their counts, and the origin name served from here. The one setting the recovery changes.",
            ),
        }),
      ],
      { error: "must be { role: primary } or { role: standby, primaryRegion, state }" },
    )
    .optional()
    .describe(
      "The stack's part in regional disaster recovery (ADR 24): the primary, or the standby (pilot light) in the primary's cloudweave:backup.drRegion. Unset: no standby.",
    ),
  "aws:defaultTags": strictObject({
    tags: z
      .record(z.string(), z.string({ error: "must be a string" }))
      .describe(
        "The tags; Environment must equal cloudweave:environment (the deploy roles act only on resources of their environment), and Stack must name the stack (its budget counts the costs tagged with it).",
      ),
  })
    .optional()
    .describe("Tags every resource gets, also through the program's own providers."),
  "cloudweave:deletionProtection": z
    .boolean({ error: "must be true or false" })
    .optional()
    .describe(
      "Protects stateful resources (database, cache, keys, buckets, load balancers) from deletion; on by default in production only.",
    ),
});
