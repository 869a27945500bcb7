import * as aws from "../components/lib/aws";
import { APP_PORTS } from "../config/app";
import { Network } from "../components/network/network";
import type { StackContext } from "./context";
import type { StackKeys } from "./security";

/** Network tier: the VPC, its subnets, gateways, endpoints, flow logs and the security groups of every tier. */
export function buildNetwork({ config, prefix, account, protect }: StackContext, keys: StackKeys): Network {
  // Only CloudFront may reach the public load balancer: its origin-facing addresses, as AWS maintains them.
  const cloudFrontOrigins = aws.ec2.getManagedPrefixListOutput({
    name: "com.amazonaws.global.cloudfront.origin-facing",
  });
  return new Network(prefix, {
    account,
    cidrBlock: config.vpc.cidr,
    availabilityZones: config.vpc.availabilityZones,
    subnetCidrs: config.vpc.subnets,
    natGateways: config.vpc.natGateways,
    ports: APP_PORTS,
    loadBalancerSources: {
      prefixListId: cloudFrontOrigins.id,
      description: "HTTPS from CloudFront origin-facing servers only",
    },
    // ... and from the release checks, which test new frontend tasks from the private subnets (stack/release.ts).
    loadBalancerFromNat: true,
    flowLogs: { kmsKeyArn: keys.logs.arn, ...config.vpc.flowLogs },
    protect,
  });
}
