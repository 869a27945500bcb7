import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * How long the standby's tasks must run before the origin name moves to it: two one-minute periods, so a task that
 * starts and dies at once (a failed deployment) does not move traffic.
 */
const SERVING_PERIODS = 2;

/** Arguments of {@link OriginFailover}. */
export interface OriginFailoverArgs {
  /** The public hosted zone that holds `hostname` (both sides name the same zone). */
  zoneId: pulumi.Input<string>;
  /** The name CloudFront uses for the application origin, e.g. `origin.app.cloudweave.io`. */
  hostname: string;
  /** This side's load balancer: the alias target of its record. */
  loadBalancer: { dnsName: pulumi.Input<string>; zoneId: pulumi.Input<string> };
  /**
   * The switch both sides agree on: a CloudWatch alarm in the standby's region, named the same from both stacks
   * ({@link failoverAlarmName}), in ALARM while the standby's cluster runs tasks.
   */
  switchAlarm: { name: string; region: string };
  /**
   * `primary`: the PRIMARY record, healthy while the switch is not in ALARM (a Route 53 health check on it).
   * `standby`: the SECONDARY record, and the switch itself, watching `cluster`'s running tasks.
   */
  side:
    { role: "primary" } | { role: "standby"; clusterName: pulumi.Input<string>; alarmActions: pulumi.Input<string>[] };
}

/**
 * One side of the origin name's Route 53 failover pair (ADR 24). The primary's record answers until the standby
 * runs tasks; then the standby's does, and stays answering while it runs — also after the primary region returns,
 * so traffic cannot drift back to a database the standby has superseded. Moving traffic takes no control-plane
 * call: Route 53's health checkers read the alarm, CloudWatch evaluates the standby's task count, and the recovery
 * only starts tasks.
 */
export class OriginFailover extends pulumi.ComponentResource {
  /** The record's set identifier: `primary` or `secondary`. */
  public readonly setIdentifier: string;
  /** The health check of the primary's record (the primary side only). */
  public readonly healthCheckId: pulumi.Output<string> | undefined;

  constructor(name: string, args: OriginFailoverArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:dns:OriginFailover", name, {}, opts);
    const child = { parent: this };
    const primary = args.side.role === "primary";

    let healthCheck: aws.route53.HealthCheck | undefined;
    if (args.side.role === "primary") {
      // A CLOUDWATCH_METRIC health check is healthy while its alarm is OK
      // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-types.html). With no data (the
      // standby not deployed yet, or its region's CloudWatch impaired) the primary stays in service.
      healthCheck = new aws.route53.HealthCheck(
        `${name}-standby-idle`,
        {
          type: "CLOUDWATCH_METRIC",
          cloudwatchAlarmName: args.switchAlarm.name,
          cloudwatchAlarmRegion: args.switchAlarm.region,
          insufficientDataHealthStatus: "Healthy",
          tags: { Name: `${name}-standby-idle` },
        },
        child,
      );
    } else {
      // Container Insights publishes TaskCount per ClusterName: the tasks running in the cluster
      // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html).
      // Route 53 reads standard-resolution alarms with the Average, Minimum, Maximum, Sum or SampleCount statistic
      // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html).
      new aws.cloudwatch.MetricAlarm(
        `${name}-standby-serving`,
        {
          name: args.switchAlarm.name,
          alarmDescription: `The standby serves: its tasks run, and ${args.hostname} resolves to this region (ADR 24)`,
          namespace: "ECS/ContainerInsights",
          metricName: "TaskCount",
          dimensions: { ClusterName: args.side.clusterName },
          statistic: "Minimum",
          period: 60,
          evaluationPeriods: SERVING_PERIODS,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          // No tasks, no data points: the standby is idle.
          treatMissingData: "notBreaching",
          alarmActions: args.side.alarmActions,
          okActions: args.side.alarmActions,
          tags: { Name: `${name}-standby-serving` },
        },
        child,
      );
    }

    this.setIdentifier = primary ? "primary" : "secondary";
    new aws.route53.Record(
      `${name}-record`,
      {
        zoneId: args.zoneId,
        name: args.hostname,
        type: "A",
        setIdentifier: this.setIdentifier,
        failoverRoutingPolicies: [{ type: primary ? "PRIMARY" : "SECONDARY" }],
        ...(healthCheck ? { healthCheckId: healthCheck.id } : {}),
        aliases: [{ name: args.loadBalancer.dnsName, zoneId: args.loadBalancer.zoneId, evaluateTargetHealth: false }],
      },
      child,
    );
    this.healthCheckId = healthCheck?.id;
    this.registerOutputs({ setIdentifier: this.setIdentifier, healthCheckId: this.healthCheckId });
  }
}

/** The switch alarm's name: the same from the primary's and the standby's stack (they share `prefix`). */
export function failoverAlarmName(prefix: string): string {
  return `${prefix}-standby-serving`;
}
