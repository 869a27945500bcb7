import * as aws from "@pulumi/aws";
import { Network } from "./components/network";
import { EncryptionKey } from "./components/encryption-key";
import type { AwsAccount } from "./components/aws-account";
import { loadStackConfig } from "./config";
import { APP_PORTS } from "./config/app";

// Validated first: a bad stack file fails here, before any resource is declared.
const config = loadStackConfig();
const prefix = `cloudweave-${config.environment}`;

const account: AwsAccount = {
  accountId: aws.getCallerIdentityOutput().accountId,
  partition: aws.getPartitionOutput().partition,
  region: config.region,
};

const logsKey = new EncryptionKey(`${prefix}-logs`, {
  description: `CloudWeave ${config.environment}: CloudWatch log groups`,
  account,
  serviceGrants: ["cloudwatch-logs"],
  protect: config.deletionProtection,
});

const network = new Network(prefix, {
  account,
  cidrBlock: config.vpc.cidr,
  availabilityZones: config.vpc.availabilityZones,
  subnetCidrs: config.vpc.subnets,
  natGateways: config.vpc.natGateways,
  ports: APP_PORTS,
  flowLogs: { kmsKeyArn: logsKey.arn, ...config.vpc.flowLogs },
  protect: config.deletionProtection,
});

export const environment = config.environment;
export const vpcId = network.vpcId;
export const publicSubnetIds = network.publicSubnetIds;
export const privateSubnetIds = network.privateSubnetIds;
export const databaseSubnetIds = network.databaseSubnetIds;
export const natPublicIps = network.natPublicIps;
export const securityGroupIds = network.securityGroupIds;
export const flowLogGroupName = network.flowLogGroupName;
export const logsKeyArn = logsKey.arn;
