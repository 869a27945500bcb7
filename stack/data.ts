import { APP_DATABASE_ROLES, APP_PORTS, APP_REDIS_USER, DATABASE_MASTER_USER } from "../config/app";
import { Cache } from "../components/data/cache";
import * as aws from "../components/lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { Database, masterSecretName } from "../components/data/database";
import { replicaAliasName } from "../components/security/encryption-key";
import type { Network } from "../components/network/network";
import { AppSecrets } from "../components/security/app-secrets";
import { serving, serviceLogs, type StackContext } from "./context";
import type { StackKeys } from "./security";

/** The data tier: PostgreSQL, Redis and the application's own secrets. */
export interface DataTier {
  database: Database;
  cache: Cache;
  appSecrets: AppSecrets;
}

/** Data tier: the database and the cache in their subnets, and the application's generated secrets. */
export function buildData(ctx: StackContext, network: Network, keys: StackKeys): DataTier {
  const { config, prefix, account, protect } = ctx;
  const logs = serviceLogs(ctx, keys.logs.arn);
  // The data stores' credentials rotate from the private subnets, in the rotation tier's security group.
  const rotation = {
    account,
    everyDays: config.secrets.credentialRotationDays,
    logs,
    network: { subnetIds: network.privateSubnetIds, securityGroupId: network.securityGroupIds.rotation },
  };
  const databaseName = `${prefix}-postgres`;
  const { recovery } = ctx;
  // A standby's database is the primary's replica (same identifier, in the primary's region) until promoted; it
  // finds the primary's replicated master secret and that secret's key by name, in its own region.
  const standbyOf =
    recovery.role === "standby"
      ? {
          sourceInstanceArn: pulumi.interpolate`arn:${account.partition}:rds:${recovery.primaryRegion}:${account.accountId}:db:${databaseName}`,
          masterSecretArn: aws.secretsmanager.getSecretOutput({ name: masterSecretName(databaseName) }).arn,
          masterSecretKmsKeyArn: aws.kms.getKeyOutput({ keyId: replicaAliasName(`${prefix}-secrets`) }).arn,
          promoted: recovery.recovered,
        }
      : undefined;
  const database = new Database(databaseName, {
    account,
    subnetGroupName: network.databaseSubnetGroupName,
    securityGroupId: network.securityGroupIds.database,
    instanceClass: config.database.instanceClass,
    multiAz: config.database.multiAZ,
    engineVersion: config.database.engineVersion,
    allocatedStorage: config.database.allocatedStorage,
    maxAllocatedStorage: config.database.maxAllocatedStorage,
    backupRetentionDays: config.database.backupRetention,
    backupWindow: config.database.backupWindow,
    maintenanceWindow: config.database.maintenanceWindow,
    databaseName: `cloudweave_${config.environment}`,
    masterUsername: DATABASE_MASTER_USER,
    applicationRoles: APP_DATABASE_ROLES,
    rotation,
    ...(config.database.restoreFrom ? { restoreFrom: config.database.restoreFrom } : {}),
    // A standby restoring from backups (the fallback when its replica is lost) keeps the primary's master secret.
    ...(standbyOf ? { standbyOf } : {}),
    ...(keys.secretsInStandby ? { masterSecretReplica: keys.secretsInStandby } : {}),
    port: APP_PORTS.database,
    storageKmsKeyArn: keys.database.arn,
    secretKmsKeyArn: keys.secrets.arn,
    logs,
    protect,
  });
  const cache = new Cache(`${prefix}-redis`, {
    availabilityZones: config.vpc.availabilityZones,
    subnetGroupName: network.cacheSubnetGroupName,
    securityGroupId: network.securityGroupIds.cache,
    nodeType: config.cache.nodeType,
    replicas: config.cache.replicas,
    multiAz: config.cache.multiAZ,
    engineVersion: config.cache.engineVersion,
    port: APP_PORTS.cache,
    snapshotRetentionDays: config.cache.snapshotRetention,
    snapshotWindow: config.cache.snapshotWindow,
    maintenanceWindow: config.cache.maintenanceWindow,
    atRestKmsKeyArn: keys.cache.arn,
    secretKmsKeyArn: keys.secrets.arn,
    appUser: { userName: APP_REDIS_USER.userName, accessString: APP_REDIS_USER.accessString },
    running: serving(ctx),
    rotation,
    logs,
    protect,
  });
  const { jwt } = config.secrets;
  const appSecrets = new AppSecrets(`${prefix}-app`, {
    kmsKeyArn: keys.secrets.arn,
    jwtExpiresIn: jwt.accessTokenLifetime,
    jwtRefreshExpiresIn: jwt.refreshTokenLifetime,
    jwtRotation: { account, everyDays: jwt.rotationDays, logs },
    protect,
  });
  return { database, cache, appSecrets };
}
