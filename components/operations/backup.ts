import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { EncryptionKey } from "../security/encryption-key";
import { encryptedLogGroup, type LogDestination } from "../lib/log-group";
import { serviceTrustPolicy } from "../lib/service-trust";

/** Arguments of {@link Backup}. */
export interface BackupArgs {
  /** The account and the stack's region. */
  account: AwsAccount;
  /** The second region: the copy vault, the replicated automated backups, the restore target of the runbook. */
  drRegion: string;
  /** The database to protect, and where a test restore may run (its subnet group and security group). */
  database: {
    arn: pulumi.Input<string>;
    subnetGroupName: pulumi.Input<string>;
    securityGroupId: pulumi.Input<string>;
    /** Days RDS keeps automated backups; the replicated copies in the second region keep as many. */
    automatedBackupRetentionDays: number;
    /**
     * The instance is (still) a standby's cross-region read replica (ADR 24): AWS Backup neither backs it up nor
     * restore-tests it until it is promoted — the primary's backups (and copies) hold the same data, and its own
     * automated backups keep point-in-time recovery ready. @default false
     */
    replica?: boolean;
  };
  /** Days continuous backups (point-in-time recovery) are kept: 1-35. */
  pointInTimeRetentionDays: number;
  /** Days the daily snapshots are kept. */
  dailyRetentionDays: number;
  /** Days the copies of the daily snapshots in the second region are kept; 0 copies nothing. */
  copyRetentionDays: number;
  /** Replicate RDS automated backups to the second region (point-in-time recovery there). */
  replicateAutomatedBackups: boolean;
  /** Lock both vaults (compliance mode after 3 days): recovery points cannot be deleted before they expire. */
  vaultLock: boolean;
  /** How often the newest recovery point is restored and checked. */
  restoreTests: "daily" | "weekly";
  /**
   * When the rules and the restore tests start each day (`hh24:mi`, UTC) and how long a backup may take to start;
   * validated against the database's backup and maintenance windows by the config schema.
   */
  schedule: {
    continuousBackupStart: string;
    dailyBackupStart: string;
    startWindowMinutes: number;
    restoreTestStart: string;
  };
  /** SNS topics: `critical` for failed backups, copies and restore tests; `warning` for vault events. */
  topicArns: { critical: pulumi.Input<string>; warning: pulumi.Input<string> };
  /** Where this stack's AWS Backup events are kept (the restore-test metric is read from them). */
  logs: LogDestination;
  /** The stack's own namespace for the metric of completed restore tests, e.g. `CloudWeave/production`. */
  metricNamespace: string;
  /** Tags of the component's second-region provider (the stack's `aws:defaultTags`). */
  defaultTags?: Record<string, string>;
  /** Protects the vaults and their keys from deletion by Pulumi (production). @default false */
  protect?: boolean;
}

/** An AWS Backup / EventBridge cron expression for `hh24:mi` UTC, every day or every Monday. */
function cronAt(time: string, every: "day" | "monday" = "day"): string {
  const [hours = "0", minutes = "0"] = time.split(":");
  const day = every === "day" ? "* * ? *" : "? * MON *";
  return `cron(${Number(minutes)} ${Number(hours)} ${day})`;
}

/**
 * Disaster recovery for the database with AWS Backup: continuous backup (point-in-time recovery, an RPO of minutes
 * against the design's 1 hour), daily snapshots copied to a vault in a second region, RDS automated backups
 * replicated there, locked vaults, scheduled restore tests, and notifications of this stack's failures and of
 * missing restore tests. Everything it watches is this stack's own: its vault, its role, its restore-testing plan —
 * AWS Backup's CloudWatch metrics are per account and region, so two stacks in one account would see each other's.
 */
export class Backup extends pulumi.ComponentResource {
  /** The vault in the stack's region. */
  public readonly vaultName: pulumi.Output<string>;
  /** The vault in the second region (absent when nothing is copied). */
  public readonly drVaultArn: pulumi.Output<string> | undefined;
  /**
   * The customer key in the second region (absent without cross-region protection): it encrypts the copies, the
   * replicated automated backups and secret replicas a recovery there needs.
   */
  public readonly drKeyArn: pulumi.Output<string> | undefined;
  /** The backup plan's id. */
  public readonly planId: pulumi.Output<string>;
  /** The restore testing plan's name. */
  public readonly restoreTestingPlanName: pulumi.Output<string>;
  /** Names of the alarms on backup results (the missing-restore-test alarm, where restore tests are daily). */
  public readonly alarmNames: pulumi.Output<string>[];
  /** Names of the EventBridge rules on this stack's backup, copy and restore jobs. */
  public readonly eventRuleNames: pulumi.Output<string>[];

  constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:operations:Backup", name, {}, opts);
    const child = { parent: this };
    const { partition } = args.account;
    // Vaults keep a fixed name (the runbook finds them while a region is down): a replacement deletes first.
    const fixedName = { deleteBeforeReplace: true };
    const copies = args.copyRetentionDays > 0;
    const needsDr = copies || args.replicateAutomatedBackups;

    const vaultKey = new EncryptionKey(
      `${name}-vault`,
      {
        description: pulumi.interpolate`CloudWeave backups of ${name} in ${regionOf(this)}`,
        account: args.account,
        viaServices: ["backup"],
        protect: args.protect,
      },
      child,
    );
    const vault = new aws.backup.Vault(
      `${name}-vault`,
      { name, kmsKeyArn: vaultKey.arn, forceDestroy: !args.protect, tags: { Name: `${name}-vault` } },
      { ...child, ...fixedName, protect: args.protect },
    );

    let drVault: aws.backup.Vault | undefined;
    let drKeyArn: pulumi.Output<string> | undefined;
    let inDr: pulumi.CustomResourceOptions | undefined;
    if (needsDr) {
      const dr = new aws.Provider(
        `${name}-${args.drRegion}`,
        {
          region: args.drRegion,
          allowedAccountIds: [args.account.accountId],
          defaultTags: { tags: args.defaultTags ?? {} },
        },
        child,
      );
      inDr = { parent: this, provider: dr };
      const drKey = new EncryptionKey(
        `${name}-dr`,
        {
          description: `CloudWeave backups of ${name} in ${args.drRegion} (copies, replicated automated backups)`,
          account: args.account,
          viaServices: ["backup", "rds", "secretsmanager"],
          protect: args.protect,
        },
        inDr,
      );
      drKeyArn = drKey.arn;
      if (copies) {
        drVault = new aws.backup.Vault(
          `${name}-dr-vault`,
          // A known name: the runbook finds it while this region (and maybe the state backend) is down.
          { name: `${name}-dr`, kmsKeyArn: drKey.arn, forceDestroy: !args.protect, tags: { Name: `${name}-dr-vault` } },
          { ...inDr, ...fixedName, protect: args.protect },
        );
      }
      if (args.replicateAutomatedBackups) {
        new aws.rds.InstanceAutomatedBackupsReplication(
          `${name}-automated-backups`,
          {
            sourceDbInstanceArn: args.database.arn,
            kmsKeyId: drKey.arn,
            retentionPeriod: args.database.automatedBackupRetentionDays,
          },
          inDr,
        );
      }
    }

    if (args.vaultLock) {
      // Governance mode for 3 days (time to undo a mistake), then compliance mode: nobody, root included, can
      // shorten a retention or delete a recovery point early.
      const local = [args.pointInTimeRetentionDays, args.dailyRetentionDays];
      new aws.backup.VaultLockConfiguration(
        `${name}-vault-lock`,
        {
          backupVaultName: vault.name,
          minRetentionDays: Math.min(...local),
          maxRetentionDays: Math.max(...local),
          changeableForDays: 3,
        },
        child,
      );
      if (drVault && inDr) {
        new aws.backup.VaultLockConfiguration(
          `${name}-dr-vault-lock`,
          {
            backupVaultName: drVault.name,
            minRetentionDays: args.copyRetentionDays,
            maxRetentionDays: args.copyRetentionDays,
            changeableForDays: 3,
          },
          inDr,
        );
      }
    }

    const plan = new aws.backup.Plan(
      `${name}-plan`,
      {
        rules: [
          {
            // Continuous backup: restore to any second of the window; AWS Backup keeps it current all the time.
            ruleName: "point-in-time",
            targetVaultName: vault.name,
            enableContinuousBackup: true,
            schedule: cronAt(args.schedule.continuousBackupStart),
            startWindow: args.schedule.startWindowMinutes,
            completionWindow: 120,
            lifecycle: { deleteAfter: args.pointInTimeRetentionDays },
          },
          {
            ruleName: "daily",
            targetVaultName: vault.name,
            schedule: cronAt(args.schedule.dailyBackupStart),
            startWindow: args.schedule.startWindowMinutes,
            completionWindow: 240,
            lifecycle: { deleteAfter: args.dailyRetentionDays },
            copyActions: drVault
              ? [{ destinationVaultArn: drVault.arn, lifecycle: { deleteAfter: args.copyRetentionDays } }]
              : [],
          },
        ],
        tags: { Name: `${name}-plan` },
      },
      child,
    );

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        permissionsBoundary: args.account.permissionsBoundaryArn,
        description: `AWS Backup backs up and test-restores the resources of ${name}`,
        assumeRolePolicy: serviceTrustPolicy("backup.amazonaws.com", args.account.accountId),
        tags: { Name: `${name}-role` },
      },
      child,
    );
    for (const policy of ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]) {
      new aws.iam.RolePolicyAttachment(
        `${name}-${policy.endsWith("Backup") ? "backup" : "restores"}`,
        { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/${policy}` },
        child,
      );
    }
    const backedUp = !args.database.replica;
    if (backedUp) {
      new aws.backup.Selection(
        `${name}-database`,
        { name: `${name}-database`, planId: plan.id, iamRoleArn: role.arn, resources: [args.database.arn] },
        // Selections cannot change in place: every change replaces one, and its name is fixed.
        { ...child, ...fixedName },
      );
    }

    // --- Restore tests: the newest recovery point, restored into the database subnets and thrown away ---------
    const underscored = name.replace(/[^A-Za-z0-9]/g, "_");
    const testingPlan = new aws.backup.RestoreTestingPlan(
      `${name}-restore-tests`,
      {
        name: `${underscored}_restore_tests`,
        scheduleExpression: cronAt(args.schedule.restoreTestStart, args.restoreTests === "daily" ? "day" : "monday"),
        startWindowHours: 2,
        recoveryPointSelection: {
          algorithm: "LATEST_WITHIN_WINDOW",
          includeVaults: [vault.arn],
          recoveryPointTypes: ["CONTINUOUS", "SNAPSHOT"],
          selectionWindowDays: args.restoreTests === "daily" ? 1 : 7,
        },
      },
      { ...child, ...fixedName },
    );
    if (backedUp) {
      new aws.backup.RestoreTestingSelection(
        `${name}-restore-tests`,
        {
          name: `${underscored}_database`,
          restoreTestingPlanName: testingPlan.name,
          protectedResourceType: "RDS",
          protectedResourceArns: [args.database.arn],
          iamRoleArn: role.arn,
          // The test instance is small, private, single-AZ and deletable; AWS Backup removes it after validation.
          restoreMetadataOverrides: {
            dbInstanceClass: "db.t3.micro",
            dbSubnetGroupName: args.database.subnetGroupName,
            vpcSecurityGroupIds: pulumi.jsonStringify([args.database.securityGroupId]),
            multiAZ: "false",
            publiclyAccessible: "false",
            deletionProtection: "false",
          },
          validationWindowHours: 2,
        },
        { ...child, ...fixedName },
      );
    }

    // --- This stack's results, from AWS Backup's events ------------------------------------------------------
    // AWS Backup's CloudWatch metrics count every job of the account and region, whichever stack it belongs to; its
    // EventBridge events name the vault, the role and the source vault of each job
    // (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html), so rules can pick this stack's.
    const notify = (
      key: string,
      detailType: string,
      detail: Record<string, pulumi.Input<string>[]>,
      what: string,
      job: string,
    ) => {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-${key}`,
        {
          description: `[critical] ${what}`,
          eventPattern: pulumi.jsonStringify({ source: ["aws.backup"], "detail-type": [detailType], detail }),
        },
        child,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${key}`,
        {
          rule: rule.name,
          targetId: "critical-topic",
          arn: args.topicArns.critical,
          inputTransformer: {
            inputPaths: { job: `$.detail.${job}`, status: "$.detail.statusMessage", time: "$.time" },
            inputTemplate: `"[critical] ${what} (job <job>, <time>): <status>"`,
          },
        },
        child,
      );
      return rule;
    };
    const ruleNames: pulumi.Output<string>[] = [
      notify(
        "backup-failed",
        "Backup Job State Change",
        { state: ["FAILED", "ABORTED", "EXPIRED"], backupVaultName: [vault.name] },
        `a backup of ${name} failed`,
        "backupJobId",
      ).name,
    ];
    if (drVault) {
      ruleNames.push(
        notify(
          "copy-failed",
          "Copy Job State Change",
          { state: ["FAILED"], sourceBackupVaultArn: [vault.arn] },
          `copying a backup of ${name} to ${args.drRegion} failed`,
          "copyJobId",
        ).name,
      );
    }
    // Restore jobs carry the role they ran with; only this stack's backups and restore tests use this one.
    ruleNames.push(
      notify(
        "restore-failed",
        "Restore Job State Change",
        { status: ["FAILED", "ABORTED"], iamRoleArn: [role.arn] },
        `a restore (test) of ${name}'s database failed: the backups may not be restorable`,
        "restoreJobId",
      ).name,
    );

    // Completed backups and restore tests land in a log group; a metric counts the restore tests. Every backup
    // event that is not a completed restore counts as 0, so a day of backups without a restore test is a 0, and a
    // day with no events at all is missing data.
    const events = encryptedLogGroup(`${name}-events`, `/aws/events/${name}`, args.logs, {
      ...child,
      protect: args.protect,
    });
    new aws.cloudwatch.LogResourcePolicy(
      `${name}-events`,
      {
        policyName: `${name}-events`,
        // EventBridge's documented policy for CloudWatch Logs targets
        // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions),
        // narrowed to this log group.
        policyDocument: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "EventBridgeWritesThisStacksBackupEvents",
              Effect: "Allow",
              Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: pulumi.interpolate`${events.arn}:*`,
            },
          ],
        }),
      },
      child,
    );
    const recorded: [string, string, Record<string, pulumi.Input<string>[]>][] = [
      ["backups-completed", "Backup Job State Change", { state: ["COMPLETED"], backupVaultName: [vault.name] }],
      ["restores-completed", "Restore Job State Change", { status: ["COMPLETED"], iamRoleArn: [role.arn] }],
    ];
    for (const [key, detailType, detail] of recorded) {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-${key}`,
        {
          description: `Records ${key.replace("-", " ")} of ${name}`,
          eventPattern: pulumi.jsonStringify({ source: ["aws.backup"], "detail-type": [detailType], detail }),
        },
        child,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${key}`,
        { rule: rule.name, targetId: "event-log", arn: events.arn },
        child,
      );
      ruleNames.push(rule.name);
    }
    const restoreMetric = "RestoreTestsCompleted";
    new aws.cloudwatch.LogMetricFilter(
      `${name}-restores-completed`,
      {
        logGroupName: events.name,
        // Restore-job events report `status`, backup-job events `state`.
        pattern: '{ $.detail.status = "COMPLETED" }',
        metricTransformation: {
          namespace: args.metricNamespace,
          name: restoreMetric,
          value: "1",
          defaultValue: "0",
          unit: "Count",
        },
      },
      child,
    );

    const alarms: aws.cloudwatch.MetricAlarm[] = [];
    if (args.restoreTests === "daily") {
      alarms.push(
        new aws.cloudwatch.MetricAlarm(
          `${name}-restore-test-missing`,
          {
            alarmDescription: `[critical] two days of ${name}'s backups without a completed restore test: restore testing is not running`,
            namespace: args.metricNamespace,
            metricName: restoreMetric,
            statistic: "Sum",
            period: 86400,
            // Two days in a row: a new stack's first day has backups but its first restore test only the next
            // morning, and must not page.
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            // A day without any backup event says nothing about restore testing (the backup rules report those).
            treatMissingData: "notBreaching",
            alarmActions: [args.topicArns.critical],
            okActions: [args.topicArns.critical],
            tags: { Severity: "critical" },
          },
          child,
        ),
      );
    }
    new aws.backup.VaultNotifications(
      `${name}-vault-events`,
      {
        backupVaultName: vault.name,
        snsTopicArn: args.topicArns.warning,
        // Failures reach the critical topic through the rules above; these are changes worth a look.
        backupVaultEvents: ["RECOVERY_POINT_MODIFIED", "BACKUP_PLAN_MODIFIED"],
      },
      child,
    );

    this.vaultName = vault.name;
    this.drVaultArn = drVault?.arn;
    this.drKeyArn = drKeyArn;
    this.planId = plan.id;
    this.restoreTestingPlanName = testingPlan.name;
    this.alarmNames = alarms.map((alarm) => alarm.name);
    this.eventRuleNames = ruleNames;
    this.registerOutputs({
      vaultName: this.vaultName,
      drVaultArn: this.drVaultArn,
      drKeyArn: this.drKeyArn,
      planId: this.planId,
      restoreTestingPlanName: this.restoreTestingPlanName,
      alarmNames: this.alarmNames,
      eventRuleNames: this.eventRuleNames,
    });
  }
}
