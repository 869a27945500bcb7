import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf } from "../lib/aws-account";
import * as random from "@pulumi/random";
import { JsonSecret } from "../security/json-secret";
import { DISABLED_DEFAULT_USER } from "./redis-access";
import type { CacheConnection } from "../../functions/rotation/redis";
import { SecretRotation, type RotationSettings } from "../security/secret-rotation";
import { encryptedLogGroup, type LogDestination } from "../lib/log-group";
import { applyTransform, type Transform } from "../lib/transform";

/** The connection document of the Redis secret; the rotation function defines it (the backend's shape). */
export type { CacheConnection };

export { DISABLED_DEFAULT_USER };

/** Arguments of {@link Cache}. */
export interface CacheArgs {
  /** The ElastiCache subnet group (database tier) the nodes live in. */
  subnetGroupName: pulumi.Input<string>;
  /** The cache tier's security group (admits the backend only). */
  securityGroupId: pulumi.Input<string>;
  /** Node type, e.g. `cache.t3.micro`. */
  nodeType: string;
  /**
   * The AZs to place the nodes in, primary first (cycled when there are more nodes than zones). A known primary AZ is
   * what the failover experiment cuts.
   * @default ElastiCache chooses
   */
  availabilityZones?: string[];
  /** Read replicas beside the primary (0-5). */
  replicas: number;
  /** Automatic failover to a replica in another AZ; needs at least one replica. @default false */
  multiAz?: boolean;
  /** Redis engine version. */
  engineVersion: string;
  /** The port Redis listens on. @default 6379 */
  port?: number;
  /** Days of daily snapshots kept (0 turns them off). */
  snapshotRetentionDays: number;
  /** Daily snapshot window, UTC (`hh24:mi-hh24:mi`); keep it clear of the maintenance window. */
  snapshotWindow: string;
  /** Weekly maintenance window, UTC (`ddd:hh24:mi-ddd:hh24:mi`, at least 60 minutes). */
  maintenanceWindow: string;
  /** Customer-managed KMS key for data at rest (its policy must admit ElastiCache). */
  atRestKmsKeyArn: pulumi.Input<string>;
  /** Customer-managed KMS key for the connection secret (its policy must admit Secrets Manager). */
  secretKmsKeyArn: pulumi.Input<string>;
  /** The application's RBAC user: its name and access string (what it may run, on which keys). */
  appUser: { userName: string; accessString: string };
  /** How often the user's password rotates, with the network the rotation function connects to Redis from. */
  rotation: RotationSettings;
  /** Where the slow log and engine log go: a KMS key that admits CloudWatch Logs, and days to keep them. */
  logs: LogDestination;
  /**
   * Production safety: a final snapshot on deletion, Pulumi `protect`, changes applied in the maintenance window,
   * and a 30-day recovery window for the secret.
   * @default false
   */
  protect?: boolean;
  /**
   * Create the replication group. Off (a standby not yet recovered, ADR 24), everything around it exists — the
   * subnet group's use, the parameter group, the users and user group, the secret (no value yet), the rotation
   * function with its role — so creating it later changes no IAM; the secret's first value and the rotation schedule
   * come with it.
   * @default true
   */
  running?: boolean;
  /** Edits to the arguments of the main children (see {@link Transform}). @default none */
  transform?: {
    /** The replication group. */
    replicationGroup?: Transform<aws.elasticache.ReplicationGroupArgs>;
  };
}

/**
 * Parameters that differ from the `default.redis7` group for CloudWeave's two uses, session storage and API
 * response caching, with the reason for each.
 */
const PARAMETERS: { name: string; value: string; why: string }[] = [
  {
    name: "maxmemory-policy",
    value: "volatile-ttl",
    why:
      "under memory pressure evict keys closest to expiry first: cached API responses (minutes) go before sessions " +
      "(days), and keys without a TTL are never evicted",
  },
  {
    name: "timeout",
    value: "300",
    why: "close client connections idle for 5 minutes: tasks that were stopped mid-connection do not pin slots",
  },
  {
    name: "lazyfree-lazy-eviction",
    value: "yes",
    why: "free evicted values in the background, so eviction does not stall the request that triggered it",
  },
];

/**
 * ElastiCache Redis 7 replication group for sessions and API caching: a primary and replicas, encryption at rest
 * (customer key) and in transit (required), RBAC (a user group with the application's user and a disabled `default`
 * user) whose password lives in Secrets Manager and rotates on a schedule, snapshots, and slow-log and engine-log
 * delivery to CloudWatch.
 */
export class Cache extends pulumi.ComponentResource {
  /** The running replication group (unset while `running` is false). */
  public readonly cluster:
    | {
        /** The primary endpoint's DNS name (writes). */
        readonly primaryEndpoint: pulumi.Output<string>;
        /** The reader endpoint's DNS name (reads spread over replicas). */
        readonly readerEndpoint: pulumi.Output<string>;
        /** The port Redis listens on. */
        readonly port: pulumi.Output<number>;
      }
    | undefined;
  /**
   * The replication group's ARN; while not `running`, the ARN it will have (its id is fixed), so permissions and
   * experiments that name it exist in advance.
   */
  public readonly replicationGroupArn: pulumi.Output<string>;
  /** The AZ the primary is placed in (the first of `availabilityZones`); unknown when ElastiCache chooses. */
  public readonly primaryAvailabilityZone: string | undefined;
  /** The member clusters (one node each: the primary and the replicas), the `CacheClusterId` metric dimension. */
  public readonly nodeIds: string[];
  /** ARN of the Secrets Manager secret with the connection document; the backend task reads it. */
  public readonly secretArn: pulumi.Output<string>;
  /** The first connection document, as a Pulumi secret (rotation replaces the password); unset while not running. */
  public readonly connection: pulumi.Output<CacheConnection> | undefined;
  /** The rotation of the application user's password. */
  public readonly rotation: SecretRotation;
  private readonly connectionSecret: JsonSecret;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:data:Cache", name, {}, opts);
    const child = { parent: this };
    const protect = args.protect ?? false;
    const port = args.port ?? 6379;
    const multiAz = args.multiAz ?? false;
    const engineVersion = args.engineVersion;

    const parameterGroup = new aws.elasticache.ParameterGroup(
      `${name}-params`,
      {
        family: `redis${engineVersion.split(".")[0]}`,
        description: `CloudWeave Redis settings for ${name}: session storage and API caching`,
        parameters: PARAMETERS.map(({ name: parameter, value }) => ({ name: parameter, value })),
        tags: { Name: `${name}-params` },
      },
      child,
    );

    const logGroups = (["slow-log", "engine-log"] as const).map((logType) => ({
      logType,
      group: encryptedLogGroup(`${name}-${logType}`, `/elasticache/${name}/${logType}`, args.logs, {
        ...child,
        protect,
      }),
    }));

    // RBAC user ids: a letter, then letters, digits and hyphens; stored lower-case (API_CreateUser). Passwords:
    // 16-128 characters; alphanumerics suffice at 64.
    const password = new random.RandomPassword(`${name}-app-password`, { length: 64, special: false }, child);
    const defaultUser = new aws.elasticache.User(
      `${name}-default-user`,
      {
        userId: `${name}-default`,
        userName: "default",
        engine: "redis",
        accessString: DISABLED_DEFAULT_USER,
        authenticationMode: { type: "no-password-required" },
        tags: { Name: `${name}-default-user` },
      },
      child,
    );
    const appUser = new aws.elasticache.User(
      `${name}-app-user`,
      {
        userId: `${name}-app`,
        userName: args.appUser.userName,
        engine: "redis",
        accessString: args.appUser.accessString,
        authenticationMode: { type: "password", passwords: [password.result] },
        tags: { Name: `${name}-app-user` },
      },
      // The rotation function sets the passwords from then on.
      { ...child, ignoreChanges: ["authenticationMode", "passwords"] },
    );
    const users = new aws.elasticache.UserGroup(
      `${name}-users`,
      {
        userGroupId: `${name}-users`,
        engine: "redis",
        userIds: [defaultUser.userId, appUser.userId],
        tags: { Name: `${name}-users` },
      },
      child,
    );

    const running = args.running ?? true;
    const group = running ? replicationGroup() : undefined;
    function replicationGroup(): aws.elasticache.ReplicationGroup {
      return new aws.elasticache.ReplicationGroup(
        ...applyTransform(
          `${name}-redis`,
          {
            replicationGroupId: name,
            description: `CloudWeave sessions and API cache (${name})`,
            engine: "redis",
            engineVersion,
            nodeType: args.nodeType,
            numCacheClusters: 1 + args.replicas,
            ...(args.availabilityZones?.length
              ? {
                  preferredCacheClusterAzs: Array.from(
                    { length: 1 + args.replicas },
                    (_, i) => args.availabilityZones![i % args.availabilityZones!.length] as string,
                  ),
                }
              : {}),
            port,
            parameterGroupName: parameterGroup.name,
            subnetGroupName: args.subnetGroupName,
            securityGroupIds: [args.securityGroupId],
            automaticFailoverEnabled: multiAz,
            multiAzEnabled: multiAz,
            atRestEncryptionEnabled: true,
            kmsKeyId: args.atRestKmsKeyArn,
            transitEncryptionEnabled: true,
            transitEncryptionMode: "required",
            userGroupIds: [users.userGroupId],
            snapshotRetentionLimit: args.snapshotRetentionDays,
            snapshotWindow: args.snapshotWindow,
            maintenanceWindow: args.maintenanceWindow,
            finalSnapshotIdentifier: protect ? `${name}-final` : undefined,
            autoMinorVersionUpgrade: true,
            applyImmediately: !protect,
            logDeliveryConfigurations: logGroups.map(({ logType, group: logGroup }) => ({
              destination: logGroup.name,
              destinationType: "cloudwatch-logs",
              logFormat: "json",
              logType,
            })),
            tags: { Name: name },
          }, // A fixed id (the alarms name its member clusters): a replacement deletes the old group first, or they collide.
          { ...child, protect, deleteBeforeReplace: true },
          args.transform?.replicationGroup,
        ),
      );
    }

    this.connection =
      group &&
      pulumi.secret(
        pulumi
          .all([group.primaryEndpointAddress, group.readerEndpointAddress, group.port, password.result])
          .apply(([endpoint, readerEndpoint, actualPort, secretPassword]): CacheConnection => ({
            endpoint,
            readerEndpoint,
            port: actualPort ?? port,
            username: args.appUser.userName,
            password: secretPassword,
            tls: true,
          })),
      );
    const secret = new JsonSecret(
      `${name}-connection`,
      {
        description: `Redis connection for the CloudWeave backend (${name}): endpoint, port, user, password, TLS`,
        ...(this.connection ? { value: this.connection } : {}),
        kmsKeyArn: args.secretKmsKeyArn,
        recoveryWindowInDays: protect ? 30 : 7,
        rotated: true,
        protect,
      },
      child,
    );
    this.connectionSecret = secret;
    this.rotation = new SecretRotation(
      `${name}-rotation`,
      {
        kind: "redis-user",
        secretArn: secret.arn,
        secretKmsKeyArn: args.secretKmsKeyArn,
        settings: args.rotation,
        inVpc: true,
        // ElastiCache applies a password change in the background; the function waits for the user to be active.
        timeoutSeconds: 300,
        scheduled: running,
        environment: { ELASTICACHE_USER_ID: appUser.userId },
        statements: [
          {
            Sid: "SetTheApplicationUsersPasswords",
            Effect: "Allow",
            Action: ["elasticache:ModifyUser", "elasticache:DescribeUsers"],
            Resource: appUser.arn,
          },
        ],
      },
      { ...child, dependsOn: group ? [group] : [] },
    );

    this.cluster = group && {
      primaryEndpoint: group.primaryEndpointAddress,
      readerEndpoint: group.readerEndpointAddress,
      port: pulumi.output(group.port).apply((actualPort) => actualPort ?? port),
    };
    // arn:<partition>:elasticache:<region>:<account>:replicationgroup:<id>
    // (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/IAM.ARN.html)
    const { partition, accountId } = args.rotation.account;
    this.replicationGroupArn =
      group?.arn ??
      pulumi.interpolate`arn:${partition}:elasticache:${regionOf(this)}:${accountId}:replicationgroup:${name}`;
    this.primaryAvailabilityZone = args.availabilityZones?.[0];
    // ElastiCache names a replication group's member clusters <id>-001, <id>-002, ...
    this.nodeIds = Array.from({ length: 1 + args.replicas }, (_, i) => `${name}-${String(i + 1).padStart(3, "0")}`);
    this.secretArn = secret.arn;
    this.registerOutputs({
      nodeIds: this.nodeIds,
      cluster: this.cluster,
      replicationGroupArn: this.replicationGroupArn,
      secretArn: this.secretArn,
      connection: this.connection,
    });
  }

  /** Lets `role` (the backend's task role) read the connection document at run time, as its password rotates. */
  public grantRead(role: { name: pulumi.Input<string> }): aws.iam.RolePolicy {
    return this.connectionSecret.grantRead(role, "reader");
  }
}
