import { expect } from "chai";
import { CPU_STEP_POLICIES, ecsServiceResourceId } from "../components/compute/fargate-service";
import { STACKS, prefixOf, isIdleStandby, byArn, ofType, single, stackConfig, stackRun } from "./helpers";
import { alarmState, type MetricSource, type Series } from "./support/metric-alarm";
import { capacityAfter, stepPolicyProblems, type StepPolicy } from "./support/step-scaling";

const scaleOut = CPU_STEP_POLICIES.scaleOut as StepPolicy;
const scaleIn = CPU_STEP_POLICIES.scaleIn as StepPolicy;

describe("CPU step scaling (the design's policy)", () => {
  it("is a policy AWS accepts: known types, contiguous steps, a magnitude only with a percentage", () => {
    expect(stepPolicyProblems(scaleOut)).to.deep.equal([]);
    expect(stepPolicyProblems(scaleIn)).to.deep.equal([]);
    // The model itself refuses what AWS refuses.
    expect(stepPolicyProblems({ ...scaleOut, adjustmentType: "" })[0]).to.include("adjustmentType");
    expect(stepPolicyProblems({ ...scaleIn, minAdjustmentMagnitude: 1 })).to.have.length(1);
    expect(
      stepPolicyProblems({
        adjustmentType: "ChangeInCapacity",
        stepAdjustments: [{ scalingAdjustment: 1, metricIntervalLowerBound: "" }],
      }),
    ).to.not.deep.equal([]);
  });

  it("adds a quarter more tasks just above the threshold and half more 15 points over, at least one", () => {
    expect(capacityAfter(scaleOut, 0, 4), "at the threshold").to.equal(5);
    expect(capacityAfter(scaleOut, 14.9, 4)).to.equal(5);
    expect(capacityAfter(scaleOut, 15, 4)).to.equal(6);
    expect(capacityAfter(scaleOut, 60, 8)).to.equal(12);
    expect(capacityAfter(scaleOut, 5, 2), "a quarter of two tasks is still one task").to.equal(3);
    expect(capacityAfter(scaleOut, 5, 12)).to.equal(15);
  });

  it("removes one task at a time below the scale-in threshold, and waits five times longer than it scales out", () => {
    expect(capacityAfter(scaleIn, -1, 6)).to.equal(5);
    expect(capacityAfter(scaleIn, -30, 6)).to.equal(5);
    expect(scaleIn.cooldown).to.equal(5 * (scaleOut.cooldown as number));
    // Both act on the average CPU of the service's tasks, as the alarms measure it.
    expect([scaleOut.metricAggregationType, scaleIn.metricAggregationType]).to.deep.equal(["Average", "Average"]);
  });

  it("targets an ECS service by Application Auto Scaling's resource id, service/<cluster>/<service>", async () => {
    const id = await new Promise((resolve) => ecsServiceResourceId("prod-ecs", "api").apply(resolve));
    expect(id).to.equal("service/prod-ecs/api");
  });

  for (const stack of STACKS) {
    it(`${stack}: each service's alarms drive its own policies, on its own service, between its task counts`, async () => {
      const run = await stackRun(stack);
      const config = stackConfig(stack);
      const clusterName = single(run, "aws:ecs/cluster:Cluster").outputs.name;
      for (const service of ["frontend", "backend"] as const) {
        const prefix = `${prefixOf(stack)}-${service}`;
        const ecsService = single(run, "aws:ecs/service:Service", `${prefix}-service`);
        const target = single(run, "aws:appautoscaling/target:Target", `${prefix}-scaling`);
        expect(target.inputs.resourceId).to.equal(`service/${String(clusterName)}/${String(ecsService.outputs.name)}`);
        expect(target.inputs).to.include({
          serviceNamespace: "ecs",
          scalableDimension: "ecs:service:DesiredCount",
          minCapacity: isIdleStandby(stack) ? 0 : config.compute[service].desiredCount,
          maxCapacity: config.compute[service].maxCount,
        });
        const high = single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", `${prefix}-cpu-high`);
        const low = single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", `${prefix}-cpu-low`);
        const policyOf = (alarm: typeof high) => byArn(run, (alarm.inputs.alarmActions as string[])[0]);
        expect(policyOf(high).name).to.equal(`${prefix}-cpu-scale-out`);
        expect(policyOf(low).name).to.equal(`${prefix}-cpu-scale-in`);
        for (const policy of [policyOf(high), policyOf(low)]) {
          expect(policy.inputs.resourceId).to.equal(target.inputs.resourceId);
        }
        // The alarm fires above the scale-out threshold: the policy's steps start at the threshold (bound 0).
        expect(high.inputs).to.include({
          comparisonOperator: "GreaterThanThreshold",
          threshold: config.scaling.scaleOutCpuPercent,
          evaluationPeriods: config.scaling.scaleOutPeriods,
          datapointsToAlarm: config.scaling.scaleOutPeriods,
          metricName: "CPUUtilization",
          namespace: "AWS/ECS",
          statistic: "Average",
          period: 60,
        });
        expect(low.inputs).to.include({
          comparisonOperator: "LessThanThreshold",
          threshold: config.scaling.scaleInCpuPercent,
          evaluationPeriods: config.scaling.scaleInPeriods,
        });
        expect(high.inputs.dimensions).to.deep.equal({
          ClusterName: clusterName,
          ServiceName: ecsService.outputs.name,
        });
        // What the alarms do with the service's CPU as ECS publishes it (AWS/ECS CPUUtilization, average of the tasks).
        const cpu: (values: Series) => MetricSource = (values) => (metric) =>
          metric.namespace === "AWS/ECS" &&
          metric.metricName === "CPUUtilization" &&
          metric.stat === "Average" &&
          metric.dimensions.ClusterName === clusterName &&
          metric.dimensions.ServiceName === ecsService.outputs.name
            ? values
            : undefined;
        const { scaleOutCpuPercent: busy, scaleOutPeriods, scaleInCpuPercent: idle, scaleInPeriods } = config.scaling;
        const minutes = Math.max(scaleOutPeriods, scaleInPeriods) + 1;
        const steady = (value: number | undefined) => Array<number | undefined>(minutes).fill(value);
        expect(alarmState(high.inputs, cpu(steady(busy + 1)), minutes), "busy").to.equal("ALARM");
        expect(alarmState(high.inputs, cpu(steady(busy)), minutes), "at the threshold").to.equal("OK");
        expect(
          alarmState(high.inputs, cpu([...steady(busy + 1).slice(1), busy - 1]), minutes),
          "a quiet minute",
        ).to.equal("OK");
        expect(alarmState(low.inputs, cpu(steady(idle - 1)), minutes), "idle").to.equal("ALARM");
        expect(alarmState(low.inputs, cpu(steady(idle)), minutes)).to.equal("OK");
        expect(alarmState(low.inputs, cpu(steady(undefined)), minutes), "no data: no scale-in").to.equal("OK");
        // A policy with step adjustments is a StepScaling policy (PutScalingPolicy's PolicyType).
        for (const policy of [policyOf(high), policyOf(low)]) expect(policy.inputs.policyType).to.equal("StepScaling");
        const memory = ofType(run, "aws:appautoscaling/policy:Policy").find(
          (p) => p.name === `${prefix}-memory-tracking`,
        );
        expect(memory?.inputs.resourceId).to.equal(target.inputs.resourceId);
        expect(memory?.inputs.policyType).to.equal("TargetTrackingScaling");
        expect(memory?.inputs.targetTrackingScalingPolicyConfiguration).to.deep.include({
          targetValue: config.scaling.memoryTargetPercent,
          disableScaleIn: true,
        });
      }
    });
  }
});
