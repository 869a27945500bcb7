import * as aws from "../components/lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { LoadBalancer } from "../components/compute/load-balancer";
import { Certificate } from "../components/dns/certificate";
import { HostedZone } from "../components/dns/hosted-zone";
import { PrivateZone } from "../components/dns/private-zone";
import { Edge, GLOBAL_REGION, ORIGIN_VERIFY_HEADER, originVerifySecretName } from "../components/edge/edge";
import type { Network } from "../components/network/network";
import type { Backup } from "../components/operations/backup";
import type { AppSecrets } from "../components/security/app-secrets";
import { replicaAliasName } from "../components/security/encryption-key";
import { LogBucket } from "../components/storage/log-bucket";
import type { StackContext } from "./context";
import type { StackKeys } from "./security";

/** How traffic arrives: names, the CDN and its WAF, and the two load balancers behind it. */
export interface EdgeTier {
  /** The stack's public hosted zone. */
  zoneId: pulumi.Output<string>;
  /** The name CloudFront uses for the application origin (the public load balancer, or the failover pair). */
  originHostname: string;
  /** The internal API's name, resolvable in the VPC only. */
  apiHostname: string;
  /** CloudFront, its WAF and assets bucket; a standby has none (the primary's distribution reaches it). */
  cdn: Edge | undefined;
  /** The header CloudFront adds to every origin request; the public load balancer requires it. */
  originVerifyHeader: { name: string; value: pulumi.Output<string> };
  /** The secret (`{ header, value }`) holding that header, and its key: the edge's, or a standby's replica of it. */
  originVerifySecret: { secretArn: pulumi.Output<string>; kmsKeyArn: pulumi.Output<string> };
  /** The load balancers' access-log bucket. */
  loadBalancerLogs: LogBucket;
  /** CloudFront's origin. */
  publicLoadBalancer: LoadBalancer;
  /** The internal API load balancer only the frontend's nginx reaches. */
  apiLoadBalancer: LoadBalancer;
}

/**
 * Edge tier: the stack's public zone (created on request for a new account), and the names under the stack's
 * domain — the public load balancer (CloudFront's origin) and the internal API load balancer — with their
 * certificate, the CDN in front, and both load balancers.
 */
export function buildEdge(
  ctx: StackContext,
  deps: { network: Network; keys: StackKeys; appSecrets: AppSecrets; backup: Backup },
): EdgeTier {
  const { config, prefix, account, protect, recovery } = ctx;
  const { network, keys } = deps;
  const zoneId = new HostedZone(`${prefix}-dns`, {
    zoneName: config.domain.hostedZone,
    create: config.domain.createHostedZone,
    ...(config.domain.hostedZoneId ? { zoneId: config.domain.hostedZoneId } : {}),
    protect,
  }).zoneId;
  const originHostname = `origin.${config.domain.name}`;
  // The internal API's name resolves in the VPC only: a private zone keeps its private addresses out of public DNS.
  const internalZone = new PrivateZone(`${prefix}-internal-dns`, {
    zoneName: `internal.${config.domain.name}`,
    vpcId: network.vpcId,
  });
  const apiHostname = `api.${internalZone.zoneName}`;
  const certificate = new Certificate(`${prefix}-alb`, {
    domainName: originHostname,
    alternativeNames: [apiHostname],
    zoneId,
  });

  // Behind CloudFront and its WAF. A standby (ADR 24) has no edge of its own: the primary's distribution reaches it
  // through the origin name's failover pair, with the origin header its replica of the primary's secret holds.
  const edgeName = `${prefix}-edge`;
  const cdn =
    recovery.role === "standby"
      ? undefined
      : new Edge(edgeName, {
          account,
          domainName: config.domain.name,
          zoneId,
          originDomainName: originHostname,
          priceClass: config.edge.priceClass,
          minimumTlsVersion: config.edge.minimumTlsVersion,
          rateLimitPer5Minutes: config.edge.rateLimitPer5Minutes,
          // The test-traffic credential comes from the deployment's checks, never from a viewer.
          strippedHeaders: [deps.appSecrets.testTraffic.name],
          secretsKmsKeyArn: keys.secrets.arn,
          ...(keys.secretsInStandby ? { originVerifyReplica: keys.secretsInStandby } : {}),
          // The WAF's log group lives in us-east-1; the stack's logs key serves when the stack is there too.
          logs: {
            retentionInDays: config.logs.retentionInDays,
            kmsKeyArn: config.region === GLOBAL_REGION ? keys.logs.arn : undefined,
          },
          defaultTags: { ...config.defaultTags },
          protect,
        });
  // Read at every deployment of the standby, the recovery's included: the value CloudFront sends at that time.
  const originVerifyHeader = cdn
    ? cdn.originVerifyHeader
    : {
        name: ORIGIN_VERIFY_HEADER,
        value: pulumi.secret(
          aws.secretsmanager
            .getSecretVersionOutput({ secretId: originVerifySecretName(edgeName) })
            .secretString.apply((text) => (JSON.parse(text) as { value: string }).value),
        ),
      };

  // The release checks read it at each deployment, as CloudFront sends it then (stack/release.ts).
  const originVerifySecret = cdn
    ? { secretArn: cdn.originVerifySecretArn, kmsKeyArn: keys.secrets.arn }
    : {
        secretArn: aws.secretsmanager.getSecretOutput({ name: originVerifySecretName(edgeName) }).arn,
        kmsKeyArn: aws.kms.getKeyOutput({ keyId: replicaAliasName(`${prefix}-secrets`) }).arn,
      };

  const loadBalancerLogs = new LogBucket(`${prefix}-lb-logs`, {
    account,
    writers: [{ service: "elb", prefix: "alb" }],
    retentionInDays: config.logs.retentionInDays,
    protect,
  });
  const publicLoadBalancer = new LoadBalancer(`${prefix}-public`, {
    subnetIds: network.publicSubnetIds,
    securityGroupId: network.securityGroupIds.alb,
    certificateArn: certificate.arn,
    logs: { bucketName: loadBalancerLogs.bucketName, prefix: "alb/public" },
    // CloudFront reaches its origins over HTTPS only, and nothing else may connect.
    httpRedirect: false,
    deletionProtection: protect,
    // A stack in a recovery pair names its origin through the failover records (stack/recovery.ts).
    dnsAliases: { zoneId, names: recovery.role === "none" ? [originHostname] : [] },
  });
  const apiLoadBalancer = new LoadBalancer(`${prefix}-api`, {
    internal: true,
    subnetIds: network.privateSubnetIds,
    securityGroupId: network.securityGroupIds.apiAlb,
    certificateArn: certificate.arn,
    logs: { bucketName: loadBalancerLogs.bucketName, prefix: "alb/api" },
    deletionProtection: protect,
    dnsAliases: { zoneId: internalZone.zoneId, names: [apiHostname] },
  });
  return {
    zoneId,
    originHostname,
    apiHostname,
    cdn,
    originVerifyHeader,
    originVerifySecret,
    loadBalancerLogs,
    publicLoadBalancer,
    apiLoadBalancer,
  };
}
