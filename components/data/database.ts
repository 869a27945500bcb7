import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { JsonSecret } from "../security/json-secret";
import type { PolicyStatement } from "../lib/bundled-function";
import { SecretRotation, type RotationSettings } from "../security/secret-rotation";
import { functionBundle } from "../../functions/bundle";
import type { ApplicationRoles, DatabaseConnection } from "../../functions/rotation/postgres";
import { encryptedLogGroup, type LogDestination } from "../lib/log-group";
import { applyTransform, type Transform } from "../lib/transform";

/** The connection document of both database secrets; the rotation function defines it (the backend's shape). */
export type { DatabaseConnection };

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
  /** The RDS master user (1-63 letters, digits or '_', a letter first). */
  masterUsername: string;
  /** The application's roles: the schema's owner and the login role the backend connects as. */
  applicationRoles: ApplicationRoles;
  /** How often both credentials rotate, with the network the rotation functions connect to the database from. */
  rotation: RotationSettings;
  /** The port PostgreSQL listens on. @default 5432 */
  port?: number;
  /** Customer-managed KMS key for storage, snapshots and Performance Insights (its policy must admit RDS). */
  storageKmsKeyArn: pulumi.Input<string>;
  /** Customer-managed KMS key for the credentials secrets (its policy must admit Secrets Manager). */
  secretKmsKeyArn: pulumi.Input<string>;
  /** Where the exported PostgreSQL logs go: a KMS key that admits CloudWatch Logs, and days to keep them. */
  logs: LogDestination;
  /** Seconds between enhanced-monitoring samples (1, 5, 10, 15, 30 or 60). @default 60 */
  monitoringIntervalSeconds?: number;
  /**
   * Create the instance from a backup instead of empty (disaster recovery, `docs/runbook-restore.md`): an RDS
   * snapshot (identifier or ARN, e.g. a recovery point copied to this region), or point-in-time recovery from
   * automated backups replicated to this region, at `restoreTime` (RFC 3339) or the latest restorable time. The
   * restored database keeps its name and master user (it must be `masterUsername`); its master password is replaced by
   * this stack's generated one — on a standby (`standbyOf`, the fallback when its replica is lost) it stays the
   * primary's, whose replicated secret holds it — and the deploy-time bootstrap sets the application user's.
   * @default an empty database
   */
  restoreFrom?: { snapshot: string } | { automatedBackupsArn: string; restoreTime?: string };
  /**
   * Make the instance the cross-region read replica of a primary stack's (the standby of ADR 24), or, `promoted`,
   * the standalone instance that replica became (RDS PromoteReadReplica: the provider promotes a replica whose
   * `replicateSourceDb` is removed; https://www.pulumi.com/registry/packages/aws/api-docs/rds/instance/). A replica
   * inherits the primary's databases, roles and master password, so the master secret is the primary's (its replica
   * in this region) and no master password is created here; the application's secret is this instance's own. While
   * a replica, nothing writes: no bootstrap and no scheduled rotation (both functions are prepared). It has the
   * primary's shape otherwise (Multi-AZ, backups), so the promotion is the recovery's only change to it.
   * @default a primary instance
   */
  standbyOf?: {
    /** ARN of the source instance, in the primary's region. */
    sourceInstanceArn: pulumi.Input<string>;
    /** ARN of the replica, in this region, of the primary's master secret (see `masterSecretReplica`). */
    masterSecretArn: pulumi.Input<string>;
    /** ARN of the key that encrypts that replica (the primary's secrets key, replicated here). */
    masterSecretKmsKeyArn: pulumi.Input<string>;
    /** Promoted: standalone and written to (the bootstrap, the rotations' schedules). */
    promoted: boolean;
  };
  /**
   * Replicate the master user's secret to the standby's region, under that region's replica of the secrets key
   * (named {@link masterSecretName}, so the standby finds it). @default no replica
   */
  masterSecretReplica?: { region: string; kmsKeyArn: pulumi.Input<string> };
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
 * The functions verify the database's certificate (`rds.force_ssl`), issued by the RDS CA. Node.js 20 and later
 * Lambda runtimes no longer load Amazon's CA certificates unless told to, from this file
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html, "CA certificate loading").
 */
const RDS_CA_ENVIRONMENT = { NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem" };

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
 * Performance Insights, enhanced monitoring, log exports, and two credentials in Secrets Manager, each in the shape
 * `{ host, port, username, password, database }` and each rotating on a schedule (ADR 23):
 *
 * - the master user's, rotated by the single-user strategy; Pulumi sets the first password and then ignores it;
 * - the application's (`cloudweave_user`, the one the backend reads), a least-privilege login role the deploy
 *   creates (an `aws.lambda.Invocation` of the rotation function, idempotent) and rotation alternates with its clone.
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
  /** Whether the instance is (still) a cross-region read replica: a standby's, not promoted. */
  public readonly isReplica: boolean;
  /** ARN of the secret with the application's connection document; the backend reads it. */
  public readonly secretArn: pulumi.Output<string>;
  /** ARN of the master user's secret (same shape); only the rotation functions read it. */
  public readonly masterSecretArn: pulumi.Output<string>;
  /** The application's first connection document, as a Pulumi secret (rotation replaces the password). */
  public readonly connection: pulumi.Output<DatabaseConnection>;
  /** The rotation of the master user's and of the application's credentials. */
  public readonly rotations: { master: SecretRotation; application: SecretRotation };
  private readonly applicationSecret: JsonSecret;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:data:Database", name, {}, opts);
    const child = { parent: this };
    const protect = args.protect ?? false;
    const port = args.port ?? 5432;
    const roles = args.applicationRoles;

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

    const standby = args.standbyOf;
    // A replica is read-only until promoted: nothing may write to it (the bootstrap, the application's rotation).
    const writable = !standby || standby.promoted;
    // RDS rejects '/', '@', '"' and spaces in master passwords. Rotation replaces both within their first period. A
    // replica has the primary's master password.
    const password = standby
      ? undefined
      : new random.RandomPassword(
          `${name}-password`,
          { length: 40, special: true, overrideSpecial: "!#$%&*()-_=+[]{}<>:?" },
          child,
        );
    const applicationPassword = new random.RandomPassword(
      `${name}-app-password`,
      { length: 40, special: false },
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
          // A standby's replica has the primary's shape (Multi-AZ, backups, ADR 24): its promotion then changes nothing
          // else, so RDS promotes without first modifying the replica
          // (terraform-provider-aws resourceInstanceUpdate: ModifyDBInstance for other changes, then PromoteReadReplica).
          multiAz: args.multiAz,
          ...(standby
            ? args.restoreFrom
              ? restoreSource(args.restoreFrom)
              : standby.promoted
                ? {}
                : { replicateSourceDb: standby.sourceInstanceArn }
            : { ...restoreArgs(args), password: password?.result }),
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
          // RDS for PostgreSQL 14.1 and later keeps automated backups of read replicas too
          // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Overview.Differences.html).
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
        // instance before creating the new one, or the two would collide. Production is protected anyway. The master
        // password is the rotation function's after the first: Pulumi must not set it back.
        {
          ...child,
          protect,
          deleteBeforeReplace: true,
          dependsOn: [...logGroups, monitoringPolicy],
          ignoreChanges: ["password"],
        },
        args.transform?.instance,
      ),
    );

    const document = (username: string, secretPassword: pulumi.Output<string>) =>
      pulumi.secret(
        pulumi
          .all([instance.address, instance.port, secretPassword])
          .apply(([host, actualPort, value]): DatabaseConnection => ({
            host,
            port: actualPort,
            username,
            password: value,
            database: args.databaseName,
          })),
      );
    const secret = (
      suffix: string,
      description: string,
      value: pulumi.Output<DatabaseConnection>,
      replica?: DatabaseArgs["masterSecretReplica"],
    ) =>
      new JsonSecret(
        suffix === "master" ? masterSecretName(name) : `${name}-${suffix}`,
        {
          description,
          value,
          kmsKeyArn: args.secretKmsKeyArn,
          recoveryWindowInDays: protect ? 30 : 7,
          rotated: true,
          ...(replica ? { replica } : {}),
          protect,
        },
        child,
      );
    this.connection = document(roles.user, applicationPassword.result);
    // The master's secret: the one this instance's generated password is in, or a standby's replica of the primary's.
    const ownMaster = password
      ? secret(
          "master",
          `PostgreSQL master user of ${name}, for the rotation functions and emergencies only: host, port, username, password, database`,
          document(args.masterUsername, password.result),
          args.masterSecretReplica,
        )
      : undefined;
    const masterSecretArn = standby ? pulumi.output(standby.masterSecretArn) : ownMaster!.arn;
    const applicationSecret = secret(
      "credentials",
      `PostgreSQL connection for the CloudWeave backend (${name}): host, port, username, password, database`,
      this.connection,
    );

    const rotationArgs = { secretKmsKeyArn: args.secretKmsKeyArn, settings: args.rotation, inVpc: true };
    // The master user's rotation: of its own secret, or on a standby of the primary's replica — prepared while it
    // replicates (Secrets Manager rotates no replica; the primary's rotation changes it), scheduled once the
    // recovery has made it standalone (docs/runbook-restore.md).
    const master = new SecretRotation(
      `${name}-master-rotation`,
      {
        ...rotationArgs,
        kind: "postgres-master",
        secretArn: masterSecretArn,
        secretKmsKeyArn: standby ? standby.masterSecretKmsKeyArn : args.secretKmsKeyArn,
        // The instance it serves: a standby's master secret names the primary's until this rotation rewrites it.
        environment: {
          ...RDS_CA_ENVIRONMENT,
          DATABASE_HOST: instance.address,
          DATABASE_PORT: pulumi.interpolate`${instance.port}`,
        },
        scheduled: writable,
      },
      child,
    );
    const masterKeyStatement: PolicyStatement[] = standby
      ? [
          {
            // The primary's master secret's replica is encrypted with the replica of the primary's secrets key.
            Sid: "DecryptTheMasterSecretThroughSecretsManager",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: standby.masterSecretKmsKeyArn,
            Condition: {
              StringEquals: { "kms:ViaService": pulumi.interpolate`secretsmanager.${regionOf(this)}.amazonaws.com` },
            },
          },
        ]
      : [];
    const application = new SecretRotation(
      `${name}-app-rotation`,
      {
        ...rotationArgs,
        kind: "postgres-application",
        secretArn: applicationSecret.arn,
        // Lambda's maximum: right after a standby's promotion the instance reboots for minutes, and the deploy-time
        // bootstrap waits for it (a rotation itself takes seconds).
        timeoutSeconds: 900,
        environment: {
          ...RDS_CA_ENVIRONMENT,
          MASTER_SECRET_ARN: masterSecretArn,
          APP_SECRET_ARN: applicationSecret.arn,
          APP_OWNER_ROLE: roles.owner,
          APP_SCHEMA: roles.schema,
          APP_USER: roles.user,
        },
        statements: [
          {
            // Alternating users: the master user sets the application roles' passwords.
            Sid: "ReadTheMasterSecret",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: masterSecretArn,
          },
          ...masterKeyStatement,
        ],
        scheduled: writable,
      },
      child,
    );
    // The application's roles exist before anything reads its secret: created at deploy time by the rotation
    // function (it reaches the database; nothing else here does), again whenever its code or the instance changes.
    // The bootstrap is idempotent (test/servers/postgres.test.ts).
    // A promoted replica already has the roles (replicated); the bootstrap then sets this region's password.
    if (writable) {
      new aws.lambda.Invocation(
        `${name}-bootstrap`,
        {
          functionName: application.functionName,
          input: JSON.stringify({ action: "bootstrap" }),
          triggers: {
            code: functionBundle("rotation").sha256,
            instance: instance.resourceId,
            roles: JSON.stringify(roles),
          },
        },
        { ...child, dependsOn: [instance, ...(ownMaster ? [ownMaster] : []), applicationSecret, application] },
      );
    }
    this.rotations = { master, application };
    this.applicationSecret = applicationSecret;

    this.address = instance.address;
    this.port = instance.port;
    this.instanceArn = instance.arn;
    this.identifier = instance.identifier;
    this.isReplica = !writable;
    this.secretArn = applicationSecret.arn;
    this.masterSecretArn = masterSecretArn;
    this.registerOutputs({
      masterSecretArn: this.masterSecretArn,
      address: this.address,
      port: this.port,
      instanceArn: this.instanceArn,
      identifier: this.identifier,
      secretArn: this.secretArn,
      connection: this.connection,
    });
  }

  /** Lets `role` (the backend's task role) read the application's credentials at run time, as they rotate. */
  public grantRead(role: { name: pulumi.Input<string> }): aws.iam.RolePolicy {
    return this.applicationSecret.grantRead(role, "reader");
  }
}

/** The name of the master secret of the Database named `name`: replicated, the standby finds it by this name. */
export function masterSecretName(name: string): string {
  return `${name}-master`;
}

/** A new database is created with its name and master user; a restored one brings them from the backup. */
function restoreArgs(args: DatabaseArgs): Partial<aws.rds.InstanceArgs> {
  return args.restoreFrom
    ? restoreSource(args.restoreFrom)
    : { dbName: args.databaseName, username: args.masterUsername };
}

/** Where a restored instance comes from: a snapshot, or point-in-time recovery from (replicated) automated backups. */
function restoreSource(source: NonNullable<DatabaseArgs["restoreFrom"]>): Partial<aws.rds.InstanceArgs> {
  if ("snapshot" in source) return { snapshotIdentifier: source.snapshot };
  return {
    restoreToPointInTime: {
      sourceDbInstanceAutomatedBackupsArn: source.automatedBackupsArn,
      ...(source.restoreTime ? { restoreTime: source.restoreTime } : { useLatestRestorableTime: true }),
    },
  };
}
