import type { z } from "zod";
import { blockContains, blocksOverlap, parseIpv4Block, type Ipv4Block } from "./cidr";
import { PULUMI_UP_OVERHEAD_MINUTES, deploymentTimeoutMinutes } from "./rollout";
import { ENVIRONMENT_TAG, STACK_TAG } from "../components/lib/delivery";
import {
  dailyDuration,
  dailyWindow,
  everyDay,
  overlaps,
  weeklyDuration,
  weeklyWindow,
  widenedBefore,
  type Spans,
} from "./windows";
import {
  SUBNET_TIERS,
  BACKUP_RETENTION_RANGE,
  MIN_BACKUP_RETENTION,
  BACKUP_MARGIN_MINUTES,
  PRODUCTION_MIN_TASKS,
  PRODUCTION_MIN_BAKE_MINUTES,
  PRODUCTION_MAX_ROTATION_DAYS,
  lifetimeSeconds,
} from "./fields";
import type { rawSettings } from "./settings";

/** A Pulumi stack name as this project spells them (Pulumi.<name>.yaml): lower-case words joined by hyphens. */
const STACK_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The rules between settings (and production's safeguards) that no single field can check, each reported on the key
 * to change.
 */
export function checkSettings(raw: z.output<typeof rawSettings>, ctx: z.RefinementCtx): void {
  const production = raw["cloudweave:environment"] === "production";
  const region = raw["aws:region"];
  const vpc = raw["cloudweave:vpc"];

  checkRotation(raw, production, ctx);

  const environmentTag = raw["aws:defaultTags"]?.tags[ENVIRONMENT_TAG];
  if (environmentTag !== raw["cloudweave:environment"]) {
    ctx.addIssue({
      code: "custom",
      path: ["aws:defaultTags", "tags", ENVIRONMENT_TAG],
      message: `must equal cloudweave:environment (${raw["cloudweave:environment"]}): the deploy roles act only on resources tagged with their own environment`,
    });
  }

  const stackTag = raw["aws:defaultTags"]?.tags[STACK_TAG];
  if (stackTag === undefined || !STACK_NAME.test(stackTag)) {
    ctx.addIssue({
      code: "custom",
      path: ["aws:defaultTags", "tags", STACK_TAG],
      message:
        "must name this stack (the <name> of its Pulumi.<name>.yaml, lower-case letters, digits and hyphens): the stack's budget counts the costs tagged with it",
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
  checkDisasterRecovery(raw, ctx);
  const standby = raw["cloudweave:disasterRecovery"]?.role === "standby";
  // A standby copies nothing back to the primary's region (checkDisasterRecovery); the primary protects the data.
  if (production && !standby) {
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
    // Blame the checks' budgets when the release would fit with the shortest ones, else the rollout itself.
    const shortestChecks = { testMinutes: 1, productionMinutes: 1 };
    const checksToBlame =
      deploymentTimeoutMinutes({ ...deploymentSettings, checks: shortestChecks }) + PULUMI_UP_OVERHEAD_MINUTES <=
      deploymentSettings.ciSessionMinutes;
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:deployment", checksToBlame ? "checks" : "strategy"],
      message: `rolls out for ${releaseMinutes} minutes (tasks starting, the release checks' budgets, ${deploymentSettings.strategy} shifts and bakes, the rest of pulumi up), longer than CI's deploy session (cloudweave:deployment.ciSessionMinutes = ${deploymentSettings.ciSessionMinutes}): shorten the ${checksToBlame ? "checks' budgets" : "bakes or steps"}`,
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
  if (production && !alerting.critical.pagerDuty && alerting.unpagedReason === undefined) {
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
}

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
/** Formats a schema path as the user writes it: `cloudweave:vpc.subnets.public[1]`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((segment, index) => (typeof segment === "number" ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join("");
}

/**
 * One day: a `rate(N days)` rotation happens some time in its UTC day (the window "closes at the end of the UTC day":
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html), so two can be a day
 * closer than their period.
 */
const ROTATION_WINDOW_SECONDS = 86_400;

/**
 * The JWT key's rotation period must outlast every token signed just before a rotation: the backend verifies with the
 * current and the previous key, so a token stays verifiable until the rotation after next. Production rotates every
 * credential within Security Hub's 90 days.
 */
function checkRotation(raw: z.output<typeof rawSettings>, production: boolean, ctx: z.RefinementCtx): void {
  const secrets = raw["cloudweave:secrets"];
  const { rotationDays, refreshTokenLifetime, accessTokenLifetime } = secrets.jwt;
  const longest = Math.max(lifetimeSeconds(refreshTokenLifetime), lifetimeSeconds(accessTokenLifetime));
  const shortestGap = rotationDays * 86_400 - ROTATION_WINDOW_SECONDS;
  if (shortestGap < longest) {
    ctx.addIssue({
      code: "custom",
      path: ["cloudweave:secrets", "jwt", "rotationDays"],
      message: `must be at least ${Math.ceil((longest + ROTATION_WINDOW_SECONDS) / 86_400)} days: tokens live up to ${refreshTokenLifetime} and verify with the current or the previous key, and a rotation can come a day early (it runs some time in its UTC day)`,
    });
  }
  if (!production) return;
  const periods: [string[], number][] = [
    [["credentialRotationDays"], secrets.credentialRotationDays],
    [["headerRotationDays"], secrets.headerRotationDays],
    [["jwt", "rotationDays"], rotationDays],
  ];
  for (const [path, days] of periods) {
    if (days > PRODUCTION_MAX_ROTATION_DAYS) {
      ctx.addIssue({
        code: "custom",
        path: ["cloudweave:secrets", ...path],
        message: `must be at most ${PRODUCTION_MAX_ROTATION_DAYS} in production (AWS Security Hub SecretsManager.4)`,
      });
    }
  }
}

/**
 * A standby stack (ADR 24) must recover with the primary region gone: nothing of it may live there, and nothing its
 * deployment reads may come from a control plane homed there. A primary names where its standby lives.
 */
function checkDisasterRecovery(raw: z.output<typeof rawSettings>, ctx: z.RefinementCtx): void {
  const role = raw["cloudweave:disasterRecovery"];
  if (!role) return;
  const region = raw["aws:region"];
  const backup = raw["cloudweave:backup"];
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  // A primary names nothing more: its standby lives in cloudweave:backup.drRegion.
  if (role.role === "primary") return;
  if (role.primaryRegion === region) {
    issue(
      ["cloudweave:disasterRecovery", "primaryRegion"],
      `must differ from aws:region (${region}): the standby must survive the primary region's loss`,
    );
  }
  if (backup.drRegion !== role.primaryRegion) {
    issue(
      ["cloudweave:backup", "drRegion"],
      `must be cloudweave:disasterRecovery.primaryRegion (${role.primaryRegion}) on a standby: the pair's other region`,
    );
  }
  // Any resource in the primary region would put that region's endpoints into the recovery's `pulumi up`.
  for (const [key, off] of [
    ["copyRetentionDays", backup.copyRetentionDays === 0],
    ["replicateAutomatedBackups", !backup.replicateAutomatedBackups],
  ] as const) {
    if (!off) {
      issue(
        ["cloudweave:backup", key],
        `must be ${key === "copyRetentionDays" ? "0" : "false"} on a standby: it creates nothing in the primary region (${role.primaryRegion}), whose loss it must survive`,
      );
    }
  }
  const domain = raw["cloudweave:domain"];
  if (!domain.hostedZoneId || domain.createHostedZone) {
    issue(
      ["cloudweave:domain", "hostedZoneId"],
      "must be set (and createHostedZone false) on a standby: its recovery must not look the zone up through Route 53's control plane",
    );
  }
  if (raw["cloudweave:database"].restoreFrom && role.state === "standby") {
    issue(
      ["cloudweave:database", "restoreFrom"],
      'must be unset while cloudweave:disasterRecovery.state is "standby": a standby replicates; restoring is the fallback of a recovery',
    );
  }
}
