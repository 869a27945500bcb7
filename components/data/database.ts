import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AwsAccount } from "../lib/aws-account";
import { JsonSecret } from "../security/json-secret";
import { encryptedLogGroup, type LogDestination } from "../lib/log-group";
import { applyTransform, type Transform } from "../lib/transform";

/** The connection document the backend reads from the database secret (the seed's shape, plus the port). */
export interface DatabaseConnection {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
}

/** Arguments of {@link Database}. */
export interface DatabaseArgs {
  /** The account; the enhanced-monitoring role carries its permissions boundary. */
  account: AwsAccount;
  /** The RDS subnet group (database tier) the instance lives in. */
  subnetGroupName: pulumi.Input<string>;
  /** The database tier's security group (admits the backend only). */
  securityGroupId: pulumi.Input<string>;
  /** RDS instance class, e.g. `db.t3.medium`. */
  instanceClass: string;
  /** A standby in a second AZ with automatic failover. */
  multiAz: boolean;
  /**
   * PostgreSQL version: `"15"` follows the newest 15.x minor (auto minor upgrades keep it current), or pin `"15.<n>"`.
   */
  engineVersion: string;
  /** Initial gp3 storage in GiB. */
  allocatedStorage: number;
  /** Storage autoscaling ceiling in GiB; must exceed `allocatedStorage`. */
  maxAllocatedStorage: number;
  /** Days of automated backups and point-in-time recovery (1-35). */
  backupRetentionDays: number;
  /** RDS's daily automated-backup window, UTC (`hh24:mi-hh24:mi`, at least 30 minutes). */
  backupWindow: string;
  /** Weekly maintenance window, UTC (`ddd:hh24:mi-ddd:hh24:mi`); must not overlap the backup window. */
  maintenanceWindow: string;
  /** Name of the application database, e.g. `cloudweave_production`. */
  databaseName: string;
  /** The master user the application connects as. @default "cloudweave_user" */
  username?: string;
  /** The port PostgreSQL listens on. @default 5432 */
  port?: number;
  /** Customer-managed KMS key for storage, snapshots and Performance Insights (its policy must admit RDS). */
  storageKmsKeyArn: pulumi.Input<string>;
  /** Customer-managed KMS key for the credentials secret (its policy must admit Secrets Manager). */
  secretKmsKeyArn: pulumi.Input<string>;
  /** Where the exported PostgreSQL logs go: a KMS key that admits CloudWatch Logs, and days to keep them. */
  logs: LogDestination;
  /** Seconds between enhanced-monitoring samples (1, 5, 10, 15, 30 or 60). @default 60 */
  monitoringIntervalSeconds?: number;
  /**
   * Create the instance from a backup instead of empty (disaster recovery, `docs/runbook-restore.md`): an RDS
   * snapshot (identifier or ARN, e.g. a recovery point copied to this region), or point-in-time recovery from
   * automated backups replicated to this region, at `restoreTime` (RFC 3339) or the latest restorable time. The
   * restored database keeps its name and master user; its master password is replaced by this stack's generated one.
   * @default an empty database
   */
  restoreFrom?: { snapshot: string } | { automatedBackupsArn: string; restoreTime?: string };
  /** Days of Performance Insights history (7 is free; 31-731 are paid). @default 7 */
  performanceInsightsRetentionDays?: number;
  /**
   * Production safety: RDS deletion protection, a final snapshot on deletion, Pulumi `protect`, changes applied
   * in the maintenance window rather than immediately, and a 30-day recovery window for the secret.
   * @default false
   */
  protect?: boolean;
  /** Edits to the arguments of the main children (see {@link Transform}). @default none */
  transform?: {
    /** The DB parameter group. */
    parameterGroup?: Transform<aws.rds.ParameterGroupArgs>;
    /** The RDS instance. */
    instance?: Transform<aws.rds.InstanceArgs>;
  };
}

/**
 * Settings of the custom parameter group, each with the reason it departs from the RDS default.
 * `pending-reboot` marks static parameters that apply at the next reboot.
 */
const PARAMETERS: { name: string; value: string; applyMethod?: "pending-reboot"; why: string }[] = [
  { name: "rds.force_ssl", value: "1", why: "refuse unencrypted connections (CKV2_AWS_69)" },
  { name: "ssl_min_protocol_version", value: "TLSv1.2", why: "no TLS 1.0/1.1 handshakes" },
  { name: "password_encryption", value: "scram-sha-256", why: "store new passwords as SCRAM, never MD5" },
  { name: "log_min_duration_statement", value: "500", why: "log statements slower than 500 ms: the slow-query log" },
  { name: "log_connections", value: "1", why: "audit trail of who connected, from where" },
  { name: "log_disconnections", value: "1", why: "session durations, to spot connection churn from the pool" },
  { name: "log_lock_waits", value: "1", why: "log waits longer than deadlock_timeout: contention shows up" },
  { name: "log_temp_files", value: "10240", why: "log spills to disk over 10 MB: queries that need work_mem" },
  { name: "log_autovacuum_min_duration", value: "10000", why: "autovacuum runs over 10 s, to tune bloat control" },
  {
    name: "idle_in_transaction_session_timeout",
    value: "300000",
    why: "end sessions idle inside a transaction for 5 minutes: they hold locks and block vacuum",
  },
  {
    name: "shared_preload_libraries",
    value: "pg_stat_statements",
    applyMethod: "pending-reboot",
    why: "per-statement statistics for tuning (CREATE EXTENSION pg_stat_statements to query them)",
  },
];

/**
 * RDS PostgreSQL 15 for CloudWeave: encrypted gp3 storage with autoscaling, backups, a hardened parameter group,
 * Performance Insights, enhanced monitoring, log exports, and generated credentials kept in Secrets Manager in the
 * shape the backend reads: `{ host, port, username, password, database }`.
 */
export class Database extends pulumi.ComponentResource {
  /** The instance's DNS name. */
  public readonly address: pulumi.Output<string>;
  /** The port PostgreSQL listens on. */
  public readonly port: pulumi.Output<number>;
  /** The instance's ARN. */
  public readonly instanceArn: pulumi.Output<string>;
  /** The instance identifier (also names its CloudWatch log groups). */
  public readonly identifier: pulumi.Output<string>;
  /** ARN of the Secrets Manager secret with the connection document; the backend task reads it. */
  public readonly secretArn: pulumi.Output<string>;
  /** The connection document itself, as a Pulumi secret. */
  public readonly connection: pulumi.Output<DatabaseConnection>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:data:Database", name, {}, opts);
    const child = { parent: this };
    const protect = args.protect ?? false;
    const port = args.port ?? 5432;
    const username = args.username ?? "cloudweave_user";

    const parameterGroup = new aws.rds.ParameterGroup(
      ...applyTransform(
        `${name}-params`,
        {
          family: "postgres15",
          description: `CloudWeave PostgreSQL 15 settings for ${name}: TLS only, slow-query and connection logging`,
          parameters: PARAMETERS.map(({ name: parameter, value, applyMethod }) => ({
            name: parameter,
            value,
            applyMethod: applyMethod ?? "immediate",
          })),
          tags: { Name: `${name}-params` },
        },
        child,
        args.transform?.parameterGroup,
      ),
    );

    const monitoringRole = new aws.iam.Role(
      `${name}-monitoring`,
      {
        permissionsBoundary: args.account.permissionsBoundaryArn,
        description: `Lets RDS enhanced monitoring publish OS metrics of ${name}`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
        tags: { Name: `${name}-monitoring` },
      },
      child,
    );
    const monitoringPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-monitoring`,
      {
        role: monitoringRole.name,
        policyArn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
      },
      child,
    );

    // RDS would create the export log groups itself, unencrypted and kept forever; creating them first (named as
    // RDS names them) gives them the stack's key and retention.
    const exportedLogs = ["postgresql", "upgrade"];
    const logGroups = exportedLogs.map((log) =>
      encryptedLogGroup(`${name}-${log}-logs`, `/aws/rds/instance/${name}/${log}`, args.logs, { ...child, protect }),
    );

    // RDS rejects '/', '@', '"' and spaces in master passwords.
    const password = new random.RandomPassword(
      `${name}-password`,
      { length: 40, special: true, overrideSpecial: "!#$%&*()-_=+[]{}<>:?" },
      child,
    );

    const instance = new aws.rds.Instance(
      ...applyTransform(
        `${name}-instance`,
        {
          identifier: name,
          engine: "postgres",
          engineVersion: args.engineVersion,
          instanceClass: args.instanceClass,
          multiAz: args.multiAz,
          ...restoreArgs(args),
          password: password.result,
          port,
          dbSubnetGroupName: args.subnetGroupName,
          vpcSecurityGroupIds: [args.securityGroupId],
          publiclyAccessible: false,
          parameterGroupName: parameterGroup.name,
          caCertIdentifier: "rds-ca-rsa2048-g1",
          storageType: "gp3",
          allocatedStorage: args.allocatedStorage,
          maxAllocatedStorage: args.maxAllocatedStorage,
          storageEncrypted: true,
          kmsKeyId: args.storageKmsKeyArn,
          backupRetentionPeriod: args.backupRetentionDays,
          backupWindow: args.backupWindow,
          maintenanceWindow: args.maintenanceWindow,
          copyTagsToSnapshot: true,
          deleteAutomatedBackups: !protect,
          deletionProtection: protect,
          skipFinalSnapshot: !protect,
          finalSnapshotIdentifier: protect ? `${name}-final` : undefined,
          autoMinorVersionUpgrade: true,
          allowMajorVersionUpgrade: false,
          applyImmediately: !protect,
          iamDatabaseAuthenticationEnabled: true,
          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: args.storageKmsKeyArn,
          performanceInsightsRetentionPeriod: args.performanceInsightsRetentionDays ?? 7,
          monitoringInterval: args.monitoringIntervalSeconds ?? 60,
          monitoringRoleArn: monitoringRole.arn,
          enabledCloudwatchLogsExports: exportedLogs,
          tags: { Name: name },
        }, // The identifier is fixed (RDS names the exported log groups after it): a replacement must delete the old
        // instance before creating the new one, or the two would collide. Production is protected anyway.
        { ...child, protect, deleteBeforeReplace: true, dependsOn: [...logGroups, monitoringPolicy] },
        args.transform?.instance,
      ),
    );

    this.connection = pulumi.secret(
      pulumi
        .all([instance.address, instance.port, password.result])
        .apply(([host, actualPort, secretPassword]): DatabaseConnection => ({
          host,
          port: actualPort,
          username,
          password: secretPassword,
          database: args.databaseName,
        })),
    );
    const secret = new JsonSecret(
      `${name}-credentials`,
      {
        description: `PostgreSQL connection for the CloudWeave backend (${name}): host, port, username, password, database`,
        value: this.connection,
        kmsKeyArn: args.secretKmsKeyArn,
        recoveryWindowInDays: protect ? 30 : 7,
        protect,
      },
      child,
    );

    this.address = instance.address;
    this.port = instance.port;
    this.instanceArn = instance.arn;
    this.identifier = instance.identifier;
    this.secretArn = secret.arn;
    this.registerOutputs({
      address: this.address,
      port: this.port,
      instanceArn: this.instanceArn,
      identifier: this.identifier,
      secretArn: this.secretArn,
      connection: this.connection,
    });
  }
}

/** A new database is created with its name and master user; a restored one brings them from the backup. */
function restoreArgs(args: DatabaseArgs): Partial<aws.rds.InstanceArgs> {
  const source = args.restoreFrom;
  if (!source) return { dbName: args.databaseName, username: args.username ?? "cloudweave_user" };
  if ("snapshot" in source) return { snapshotIdentifier: source.snapshot };
  return {
    restoreToPointInTime: {
      sourceDbInstanceAutomatedBackupsArn: source.automatedBackupsArn,
      ...(source.restoreTime ? { restoreTime: source.restoreTime } : { useLatestRestorableTime: true }),
    },
  };
}
