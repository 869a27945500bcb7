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
   * `primary`: the PRIMARY record, and the switch it depends on — an alarm in the standby's region on the standby's
   * cluster (named the same in both stacks), with a Route 53 health check on it. Created by the primary, so they
   * exist before the standby does and the health check never names a missing alarm.
   * `standby`: the SECONDARY record, and a notice to `alarmActions` when it starts or stops serving.
   */
  side:
    | {
        role: "primary";
        /** The standby's region and its ECS cluster's name. */
        standby: { region: string; clusterName: string };
        /** The account (the standby's, the same) and the tags of the provider in the standby's region. */
        accountId: pulumi.Input<string>;
        defaultTags: Record<string, string>;
      }
    | { role: "standby"; clusterName: pulumi.Input<string>; alarmActions: pulumi.Input<string>[] };
}

/**
 * One side of the origin name's Route 53 failover pair (ADR 24). The primary's record answers until the standby
 * runs tasks; then the standby's does, and keeps answering while it runs — also after the primary region returns,
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
    const side = args.side;
    // Container Insights publishes TaskCount per ClusterName: the tasks running in the cluster
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html). Route 53
    // reads standard-resolution alarms with the Average, Minimum, Maximum, Sum or SampleCount statistic
    // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html).
    const servingAlarm = (
      alarmName: string,
      clusterName: pulumi.Input<string>,
      actions: pulumi.Input<string>[],
      options: pulumi.CustomResourceOptions,
    ) =>
      new aws.cloudwatch.MetricAlarm(
        alarmName,
        {
          // A fixed name: the runbook reads its state (docs/runbook-restore.md, step 5).
          name: alarmName,
          alarmDescription: `The standby serves: its tasks run, and ${args.hostname} resolves to its region (ADR 24)`,
          namespace: "ECS/ContainerInsights",
          metricName: "TaskCount",
          dimensions: { ClusterName: clusterName },
          statistic: "Minimum",
          period: 60,
          evaluationPeriods: SERVING_PERIODS,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          // No tasks, no data points: the standby is idle.
          treatMissingData: "notBreaching",
          alarmActions: actions,
          okActions: actions,
          tags: { Name: alarmName },
        },
        options,
      );

    let healthCheck: aws.route53.HealthCheck | undefined;
    if (side.role === "primary") {
      const standby = new aws.Provider(
        `${name}-${side.standby.region}`,
        { region: side.standby.region, allowedAccountIds: [side.accountId], defaultTags: { tags: side.defaultTags } },
        child,
      );
      const alarm = servingAlarm(`${name}-standby-serving`, side.standby.clusterName, [], {
        parent: this,
        provider: standby,
      });
      // A CLOUDWATCH_METRIC health check is healthy while its alarm is OK
      // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-types.html). Without data (the
      // standby's region's CloudWatch impaired) the primary stays in service.
      healthCheck = new aws.route53.HealthCheck(
        `${name}-standby-idle`,
        {
          type: "CLOUDWATCH_METRIC",
          cloudwatchAlarmName: alarm.name,
          cloudwatchAlarmRegion: side.standby.region,
          insufficientDataHealthStatus: "Healthy",
          tags: { Name: `${name}-standby-idle` },
        },
        child,
      );
    } else {
      servingAlarm(`${name}-serving`, side.clusterName, side.alarmActions, child);
    }

    this.setIdentifier = side.role === "primary" ? "primary" : "secondary";
    new aws.route53.Record(
      `${name}-record`,
      {
        zoneId: args.zoneId,
        name: args.hostname,
        type: "A",
        setIdentifier: this.setIdentifier,
        failoverRoutingPolicies: [{ type: side.role === "primary" ? "PRIMARY" : "SECONDARY" }],
        ...(healthCheck ? { healthCheckId: healthCheck.id } : {}),
        aliases: [{ name: args.loadBalancer.dnsName, zoneId: args.loadBalancer.zoneId, evaluateTargetHealth: false }],
      },
      child,
    );
    this.healthCheckId = healthCheck?.id;
    this.registerOutputs({ setIdentifier: this.setIdentifier, healthCheckId: this.healthCheckId });
  }
}
