import * as aws from "../components/lib/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Cache } from "../components/data/cache";
import { GLOBAL_REGION } from "../components/edge/edge";
import type { Database } from "../components/data/database";
import type { Network } from "../components/network/network";
import { Alerting, BUDGET_SEVERITY } from "../components/operations/alerting";
import { Backup } from "../components/operations/backup";
import { Budget } from "../components/operations/budget";
import { STACK_TAG } from "../components/lib/delivery";
import { Observability } from "../components/operations/observability";
import { metricNamespace, serving, serviceLogs, type StackContext } from "./context";
import type { ComputeTier } from "./compute";
import type { EdgeTier } from "./edge";
import type { StackKeys } from "./security";

/**
 * Where every alarm goes: a topic per severity and the people behind it. Critical alarms page through PagerDuty,
 * whose integration URL lives in a Secrets Manager secret the on-call owner creates (docs/delivery.md).
 */
export function buildAlerting({ config, prefix, account }: StackContext, keys: StackKeys): Alerting {
  const pagerDuty = config.alerting.critical.pagerDuty;
  return new Alerting(`${prefix}-alerts`, {
    account,
    kmsKeyArn: keys.alerts.arn,
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
}

/**
 * The stack's monthly budget (`cloudweave:cost.monthlyBudgetUsd`) over the costs carrying its Stack tag, alerting the
 * warning topic. Named after the stack: a primary and its standby share an account.
 */
export function buildBudget({ config, prefix }: StackContext, alerting: Alerting): Budget {
  const stack = config.defaultTags[STACK_TAG] as string;
  return new Budget(`${prefix}-budget`, {
    budgetName: `cloudweave-${stack}-monthly`,
    monthlyLimitUsd: config.cost.monthlyBudgetUsd,
    costAllocationTag: { key: STACK_TAG, value: stack },
    topicArn: alerting.topicArns[BUDGET_SEVERITY],
  });
}

/** Backups of the database: the plan, the vaults, copies and replication to the second region, restore tests. */
export function buildBackup(
  ctx: StackContext,
  deps: { network: Network; database: Database; alerting: Alerting; keys: StackKeys },
): Backup {
  const { config, prefix, account, protect } = ctx;
  return new Backup(`${prefix}-backup`, {
    account,
    drRegion: config.backup.drRegion,
    database: {
      arn: deps.database.instanceArn,
      subnetGroupName: deps.network.databaseSubnetGroupName,
      securityGroupId: deps.network.securityGroupIds.database,
      automatedBackupRetentionDays: config.database.backupRetention,
      replica: deps.database.isReplica,
    },
    pointInTimeRetentionDays: config.backup.pointInTimeRetentionDays,
    dailyRetentionDays: config.backup.dailyRetentionDays,
    copyRetentionDays: config.backup.copyRetentionDays,
    replicateAutomatedBackups: config.backup.replicateAutomatedBackups,
    vaultLock: config.backup.vaultLock,
    restoreTests: config.backup.restoreTests,
    schedule: config.backup,
    topicArns: deps.alerting.topicArns,
    logs: serviceLogs(ctx, deps.keys.logs.arn),
    metricNamespace: metricNamespace(ctx),
    defaultTags: { ...config.defaultTags },
    protect,
  });
}

/**
 * Where the CLOUDFRONT-scope web ACL lives, and so where its CloudWatch metrics are: AWS WAF requires CLOUDFRONT-scope
 * resources in us-east-1 (the Edge component creates the ACL through its us-east-1 provider, `GLOBAL_REGION`).
 */
const WAF_METRICS_REGION = GLOBAL_REGION;

/** Alarms on every tier, the dashboard and tracing. */
export function buildObservability(
  ctx: StackContext,
  deps: { alerting: Alerting; edge: EdgeTier; compute: ComputeTier; database: Database; cache: Cache },
): Observability {
  const { config, prefix } = ctx;
  const { publicLoadBalancer, apiLoadBalancer, cdn } = deps.edge;
  const { cluster, frontend, backend } = deps.compute;
  // The WAF alarm lives with the stack's alarms, so only where the WAF's metrics are.
  const wafAlarmed = cdn !== undefined && config.region === WAF_METRICS_REGION;
  if (cdn && !wafAlarmed) {
    void pulumi.log.warn(
      `WAF metrics are published in ${WAF_METRICS_REGION} and this stack runs in ${config.region}: no WAF alarm was created`,
    );
  }
  return new Observability(`${prefix}-ops`, {
    topicArns: deps.alerting.topicArns,
    thresholds: config.alarms,
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
    database: { identifier: deps.database.identifier, replica: deps.database.isReplica },
    cache: { nodeIds: deps.cache.nodeIds },
    idle: !serving(ctx),
    ...(cdn ? { waf: { webAclName: cdn.webAclName, alarm: wafAlarmed } } : {}),
    backendLogs: { logGroupName: backend.logGroupName, metricNamespace: metricNamespace(ctx) },
    tracing: { serviceName: `${prefix}-backend`, samplingPercent: config.tracing.samplingPercent },
  });
}
