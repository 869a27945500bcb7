import * as aws from "../../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../../lib/aws-account";
import { physicalName } from "../../lib/aws-names";
import { serviceTrustPolicy } from "../../lib/service-trust";
import { applyTransform } from "../../lib/transform";
import type { DeploymentSpec, FargateServiceTransforms, HealthCheckSpec, RoutingSpec } from "./types";

/** The two target groups ECS shifts traffic between: `blue` starts with production traffic, `green` gets releases. */
export interface TargetGroupPair {
  blue: aws.lb.TargetGroup;
  green: aws.lb.TargetGroup;
}

/** The fixed shape of both target groups: tasks by IP, plain HTTP/1.1 behind the HTTPS listener, IPv4. */
const TARGET_GROUP_SHAPE = { targetType: "ip", protocol: "HTTP", protocolVersion: "HTTP1", ipAddressType: "ipv4" };

/** Two identical target groups with the service's health check. */
export function targetGroups(
  parent: pulumi.Resource,
  name: string,
  spec: { vpcId: pulumi.Input<string>; port: number; healthCheckPath: string; health: Required<HealthCheckSpec> },
  transform: FargateServiceTransforms["targetGroup"],
): TargetGroupPair {
  // Target group names are at most 32 characters: explicit ones that change with every input that replaces a
  // target group (terraform-provider-aws internal/service/elbv2/target_group.go: ForceNew), so a replacement never
  // collides with the target group it replaces.
  const targetGroup = (color: "blue" | "green") =>
    new aws.lb.TargetGroup(
      ...applyTransform(
        `${name}-${color}`,
        {
          name: physicalName("aws:lb/targetGroup:TargetGroup", `${name}-${color}`, [
            spec.vpcId,
            spec.port,
            ...Object.values(TARGET_GROUP_SHAPE),
          ]),
          vpcId: spec.vpcId,
          ...TARGET_GROUP_SHAPE,
          port: spec.port,
          deregistrationDelay: 30,
          healthCheck: {
            enabled: true,
            protocol: "HTTP",
            port: "traffic-port",
            path: spec.healthCheckPath,
            matcher: spec.health.matcher,
            interval: spec.health.intervalSeconds,
            timeout: spec.health.timeoutSeconds,
            healthyThreshold: spec.health.healthyThreshold,
            unhealthyThreshold: spec.health.unhealthyThreshold,
          },
          tags: { Name: `${name}-${color}` },
        },
        { parent },
        transform,
      ),
    );
  return { blue: targetGroup("blue"), green: targetGroup("green") };
}

/**
 * The test and production listener rules ECS shifts between the target groups. Both start forwarding everything to
 * blue; ECS rewrites their weights during every deployment, so Pulumi must not put them back (`ignoreChanges`).
 * The values of their rotated header conditions are the header rotation's after the first
 * (functions/rotation/header.ts): Pulumi ignores those too, and only those, by index (Pulumi property paths,
 * sdk/go/common/resource/properties_path.go).
 */
export function listenerRules(
  parent: pulumi.Resource,
  name: string,
  routing: RoutingSpec,
  groups: TargetGroupPair,
  transform: FargateServiceTransforms["listenerRule"],
): { test: aws.lb.ListenerRule; production: aws.lb.ListenerRule } {
  const forwardToBlue = [
    {
      type: "forward",
      forward: {
        targetGroups: [
          { arn: groups.blue.arn, weight: 100 },
          { arn: groups.green.arn, weight: 0 },
        ],
      },
    },
  ];
  const testHeader = routing.testTraffic;
  const required = routing.requiredHeader;
  const baseConditions = [
    { pathPattern: { values: routing.pathPatterns ?? ["/*"] } },
    ...(required ? [{ httpHeader: { httpHeaderName: required.name, values: [required.value] } }] : []),
  ];
  // Condition 0 is the path; 1 the required header (when set); the test rule's test header comes last.
  const rotatedValues = (conditions: aws.types.input.lb.ListenerRuleCondition[], testRule: boolean) => [
    ...(required?.rotated ? ["conditions[1].httpHeader.values"] : []),
    ...(testRule ? [`conditions[${conditions.length - 1}].httpHeader.values`] : []),
  ];
  const rule = (suffix: string, priority: number, conditions: aws.types.input.lb.ListenerRuleCondition[]) =>
    new aws.lb.ListenerRule(
      ...applyTransform(
        `${name}-${suffix}`,
        {
          listenerArn: routing.listenerArn,
          priority,
          conditions,
          actions: forwardToBlue,
          tags: { Name: `${name}-${suffix}` },
        },
        { parent, ignoreChanges: ["actions", ...rotatedValues(conditions, suffix === "test")] },
        transform,
      ),
    );
  return {
    test: rule("test", routing.priority, [
      ...baseConditions,
      { httpHeader: { httpHeaderName: testHeader.name, values: [testHeader.value] } },
    ]),
    production: rule("production", routing.priority + 1, baseConditions),
  };
}

/** The role ECS assumes to move traffic between the target groups during a deployment, and its managed policy. */
export function deploymentRole(
  parent: pulumi.Resource,
  name: string,
  account: AwsAccount,
): { role: aws.iam.Role; policy: aws.iam.RolePolicyAttachment } {
  const role = new aws.iam.Role(
    `${name}-deployments`,
    {
      description: `Lets ECS shift load-balancer traffic between the target groups of ${name} during deployments`,
      permissionsBoundary: account.permissionsBoundaryArn,
      assumeRolePolicy: serviceTrustPolicy("ecs.amazonaws.com", account.accountId),
      tags: { Name: `${name}-deployments` },
    },
    { parent },
  );
  const policy = new aws.iam.RolePolicyAttachment(
    `${name}-deployments`,
    {
      role: role.name,
      policyArn: pulumi.interpolate`arn:${account.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers`,
    },
    { parent },
  );
  return { role, policy };
}

/**
 * The alarms ECS watches during a deployment and rolls back on: target 5xx responses (summed over both target
 * groups) and unhealthy targets (either group), each two one-minute periods running.
 */
export function rollbackAlarms(
  parent: pulumi.Resource,
  name: string,
  spec: {
    loadBalancerArnSuffix: pulumi.Input<string>;
    groups: TargetGroupPair;
    errorsPerMinute: number;
    actions: pulumi.Input<string>[];
  },
): [errors: aws.cloudwatch.MetricAlarm, unhealthy: aws.cloudwatch.MetricAlarm] {
  const targetGroupMetric = (metricName: string, stat: string) =>
    (["blue", "green"] as const).map((color) => ({
      id: color,
      returnData: false,
      metric: {
        namespace: "AWS/ApplicationELB",
        metricName,
        stat,
        period: 60,
        dimensions: { LoadBalancer: spec.loadBalancerArnSuffix, TargetGroup: spec.groups[color].arnSuffix },
      },
    }));
  const alarm = (
    suffix: string,
    what: string,
    threshold: number,
    metric: { name: string; stat: string; id: string; expression: string; label: string },
  ) =>
    new aws.cloudwatch.MetricAlarm(
      `${name}-${suffix}`,
      {
        alarmDescription: `${name}: ${what}; rolls back a deployment in progress`,
        metricQueries: [
          ...targetGroupMetric(metric.name, metric.stat),
          { id: metric.id, expression: metric.expression, label: metric.label, returnData: true },
        ],
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: "notBreaching",
        alarmActions: spec.actions,
        okActions: spec.actions,
        tags: { Name: `${name}-${suffix}` },
      },
      { parent },
    );
  return [
    alarm("target-5xx", "targets answer with 5xx errors", spec.errorsPerMinute, {
      name: "HTTPCode_Target_5XX_Count",
      stat: "Sum",
      id: "errors",
      expression: "FILL(blue, 0) + FILL(green, 0)",
      label: "Target 5xx per minute",
    }),
    alarm("unhealthy-targets", "targets fail their health checks", 1, {
      name: "UnHealthyHostCount",
      stat: "Maximum",
      id: "unhealthy",
      expression: "MAX([FILL(blue, 0), FILL(green, 0)])",
      label: "Unhealthy targets",
    }),
  ];
}

/** The ECS service's deployment configuration for the chosen strategy, with its lifecycle hooks. */
export function deploymentConfiguration(
  deployment: DeploymentSpec,
  lifecycleHooks: aws.types.input.ecs.ServiceDeploymentConfigurationLifecycleHook[] = [],
): aws.types.input.ecs.ServiceDeploymentConfiguration {
  const base = {
    strategy: deployment.strategy,
    bakeTimeInMinutes: String(deployment.bakeTimeMinutes),
    ...(lifecycleHooks.length ? { lifecycleHooks } : {}),
  };
  switch (deployment.strategy) {
    case "CANARY":
      return {
        ...base,
        canaryConfiguration: {
          canaryPercent: deployment.canary.percent,
          canaryBakeTimeInMinutes: String(deployment.canary.bakeMinutes),
        },
      };
    case "LINEAR":
      return {
        ...base,
        linearConfiguration: {
          stepPercent: deployment.linear.stepPercent,
          stepBakeTimeInMinutes: String(deployment.linear.stepBakeMinutes),
        },
      };
    case "BLUE_GREEN":
      return base;
  }
}
