import type { Cache } from "../components/data/cache";
import type { Database } from "../components/data/database";
import type { Observability } from "../components/operations/observability";
import { FaultInjection } from "../components/resilience/fault-injection";
import type { StackContext } from "./context";
import type { ComputeTier } from "./compute";

/** Resilience tier: the failover tests, encoded (docs/resilience.md); they stop as soon as users would see errors. */
export function buildFaultInjection(
  { config, prefix, account }: StackContext,
  deps: { database: Database; cache: Cache; compute: ComputeTier; observability: Observability },
): FaultInjection {
  const { cluster, frontend, backend, faultAgent } = deps.compute;
  return new FaultInjection(`${prefix}-fis`, {
    account,
    database: { arn: deps.database.instanceArn, multiAz: config.database.multiAZ },
    cache: {
      arn: deps.cache.replicationGroupArn,
      primaryAvailabilityZone: deps.cache.primaryAvailabilityZone,
      automaticFailover: config.cache.multiAZ,
    },
    cluster: { arn: cluster.arn, name: cluster.clusterName },
    services: [
      { label: "frontend", serviceName: frontend.serviceName },
      { label: "backend", serviceName: backend.serviceName },
    ],
    stopAlarmArns: deps.observability.userFacingAlarmArns,
    stopTaskPercent: config.faultInjection.stopTaskPercent,
    cpuStress: { percent: config.faultInjection.cpuStressPercent, minutes: config.faultInjection.cpuStressMinutes },
    cacheOutageMinutes: config.faultInjection.cacheOutageMinutes,
    taskAgent: faultAgent !== undefined,
  });
}
