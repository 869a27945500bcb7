import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Alerting } from "./components/operations/alerting";
import { AppSecrets } from "./components/security/app-secrets";
import type { AwsAccount } from "./components/lib/aws-account";
import { Backup } from "./components/operations/backup";
import { Cache } from "./components/data/cache";
import { Certificate } from "./components/dns/certificate";
import { Cluster } from "./components/compute/cluster";
import { Database } from "./components/data/database";
import { Edge, GLOBAL_REGION } from "./components/edge/edge";
import { EncryptionKey } from "./components/security/encryption-key";
import { permissionsBoundaryName } from "./components/lib/delivery";
import { HostedZone } from "./components/dns/hosted-zone";
import { PrivateZone } from "./components/dns/private-zone";
import { vpcResolverAddress } from "./config/cidr";
import { deploymentTimeoutMinutes } from "./config/rollout";
import { FargateService, type SecretReference } from "./components/compute/fargate-service";
import { FaultInjection } from "./components/resilience/fault-injection";
import { FeatureFlags } from "./components/release/feature-flags";
import { ImageRepository } from "./components/compute/image-repository";
import { LoadBalancer } from "./components/compute/load-balancer";
import { LogBucket } from "./components/storage/log-bucket";
import type { LogDestination } from "./components/lib/log-group";
import { Network } from "./components/network/network";
import { Observability } from "./components/operations/observability";
import { TaskFaultAgent } from "./components/resilience/task-fault-agent";
import { loadStackConfig } from "./config";
import {
  APP_CONTAINERS,
  APP_PORTS,
  BACKEND_SECRET_VARIABLES,
  FEATURE_FLAGS,
  type BackendSecret,
  type FeatureFlag,
} from "./config/app";

// Validated first: a bad stack file fails here, before any resource is declared.
const config = loadStackConfig();
const prefix = `cloudweave-${config.environment}`;
const protect = config.deletionProtection;

// The provider refuses credentials of another account than the stack file names, so the stack's account is known.
const partition = aws.getPartitionOutput().partition;
const account: AwsAccount = {
  accountId: config.accountId,
  partition,
  // Created by the bootstrap program; the deploy role can create roles only with it.
  permissionsBoundaryArn: pulumi.interpolate`arn:${partition}:iam::${config.accountId}:policy/${permissionsBoundaryName(config.environment)}`,
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
const alertsKey = new EncryptionKey(`${prefix}-alerts`, {
  description: `CloudWeave ${config.environment}: SNS alert topics`,
  account,
  serviceGrants: ["sns-publishers"],
  viaServices: ["sns"],
  protect,
});
const imagesKey = new EncryptionKey(`${prefix}-images`, {
  description: `CloudWeave ${config.environment}: ECR container images`,
  account,
  viaServices: ["ecr"],
  protect,
});

// Only CloudFront may reach the public load balancer: its origin-facing addresses, as AWS maintains them.
const cloudFrontOrigins = aws.ec2.getManagedPrefixListOutput({ name: "com.amazonaws.global.cloudfront.origin-facing" });

const network = new Network(prefix, {
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
  flowLogs: { kmsKeyArn: logsKey.arn, ...config.vpc.flowLogs },
  protect,
});

const serviceLogs: LogDestination = { kmsKeyArn: logsKey.arn, retentionInDays: config.logs.retentionInDays };
/** The stack's own CloudWatch namespace for metrics derived from its logs. */
const metricNamespace = `CloudWeave/${config.environment}`;

const database = new Database(`${prefix}-postgres`, {
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
  ...(config.database.restoreFrom ? { restoreFrom: config.database.restoreFrom } : {}),
  port: APP_PORTS.database,
  storageKmsKeyArn: databaseKey.arn,
  secretKmsKeyArn: secretsKey.arn,
  logs: serviceLogs,
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
  atRestKmsKeyArn: cacheKey.arn,
  secretKmsKeyArn: secretsKey.arn,
  logs: serviceLogs,
  protect,
});

const appSecrets = new AppSecrets(`${prefix}-app`, { kmsKeyArn: secretsKey.arn, protect });

// --- Alerting and backups ---------------------------------------------------------------------------------------
// Where every alarm goes: a topic per severity and the people behind it. Critical alarms page through PagerDuty,
// whose integration URL lives in a Secrets Manager secret the on-call owner creates (docs/delivery.md).
const pagerDuty = config.alerting.critical.pagerDuty;
const alerting = new Alerting(`${prefix}-alerts`, {
  account,
  kmsKeyArn: alertsKey.arn,
  recipients: config.alerting,
  ...(pagerDuty
    ? {
        pagerDuty: {
          integrationUrl: pulumi.secret(
            aws.secretsmanager.getSecretVersionOutput({ secretId: pagerDuty.integrationUrlSecret }).secretString,
          ),
          secretName: pagerDuty.integrationUrlSecret,
        },
      }
    : { unpagedReason: config.alerting.unpagedReason }),
});

const backup = new Backup(`${prefix}-backup`, {
  account,
  drRegion: config.backup.drRegion,
  database: {
    arn: database.instanceArn,
    subnetGroupName: network.databaseSubnetGroupName,
    securityGroupId: network.securityGroupIds.database,
    automatedBackupRetentionDays: config.database.backupRetention,
  },
  pointInTimeRetentionDays: config.backup.pointInTimeRetentionDays,
  dailyRetentionDays: config.backup.dailyRetentionDays,
  copyRetentionDays: config.backup.copyRetentionDays,
  replicateAutomatedBackups: config.backup.replicateAutomatedBackups,
  vaultLock: config.backup.vaultLock,
  restoreTests: config.backup.restoreTests,
  schedule: config.backup,
  topicArns: alerting.topicArns,
  logs: serviceLogs,
  metricNamespace,
  defaultTags: { ...config.defaultTags },
  protect,
});

// --- Edge and compute tier ------------------------------------------------------------------------------------
// The stack's public zone (created on request for a new account), and the names under the stack's domain: the
// public load balancer (CloudFront's origin) and the internal API load balancer only the frontend's nginx reaches.
const zoneId = new HostedZone(`${prefix}-dns`, {
  zoneName: config.domain.hostedZone,
  create: config.domain.createHostedZone,
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

// Behind CloudFront and its WAF. A recovery stack (docs/runbook-restore.md) has no edge of its own: production's
// distribution reaches it once the origin record points here, with the origin header read from the secret's replica.
const edge = config.recovery
  ? undefined
  : new Edge(`${prefix}-edge`, {
      account,
      domainName: config.domain.name,
      zoneId,
      originDomainName: originHostname,
      priceClass: config.edge.priceClass,
      minimumTlsVersion: config.edge.minimumTlsVersion,
      rateLimitPer5Minutes: config.edge.rateLimitPer5Minutes,
      // The test-traffic credential comes from the deployment's checks, never from a viewer.
      strippedHeaders: [appSecrets.testTraffic.name],
      secretsKmsKeyArn: secretsKey.arn,
      ...(backup.drKeyArn
        ? { originVerifyReplica: { region: config.backup.drRegion, kmsKeyArn: backup.drKeyArn } }
        : {}),
      // The WAF's log group lives in us-east-1; the stack's logs key serves when the stack is there too.
      logs: {
        retentionInDays: config.logs.retentionInDays,
        kmsKeyArn: config.region === GLOBAL_REGION ? logsKey.arn : undefined,
      },
      defaultTags: { ...config.defaultTags },
      protect,
    });
const originVerifyHeader = edge
  ? edge.originVerifyHeader
  : {
      name: "X-Origin-Verify",
      value: pulumi.secret(
        aws.secretsmanager
          .getSecretVersionOutput({
            secretId: (config.recovery as { originVerifySecretArn: string }).originVerifySecretArn,
          })
          .secretString.apply((text) => (JSON.parse(text) as { value: string }).value),
      ),
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
  // A recovery stack takes over production's names (the cutover); a normal stack owns them.
  dnsAliases: { zoneId, names: [originHostname], overwrite: config.recovery !== undefined },
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

const cluster = new Cluster(`${prefix}-ecs`);
const images = {
  frontend: new ImageRepository(`${prefix}-frontend-images`, {
    repositoryName: `cloudweave-${config.environment}/frontend`,
    kmsKeyArn: imagesKey.arn,
    protect,
  }),
  backend: new ImageRepository(`${prefix}-backend-images`, {
    repositoryName: `cloudweave-${config.environment}/backend`,
    kmsKeyArn: imagesKey.arn,
    protect,
  }),
};

/** A service's image, task size and task count range, from its stack settings. */
function sizeAndImage(service: keyof typeof images) {
  const { imageTag, cpu, memory, desiredCount, maxCount } = config.compute[service];
  const repository = images[service];
  return {
    image: { repositoryUrl: repository.repositoryUrl, repositoryArn: repository.arn, tag: imageTag },
    cpu,
    memory,
    desiredCount,
    maxCount,
  };
}
// Where task experiments run (staging), the tasks carry an SSM agent sidecar FIS stresses their CPU through.
const faultAgent = config.faultInjection.taskAgent
  ? new TaskFaultAgent(`${prefix}-fault-agent`, { account, image: config.faultInjection.agentImage })
  : undefined;
const serviceDefaults = {
  account,
  cluster: { arn: cluster.arn, name: cluster.clusterName },
  vpcId: network.vpcId,
  subnetIds: network.privateSubnetIds,
  logs: serviceLogs,
  scaling: config.scaling,
  deployment: { ...config.deployment, timeoutMinutes: deploymentTimeoutMinutes(config.deployment) },
  // A rolled-back release is worth a look in working hours, not a page.
  alarmActions: [alerting.topicArns.warning],
  protect,
};
/** The fault-injection sidecar and what it needs, for services in a stack that runs task experiments. */
const faultAgentOf = (clusterName: pulumi.Input<string>) =>
  faultAgent ? { sidecars: [faultAgent.sidecar], taskPermissions: [faultAgent.taskPermissions(clusterName)] } : {};
const frontend = new FargateService(`${prefix}-frontend`, {
  ...serviceDefaults,
  securityGroupId: network.securityGroupIds.frontend,
  ...faultAgentOf(cluster.clusterName),
  ...sizeAndImage("frontend"),
  container: {
    ...APP_CONTAINERS.frontend,
    port: APP_PORTS.frontend,
    environment: {
      // nginx proxies /api/ here; the name resolves, in the VPC only, to the internal load balancer's addresses.
      API_UPSTREAM: `https://${apiHostname}`,
      // Those addresses change: nginx re-resolves the name through the VPC's DNS server (the image contract).
      DNS_RESOLVER: vpcResolverAddress(config.vpc.cidr),
    },
  },
  routing: {
    listenerArn: publicLoadBalancer.httpsListenerArn,
    loadBalancerArnSuffix: publicLoadBalancer.arnSuffix,
    priority: 100,
    requiredHeader: originVerifyHeader,
    testTraffic: appSecrets.testTraffic,
  },
});

const flagNames = { application: prefix, environment: config.environment, profile: "feature-flags" };
const secretArnsByName: Record<BackendSecret, pulumi.Output<string>> = {
  database: database.secretArn,
  redis: cache.secretArn,
  jwt: appSecrets.jwtSecretArn,
};
const backend = new FargateService(`${prefix}-backend`, {
  ...serviceDefaults,
  securityGroupId: network.securityGroupIds.backend,
  ...faultAgentOf(cluster.clusterName),
  ...sizeAndImage("backend"),
  container: {
    ...APP_CONTAINERS.backend,
    port: APP_PORTS.backend,
    environment: {
      APP_ENV: config.environment,
      PORT: String(APP_PORTS.backend),
      // The X-Ray segment name; the sampling rule and trace group below select on it.
      AWS_XRAY_TRACING_NAME: `${prefix}-backend`,
      // Where the backend reads its feature flags (AppConfig accepts names as identifiers).
      APPCONFIG_APPLICATION: flagNames.application,
      APPCONFIG_ENVIRONMENT: flagNames.environment,
      APPCONFIG_PROFILE: flagNames.profile,
    },
    secrets: Object.fromEntries(
      Object.entries(BACKEND_SECRET_VARIABLES).map(([variable, { secret, key }]): [string, SecretReference] => [
        variable,
        { secretArn: secretArnsByName[secret], jsonKey: key },
      ]),
    ),
  },
  secretsKmsKeyArn: secretsKey.arn,
  routing: {
    listenerArn: apiLoadBalancer.httpsListenerArn,
    loadBalancerArnSuffix: apiLoadBalancer.arnSuffix,
    priority: 100,
    testTraffic: appSecrets.testTraffic,
  },
});

// Feature flags: AppConfig, rolled out gradually and rolled back on the backend's deployment alarms.
const featureFlags = new FeatureFlags(`${prefix}-flags`, {
  account,
  names: flagNames,
  flags: (Object.keys(FEATURE_FLAGS) as FeatureFlag[]).map((flag) => ({
    name: flag,
    description: FEATURE_FLAGS[flag],
    enabled: config.featureFlags.enabled.includes(flag),
  })),
  rollout: config.featureFlags.rollout,
  monitorAlarmArns: backend.rollbackAlarmArns,
});
featureFlags.grantRead(backend.taskRole);

// --- Operations: alarms, dashboard, tracing ----------------------------------------------------------------------
const observability = new Observability(`${prefix}-ops`, {
  topicArns: alerting.topicArns,
  thresholds: config.alarms,
  region: config.region,
  loadBalancers: [
    { label: "public", arnSuffix: publicLoadBalancer.arnSuffix },
    { label: "api", arnSuffix: apiLoadBalancer.arnSuffix },
  ],
  services: (
    [
      ["frontend", frontend, publicLoadBalancer],
      ["backend", backend, apiLoadBalancer],
    ] as const
  ).map(([label, service, loadBalancer]) => ({
    label,
    clusterName: cluster.clusterName,
    serviceName: service.serviceName,
    loadBalancerArnSuffix: loadBalancer.arnSuffix,
    targetGroupArnSuffixes: service.targetGroupArnSuffixes,
  })),
  database: { identifier: database.identifier },
  cache: { nodeIds: cache.nodeIds },
  ...(edge ? { waf: { webAclName: edge.webAclName } } : {}),
  backendLogs: { logGroupName: backend.logGroupName, metricNamespace },
  tracing: { serviceName: `${prefix}-backend`, samplingPercent: config.tracing.samplingPercent },
});

// Failover tests, encoded (docs/resilience.md): they stop as soon as users would see errors.
const faultInjection = new FaultInjection(`${prefix}-fis`, {
  account,
  database: { arn: database.instanceArn, multiAz: config.database.multiAZ },
  cache: {
    arn: cache.replicationGroupArn,
    primaryAvailabilityZone: cache.primaryAvailabilityZone,
    automaticFailover: config.cache.multiAZ,
  },
  cluster: { arn: cluster.arn, name: cluster.clusterName },
  services: [
    { label: "frontend", serviceName: frontend.serviceName },
    { label: "backend", serviceName: backend.serviceName },
  ],
  stopAlarmArns: observability.userFacingAlarmArns,
  stopTaskPercent: config.faultInjection.stopTaskPercent,
  cpuStress: { percent: config.faultInjection.cpuStressPercent, minutes: config.faultInjection.cpuStressMinutes },
  cacheOutageMinutes: config.faultInjection.cacheOutageMinutes,
  taskAgent: faultAgent !== undefined,
});

// --- Stack outputs ------------------------------------------------------------------------------------------------
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
  images: imagesKey.arn,
  alerts: alertsKey.arn,
};
export const databaseAddress = database.address;
export const cacheEndpoint = cache.primaryEndpoint;
/** The secrets the compute tier injects into the backend task; ARNs only, never values. */
export const secretArns = secretArnsByName;
/** Where a release's checks read the test-traffic credential the load balancers' test rules require. */
export const testTrafficSecretArn = appSecrets.testTrafficSecretArn;
/** Where users reach the app. */
export const url = edge ? edge.url : `https://${config.domain.name} (through production's CloudFront, once cut over)`;
export const cdn = edge && {
  distributionId: edge.distributionId,
  domainName: edge.distributionDomainName,
  webAclArn: edge.webAclArn,
  /** CI uploads the frontend's static build here (served under /assets/*). */
  assetsBucket: edge.assetsBucketName,
  originVerifySecretArn: edge.originVerifySecretArn,
};
export const loadBalancerDnsNames = { public: publicLoadBalancer.dnsName, api: apiLoadBalancer.dnsName };
/** Where CI pushes each service's images (tags are immutable; the stack file names the tag to run). */
export const imageRepositoryUrls = { frontend: images.frontend.repositoryUrl, backend: images.backend.repositoryUrl };
export const clusterName = cluster.clusterName;
export const serviceNames = { frontend: frontend.serviceName, backend: backend.serviceName };
export const loadBalancerLogBucket = loadBalancerLogs.bucketName;
/** `aws fis start-experiment --experiment-template-id <id>` (docs/resilience.md). */
export const experimentTemplateIds = faultInjection.templateIds;
/** Where the backend's feature flags live (AppConfig). */
export const featureFlagIds = {
  application: featureFlags.applicationId,
  environment: featureFlags.environmentId,
  profile: featureFlags.profileId,
};
export const operations = {
  alertTopics: alerting.topicArns,
  /** Whether critical alarms page (cloudweave:alerting.critical.pagerDuty). */
  paging: alerting.paging,
  /** Who receives each severity's alarms. */
  alertRouting: alerting.routing,
  dashboard: observability.dashboardName,
  traceGroup: observability.traceGroupName,
  backupVault: backup.vaultName,
  drBackupVault: backup.drVaultArn,
  restoreTestingPlan: backup.restoreTestingPlanName,
};
