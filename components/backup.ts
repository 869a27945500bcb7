import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "./aws-account";
import { serviceTrustPolicy } from "./service-trust";
import { EncryptionKey } from "./encryption-key";

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
  /** SNS topics: `critical` for failed backups, copies and restore tests; `warning` for vault events. */
  topicArns: { critical: pulumi.Input<string>; warning: pulumi.Input<string> };
  /** Tags of the component's second-region provider (the stack's `aws:defaultTags`). */
  defaultTags?: Record<string, string>;
  /** Protects the vaults and their keys from deletion by Pulumi (production). @default false */
  protect?: boolean;
}

const RESTORE_TEST_SCHEDULES = { daily: "cron(0 6 * * ? *)", weekly: "cron(0 6 ? * MON *)" } as const;

/**
 * Disaster recovery for the database with AWS Backup: continuous backup (point-in-time recovery, an RPO of minutes
 * against the design's 1 hour), daily snapshots copied to a vault in a second region, RDS automated backups
 * replicated there, locked vaults, scheduled restore tests, and alarms on every failure and on a missing restore.
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
  /** Names of the alarms on backup, copy and restore-test results. */
  public readonly alarmNames: pulumi.Output<string>[];

  constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:operations:Backup", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const copies = args.copyRetentionDays > 0;
    const needsDr = copies || args.replicateAutomatedBackups;

    const vaultKey = new EncryptionKey(
      `${name}-vault`,
      {
        description: `CloudWeave backups of ${name} in ${args.account.region}`,
        account: args.account,
        viaServices: ["backup"],
        protect: args.protect,
      },
      child,
    );
    const vault = new aws.backup.Vault(
      `${name}-vault`,
      { name, kmsKeyArn: vaultKey.arn, forceDestroy: !args.protect, tags: { Name: `${name}-vault` } },
      { ...child, protect: args.protect },
    );

    let drVault: aws.backup.Vault | undefined;
    let drKeyArn: pulumi.Output<string> | undefined;
    let inDr: pulumi.CustomResourceOptions | undefined;
    if (needsDr) {
      const dr = new aws.Provider(
        `${name}-${args.drRegion}`,
        { region: args.drRegion, defaultTags: { tags: args.defaultTags ?? {} } },
        child,
      );
      inDr = { parent: this, provider: dr };
      const drKey = new EncryptionKey(
        `${name}-dr`,
        {
          description: `CloudWeave backups of ${name} in ${args.drRegion} (copies, replicated automated backups)`,
          account: { ...args.account, region: args.drRegion },
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
          { ...inDr, protect: args.protect },
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
            schedule: "cron(0 * ? * * *)",
            startWindow: 60,
            completionWindow: 120,
            lifecycle: { deleteAfter: args.pointInTimeRetentionDays },
          },
          {
            ruleName: "daily",
            targetVaultName: vault.name,
            schedule: "cron(0 3 * * ? *)",
            startWindow: 60,
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
        description: `AWS Backup backs up and test-restores the resources of ${name}`,
        assumeRolePolicy: serviceTrustPolicy("backup.amazonaws.com", accountId),
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
    new aws.backup.Selection(
      `${name}-database`,
      { name: `${name}-database`, planId: plan.id, iamRoleArn: role.arn, resources: [args.database.arn] },
      child,
    );

    // --- Restore tests: the newest recovery point, restored into the database subnets and thrown away ---------
    const underscored = name.replace(/[^A-Za-z0-9]/g, "_");
    const testingPlan = new aws.backup.RestoreTestingPlan(
      `${name}-restore-tests`,
      {
        name: `${underscored}_restore_tests`,
        scheduleExpression: RESTORE_TEST_SCHEDULES[args.restoreTests],
        startWindowHours: 2,
        recoveryPointSelection: {
          algorithm: "LATEST_WITHIN_WINDOW",
          includeVaults: [vault.arn],
          recoveryPointTypes: ["CONTINUOUS", "SNAPSHOT"],
          selectionWindowDays: args.restoreTests === "daily" ? 1 : 7,
        },
      },
      child,
    );
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
      child,
    );

    // --- Alarms on every result --------------------------------------------------------------------------------
    const alarms: aws.cloudwatch.MetricAlarm[] = [];
    const failureAlarm = (
      suffix: string,
      metricName: string,
      dimensions: Record<string, pulumi.Input<string>>,
      what: string,
    ) =>
      alarms.push(
        new aws.cloudwatch.MetricAlarm(
          `${name}-${suffix}`,
          {
            alarmDescription: `[critical] ${what}`,
            namespace: "AWS/Backup",
            metricName,
            dimensions,
            statistic: "Sum",
            period: 3600,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            treatMissingData: "notBreaching",
            alarmActions: [args.topicArns.critical],
            okActions: [args.topicArns.critical],
            tags: { Severity: "critical" },
          },
          child,
        ),
      );
    failureAlarm(
      "backup-failed",
      "NumberOfBackupJobsFailed",
      { BackupVaultName: vault.name },
      `a backup of ${name} failed`,
    );
    if (drVault) {
      failureAlarm(
        "copy-failed",
        "NumberOfCopyJobsFailed",
        { BackupVaultName: vault.name },
        `copying a backup of ${name} to ${args.drRegion} failed`,
      );
    }
    failureAlarm(
      "restore-test-failed",
      "NumberOfRestoreJobsFailed",
      { ResourceType: "RDS" },
      `a restore (test) of ${name}'s database failed: the backups may not be restorable`,
    );
    if (args.restoreTests === "daily") {
      alarms.push(
        new aws.cloudwatch.MetricAlarm(
          `${name}-restore-test-missing`,
          {
            alarmDescription: `[critical] no restore of ${name}'s database completed in two days: restore testing is not running`,
            namespace: "AWS/Backup",
            metricName: "NumberOfRestoreJobsCompleted",
            dimensions: { ResourceType: "RDS" },
            statistic: "Sum",
            period: 86400,
            evaluationPeriods: 2,
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            // No data means no restore ran.
            treatMissingData: "breaching",
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
        backupVaultEvents: ["COPY_JOB_FAILED", "RECOVERY_POINT_MODIFIED", "BACKUP_PLAN_MODIFIED"],
      },
      child,
    );

    this.vaultName = vault.name;
    this.drVaultArn = drVault?.arn;
    this.drKeyArn = drKeyArn;
    this.planId = plan.id;
    this.restoreTestingPlanName = testingPlan.name;
    this.alarmNames = alarms.map((alarm) => alarm.name);
    this.registerOutputs({
      vaultName: this.vaultName,
      drVaultArn: this.drVaultArn,
      drKeyArn: this.drKeyArn,
      planId: this.planId,
      restoreTestingPlanName: this.restoreTestingPlanName,
      alarmNames: this.alarmNames,
    });
  }
}
