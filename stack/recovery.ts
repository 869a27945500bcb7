import { ImageReplication } from "../components/compute/image-replication";
import { OriginFailover } from "../components/dns/origin-failover";
import type { Alerting } from "../components/operations/alerting";
import { clusterName, repositoryName, type ComputeTier } from "./compute";
import type { StackContext } from "./context";
import type { StackKeys } from "./security";
import type { EdgeTier } from "./edge";

/** What a stack in a recovery pair adds (ADR 24): its side of the origin name's failover, and image replication. */
export interface RecoveryTier {
  /** The origin name's failover record of this side. */
  failover: OriginFailover;
  /** The primary's copy of its images to the standby's region. */
  images: ImageReplication | undefined;
}

/**
 * Recovery tier (ADR 24), for a primary or a standby (none otherwise): the failover pair of the origin name —
 * the primary's record healthy while the standby runs no tasks, the standby's answering once it does — and, on the
 * primary, the replication of its images to the standby's region.
 */
export function buildRecovery(
  ctx: StackContext,
  deps: { edge: EdgeTier; compute: ComputeTier; alerting: Alerting; keys: StackKeys },
): RecoveryTier | undefined {
  const { config, prefix, recovery, protect } = ctx;
  if (recovery.role === "none") return undefined;
  const { edge, compute } = deps;
  const failover = new OriginFailover(`${prefix}-origin`, {
    zoneId: edge.zoneId,
    hostname: edge.originHostname,
    loadBalancer: { dnsName: edge.publicLoadBalancer.dnsName, zoneId: edge.publicLoadBalancer.zoneId },
    side:
      recovery.role === "primary"
        ? {
            role: "primary",
            // The standby's cluster has this stack's cluster's name (same prefix), in the standby's region.
            standby: { region: recovery.standbyRegion, clusterName: clusterName(prefix) },
            accountId: config.accountId,
            defaultTags: { ...config.defaultTags },
          }
        : {
            role: "standby",
            clusterName: compute.cluster.clusterName,
            // Traffic moving to (or back from) the standby is news for whoever is on call.
            alarmActions: [deps.alerting.topicArns.critical],
          },
  });
  const images =
    recovery.role === "primary" && deps.keys.imagesInStandby
      ? new ImageReplication(`${prefix}-image-replication`, {
          accountId: config.accountId,
          region: recovery.standbyRegion,
          repositoryPrefix: `cloudweave-${config.environment}/`,
          repositoryNames: [
            repositoryName(config.environment, "frontend"),
            repositoryName(config.environment, "backend"),
          ],
          kmsKeyArn: deps.keys.imagesInStandby.kmsKeyArn,
          defaultTags: { ...config.defaultTags },
          protect,
        })
      : undefined;
  return { failover, images };
}
