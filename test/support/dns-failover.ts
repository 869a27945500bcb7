/**
 * How CloudWatch evaluates an alarm and how Route 53 answers a failover pair, as AWS documents them — enough to ask
 * "where does the origin name resolve?" of the records and alarms two offline runs declared.
 */
import type { DeclaredResource } from "../../offline/mocks";

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/**
 * The state of a metric alarm after `datapoints` (one per period, newest last; `undefined` is a period with no data),
 * for the M-out-of-N rule with `treatMissingData`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html): missing points are
 * breaching, not breaching, or (`missing`, the default) left out — all missing is INSUFFICIENT_DATA.
 */
export function alarmState(alarm: DeclaredResource, datapoints: readonly (number | undefined)[]): AlarmState {
  const inputs = alarm.inputs;
  const periods = Number(inputs.evaluationPeriods);
  const toAlarm = Number(inputs.datapointsToAlarm ?? periods);
  const threshold = Number(inputs.threshold);
  const window = datapoints.slice(-periods);
  while (window.length < periods) window.unshift(undefined);
  const treat = typeof inputs.treatMissingData === "string" ? inputs.treatMissingData : "missing";
  const breaching = (value: number): boolean => {
    switch (inputs.comparisonOperator) {
      case "GreaterThanOrEqualToThreshold":
        return value >= threshold;
      case "GreaterThanThreshold":
        return value > threshold;
      case "LessThanThreshold":
        return value < threshold;
      case "LessThanOrEqualToThreshold":
        return value <= threshold;
      default:
        throw new Error(`${alarm.name}: comparison ${String(inputs.comparisonOperator)} is not modelled`);
    }
  };
  if (window.every((value) => value === undefined) && (treat === "missing" || treat === "ignore")) {
    return "INSUFFICIENT_DATA";
  }
  const breaches = window.filter((value) => (value === undefined ? treat === "breaching" : breaching(value))).length;
  return breaches >= toAlarm ? "ALARM" : "OK";
}

/**
 * Whether a CLOUDWATCH_METRIC health check is healthy with its alarm in `state`: healthy when OK, unhealthy in
 * ALARM, and as `insufficientDataHealthStatus` says without data; `invertHealthcheck` flips the result
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html).
 */
export function healthCheckHealthy(check: DeclaredResource, state: AlarmState): boolean {
  const insufficient = String(check.inputs.insufficientDataHealthStatus);
  if (state === "INSUFFICIENT_DATA" && !["Healthy", "Unhealthy"].includes(insufficient)) {
    throw new Error(`${check.name}: insufficientDataHealthStatus ${insufficient} is not modelled`);
  }
  const healthy = state === "OK" ? true : state === "ALARM" ? false : insufficient === "Healthy";
  return check.inputs.invertHealthcheck === true ? !healthy : healthy;
}

/**
 * The record a failover pair answers with: the PRIMARY while it is healthy (a record without a health check is
 * healthy), else the SECONDARY if healthy, else the PRIMARY
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html, "active-passive failover").
 */
export function failoverAnswer(
  primary: { record: DeclaredResource; healthy: boolean },
  secondary: { record: DeclaredResource; healthy: boolean },
): DeclaredResource {
  if (primary.healthy) return primary.record;
  return secondary.healthy ? secondary.record : primary.record;
}
