import * as aws from "../../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ScalingSpec } from "./types";

/**
 * The two CPU step-scaling policies. Step bounds are relative to the alarm's threshold (Application Auto Scaling:
 * https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html): above the
 * scale-out threshold, a quarter more tasks, half more when CPU is 15 points over (at least one task either way);
 * below the scale-in threshold, one task fewer. Scale-in waits five times longer than scale-out.
 */
export const CPU_STEP_POLICIES: Readonly<
  Record<"scaleOut" | "scaleIn", aws.types.input.appautoscaling.PolicyStepScalingPolicyConfiguration>
> = {
  scaleOut: {
    adjustmentType: "PercentChangeInCapacity",
    minAdjustmentMagnitude: 1,
    metricAggregationType: "Average",
    cooldown: 60,
    stepAdjustments: [
      { metricIntervalLowerBound: "0", metricIntervalUpperBound: "15", scalingAdjustment: 25 },
      { metricIntervalLowerBound: "15", scalingAdjustment: 50 },
    ],
  },
  scaleIn: {
    adjustmentType: "ChangeInCapacity",
    metricAggregationType: "Average",
    cooldown: 300,
    stepAdjustments: [{ metricIntervalUpperBound: "0", scalingAdjustment: -1 }],
  },
};

/** The scalable target's resource id of an ECS service (Application Auto Scaling's `service/<cluster>/<service>`). */
export function ecsServiceResourceId(
  clusterName: pulumi.Input<string>,
  serviceName: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.interpolate`service/${clusterName}/${serviceName}`;
}

/**
 * Auto scaling of an ECS service between `minCapacity` and `maxCapacity`: CPU step scaling as the design states it
 * (each policy driven by its own alarm), plus memory target tracking that only ever adds tasks.
 */
export function autoScaling(
  parent: pulumi.Resource,
  name: string,
  spec: {
    clusterName: pulumi.Input<string>;
    serviceName: pulumi.Input<string>;
    minCapacity: number;
    maxCapacity: number;
    scaling: ScalingSpec;
    /** What the range (and so the first tasks) waits for. */
    dependsOn: pulumi.Resource[];
  },
): void {
  const child = { parent };
  const scaling = spec.scaling;
  const target = new aws.appautoscaling.Target(
    `${name}-scaling`,
    {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: ecsServiceResourceId(spec.clusterName, spec.serviceName),
      minCapacity: spec.minCapacity,
      maxCapacity: spec.maxCapacity,
      tags: { Name: `${name}-scaling` },
    },
    { ...child, dependsOn: spec.dependsOn },
  );
  const scalingTarget = {
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
  };
  const stepPolicy = (
    policyName: string,
    configuration: aws.types.input.appautoscaling.PolicyStepScalingPolicyConfiguration,
  ) =>
    new aws.appautoscaling.Policy(
      policyName,
      { ...scalingTarget, policyType: "StepScaling", stepScalingPolicyConfiguration: configuration },
      child,
    );
  const scaleOut = stepPolicy(`${name}-cpu-scale-out`, CPU_STEP_POLICIES.scaleOut);
  const scaleIn = stepPolicy(`${name}-cpu-scale-in`, CPU_STEP_POLICIES.scaleIn);

  const cpuAlarm = (
    alarmName: string,
    alarm: { operator: string; threshold: number; periods: number; action: pulumi.Input<string>; what: string },
  ) =>
    new aws.cloudwatch.MetricAlarm(
      alarmName,
      {
        alarmDescription: `${name}: ${alarm.what}`,
        namespace: "AWS/ECS",
        metricName: "CPUUtilization",
        dimensions: { ClusterName: spec.clusterName, ServiceName: spec.serviceName },
        statistic: "Average",
        period: 60,
        comparisonOperator: alarm.operator,
        threshold: alarm.threshold,
        evaluationPeriods: alarm.periods,
        datapointsToAlarm: alarm.periods,
        treatMissingData: "missing",
        alarmActions: [alarm.action],
        tags: { Name: alarmName },
      },
      child,
    );
  cpuAlarm(`${name}-cpu-high`, {
    operator: "GreaterThanThreshold",
    threshold: scaling.scaleOutCpuPercent,
    periods: scaling.scaleOutPeriods,
    action: scaleOut.arn,
    what: `CPU above ${scaling.scaleOutCpuPercent}% for ${scaling.scaleOutPeriods} minutes: add tasks`,
  });
  cpuAlarm(`${name}-cpu-low`, {
    operator: "LessThanThreshold",
    threshold: scaling.scaleInCpuPercent,
    periods: scaling.scaleInPeriods,
    action: scaleIn.arn,
    what: `CPU below ${scaling.scaleInCpuPercent}% for ${scaling.scaleInPeriods} minutes: remove a task`,
  });

  new aws.appautoscaling.Policy(
    `${name}-memory-tracking`,
    {
      ...scalingTarget,
      policyType: "TargetTrackingScaling",
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageMemoryUtilization" },
        targetValue: scaling.memoryTargetPercent,
        disableScaleIn: true,
        scaleOutCooldown: 60,
      },
    },
    child,
  );
}
