/**
 * The CloudWeave stack: validated settings in, one builder per tier (`stack/`), the stack outputs out. Each builder
 * takes the handles it needs from the tiers before it and returns its own.
 */
import { loadStackConfig } from "./config";
import { stackContext } from "./stack/context";
import { buildCompute } from "./stack/compute";
import { buildData } from "./stack/data";
import { buildEdge } from "./stack/edge";
import { buildNetwork } from "./stack/network";
import { buildAlerting, buildBackup, buildBudget, buildObservability } from "./stack/operations";
import { buildFeatureFlags, buildReleaseChecks, featureFlagNames } from "./stack/release";
import { buildRecovery } from "./stack/recovery";
import { buildFaultInjection } from "./stack/resilience";
import { buildKeys } from "./stack/security";

// Validated first: a bad stack file fails here, before any resource is declared.
const config = loadStackConfig();
const ctx = stackContext(config);

const keys = buildKeys(ctx);
const network = buildNetwork(ctx, keys);
const { database, cache, appSecrets } = buildData(ctx, network, keys);
const alerting = buildAlerting(ctx, keys);
const budget = buildBudget(ctx, alerting);
const backup = buildBackup(ctx, { network, database, alerting, keys });
const edge = buildEdge(ctx, { network, keys, appSecrets, backup });
const releaseChecks = buildReleaseChecks(ctx, { network, keys, appSecrets, edge });
const compute = buildCompute(ctx, {
  network,
  keys,
  data: { database, cache, appSecrets },
  edge,
  alerting,
  flagNames: featureFlagNames(ctx),
  releaseChecks,
});
const recovery = buildRecovery(ctx, { edge, compute, alerting, keys });
const featureFlags = buildFeatureFlags(ctx, compute.backend);
const observability = buildObservability(ctx, { alerting, edge, compute, database, cache });
const faultInjection = buildFaultInjection(ctx, { database, cache, compute, observability });
const { cdn: distribution, publicLoadBalancer, apiLoadBalancer, loadBalancerLogs } = edge;
const { cluster, images, frontend, backend } = compute;

// --- Stack outputs ------------------------------------------------------------------------------------------------
export const environment = config.environment;
/** The stack's part in regional recovery (ADR 24): none, primary, or standby (and whether it is recovered). */
export const disasterRecovery = {
  ...ctx.recovery,
  originRecord: recovery?.failover.setIdentifier,
  standbyIdleHealthCheckId: recovery?.failover.healthCheckId,
};
export const vpcId = network.vpcId;
export const publicSubnetIds = network.publicSubnetIds;
export const privateSubnetIds = network.privateSubnetIds;
export const databaseSubnetIds = network.databaseSubnetIds;
/** The database subnet group (a restore or a fail-back replica goes into it, docs/runbook-restore.md). */
export const databaseSubnetGroupName = network.databaseSubnetGroupName;
export const natPublicIps = network.natPublicIps;
export const securityGroupIds = network.securityGroupIds;
export const flowLogGroupName = network.flowLogGroupName;
export const kmsKeyArns = {
  logs: keys.logs.arn,
  database: keys.database.arn,
  cache: keys.cache.arn,
  secrets: keys.secrets.arn,
  images: keys.images?.arn,
  alerts: keys.alerts.arn,
};
export const databaseAddress = database.address;
/** The cache's primary endpoint; none on a standby until it is recovered. */
export const cacheEndpoint = cache.cluster?.primaryEndpoint;
/** The secrets the compute tier injects into the backend task; ARNs only, never values. */
export const secretArns = compute.backendSecretArns;
/** The RDS master user's secret: for emergencies and `aws secretsmanager rotate-secret` (docs/credentials.md). */
export const databaseMasterSecretArn = database.masterSecretArn;
/** Where a release's checks read the test-traffic credential the load balancers' test rules require. */
export const testTrafficSecretArn = appSecrets.testTrafficSecretArn;
/** Where users reach the app. */
export const url = distribution
  ? distribution.url
  : `https://${config.domain.name} (the primary's CloudFront; this standby serves it once recovered)`;
export const cdn = distribution && {
  distributionId: distribution.distributionId,
  domainName: distribution.distributionDomainName,
  webAclArn: distribution.webAclArn,
  /** CI uploads the frontend's static build here (served under /assets/*). */
  assetsBucket: distribution.assetsBucketName,
  originVerifySecretArn: distribution.originVerifySecretArn,
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
  /** The stack's monthly budget (cloudweave:cost.monthlyBudgetUsd); its alerts go to the warning topic. */
  budget: budget.budgetName,
};
