/**
 * Application Auto Scaling's step scaling, as AWS documents it, to test what a policy does rather than how it is
 * written: https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html and the
 * API reference of StepScalingPolicyConfiguration / StepAdjustment
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html).
 */

/** The values the API accepts (API_StepScalingPolicyConfiguration.html). */
export const ADJUSTMENT_TYPES = ["ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"] as const;
export const METRIC_AGGREGATION_TYPES = ["Minimum", "Maximum", "Average"] as const;

export interface StepAdjustment {
  metricIntervalLowerBound?: string;
  metricIntervalUpperBound?: string;
  scalingAdjustment: number;
}

export interface StepPolicy {
  adjustmentType: string;
  minAdjustmentMagnitude?: number;
  metricAggregationType?: string;
  cooldown?: number;
  stepAdjustments: StepAdjustment[];
}

const bound = (text: string | undefined, open: number) => (text === undefined ? open : Number(text));

/**
 * What AWS refuses in a policy: unknown types, a magnitude without a percentage, and step ranges that overlap or
 * leave gaps (the ranges must be contiguous and only the outermost may be open; bounds are relative to the alarm's
 * threshold).
 */
export function stepPolicyProblems(policy: StepPolicy): string[] {
  const problems: string[] = [];
  if (!(ADJUSTMENT_TYPES as readonly string[]).includes(policy.adjustmentType)) {
    problems.push(`adjustmentType ${policy.adjustmentType} is not one of ${ADJUSTMENT_TYPES.join(", ")}`);
  }
  if (
    policy.metricAggregationType !== undefined &&
    !(METRIC_AGGREGATION_TYPES as readonly string[]).includes(policy.metricAggregationType)
  ) {
    problems.push(`metricAggregationType ${policy.metricAggregationType} is not one of Minimum, Maximum, Average`);
  }
  if (policy.minAdjustmentMagnitude !== undefined && policy.adjustmentType !== "PercentChangeInCapacity") {
    problems.push("minAdjustmentMagnitude applies to PercentChangeInCapacity only");
  }
  const steps = [...policy.stepAdjustments].sort(
    (a, b) => bound(a.metricIntervalLowerBound, -Infinity) - bound(b.metricIntervalLowerBound, -Infinity),
  );
  if (steps.length === 0) problems.push("no step adjustments");
  for (const [index, step] of steps.entries()) {
    for (const key of ["metricIntervalLowerBound", "metricIntervalUpperBound"] as const) {
      const text = step[key];
      if (text !== undefined && (text.trim() === "" || Number.isNaN(Number(text)))) {
        problems.push(`step ${index}: ${key} "${text}" is not a number`);
      }
    }
    const lower = bound(step.metricIntervalLowerBound, -Infinity);
    const upper = bound(step.metricIntervalUpperBound, Infinity);
    if (!(lower < upper)) problems.push(`step ${index}: empty range [${lower}, ${upper})`);
    const next = steps[index + 1];
    if (next && bound(next.metricIntervalLowerBound, -Infinity) !== upper) {
      problems.push(`step ${index}: ends at ${upper}, the next starts at ${next.metricIntervalLowerBound ?? "-∞"}`);
    }
  }
  return problems;
}

/**
 * The capacity after the policy acts once, `breach` above (positive) or below (negative) the alarm's threshold:
 * the step whose range holds the breach applies; a percentage is rounded as AWS does (above 1 down, between 0 and 1
 * to 1, and likewise for decreases) and raised to `minAdjustmentMagnitude`.
 */
export function capacityAfter(policy: StepPolicy, breach: number, capacity: number): number {
  const step = policy.stepAdjustments.find((candidate) => {
    const lower = bound(candidate.metricIntervalLowerBound, -Infinity);
    const upper = bound(candidate.metricIntervalUpperBound, Infinity);
    return breach >= 0 ? lower <= breach && breach < upper : lower < breach && breach <= upper;
  });
  if (!step) return capacity;
  switch (policy.adjustmentType) {
    case "ExactCapacity":
      return step.scalingAdjustment;
    case "ChangeInCapacity":
      return capacity + step.scalingAdjustment;
    case "PercentChangeInCapacity": {
      const raw = (capacity * step.scalingAdjustment) / 100;
      let change = Math.abs(raw) > 1 ? Math.trunc(raw) : Math.sign(raw);
      const minimum = policy.minAdjustmentMagnitude ?? 0;
      if (Math.abs(change) < minimum) change = Math.sign(change) * minimum;
      return capacity + change;
    }
    default:
      throw new Error(`unknown adjustment type ${policy.adjustmentType}`);
  }
}
