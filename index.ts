import * as aws from "@pulumi/aws";
import { AppSecrets } from "./components/app-secrets";
import type { AwsAccount } from "./components/aws-account";
import { Cache } from "./components/cache";
import { Database } from "./components/database";
import { EncryptionKey } from "./components/encryption-key";
import type { LogDestination } from "./components/log-group";
import { Network } from "./components/network";
import { loadStackConfig } from "./config";
import { APP_PORTS } from "./config/app";

// Validated first: a bad stack file fails here, before any resource is declared.
const config = loadStackConfig();
const prefix = `cloudweave-${config.environment}`;
const protect = config.deletionProtection;

const account: AwsAccount = {
  accountId: aws.getCallerIdentityOutput().accountId,
  partition: aws.getPartitionOutput().partition,
  region: config.region,
};

// One customer-managed key per kind of data, each usable only where its policy says.
const logsKey = new EncryptionKey(`${prefix}-logs`, {
  description: `CloudWeave ${config.environment}: CloudWatch log groups`,
  account,
  serviceGrants: ["cloudwatch-logs"],
  protect,
});
const databaseKey = new EncryptionKey(`${prefix}-database`, {
  description: `CloudWeave ${config.environment}: RDS storage, snapshots and Performance Insights`,
  account,
  viaServices: ["rds"],
  protect,
});
const cacheKey = new EncryptionKey(`${prefix}-cache`, {
  description: `CloudWeave ${config.environment}: ElastiCache data at rest`,
  account,
  viaServices: ["elasticache"],
  protect,
});
const secretsKey = new EncryptionKey(`${prefix}-secrets`, {
  description: `CloudWeave ${config.environment}: Secrets Manager secrets`,
  account,
  viaServices: ["secretsmanager"],
  protect,
});

const network = new Network(prefix, {
  account,
  cidrBlock: config.vpc.cidr,
  availabilityZones: config.vpc.availabilityZones,
  subnetCidrs: config.vpc.subnets,
  natGateways: config.vpc.natGateways,
  ports: APP_PORTS,
  flowLogs: { kmsKeyArn: logsKey.arn, ...config.vpc.flowLogs },
  protect,
});

const serviceLogs: LogDestination = { kmsKeyArn: logsKey.arn, retentionInDays: config.logs.retentionInDays };

const database = new Database(`${prefix}-postgres`, {
  subnetGroupName: network.databaseSubnetGroupName,
  securityGroupId: network.securityGroupIds.database,
  instanceClass: config.database.instanceClass,
  multiAz: config.database.multiAZ,
  engineVersion: config.database.engineVersion,
  allocatedStorage: config.database.allocatedStorage,
  maxAllocatedStorage: config.database.maxAllocatedStorage,
  backupRetentionDays: config.database.backupRetention,
  databaseName: `cloudweave_${config.environment}`,
  port: APP_PORTS.database,
  storageKmsKeyArn: databaseKey.arn,
  secretKmsKeyArn: secretsKey.arn,
  logs: serviceLogs,
  protect,
});

const cache = new Cache(`${prefix}-redis`, {
  subnetGroupName: network.cacheSubnetGroupName,
  securityGroupId: network.securityGroupIds.cache,
  nodeType: config.cache.nodeType,
  replicas: config.cache.replicas,
  multiAz: config.cache.multiAZ,
  engineVersion: config.cache.engineVersion,
  port: APP_PORTS.cache,
  snapshotRetentionDays: config.cache.snapshotRetention,
  atRestKmsKeyArn: cacheKey.arn,
  secretKmsKeyArn: secretsKey.arn,
  logs: serviceLogs,
  protect,
});

const appSecrets = new AppSecrets(`${prefix}-app`, { kmsKeyArn: secretsKey.arn, protect });

export const environment = config.environment;
export const vpcId = network.vpcId;
export const publicSubnetIds = network.publicSubnetIds;
export const privateSubnetIds = network.privateSubnetIds;
export const databaseSubnetIds = network.databaseSubnetIds;
export const natPublicIps = network.natPublicIps;
export const securityGroupIds = network.securityGroupIds;
export const flowLogGroupName = network.flowLogGroupName;
export const kmsKeyArns = {
  logs: logsKey.arn,
  database: databaseKey.arn,
  cache: cacheKey.arn,
  secrets: secretsKey.arn,
};
export const databaseAddress = database.address;
export const cacheEndpoint = cache.primaryEndpoint;
/** The secrets the compute tier injects into the backend task; ARNs only, never values. */
export const secretArns = { database: database.secretArn, redis: cache.secretArn, jwt: appSecrets.jwtSecretArn };
