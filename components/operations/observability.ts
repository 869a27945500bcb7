import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Severity } from "./alerting";
import { physicalName } from "../lib/aws-names";
import { regionOf } from "../lib/aws-account";

/** The thresholds of the alarms that notify people (the stack's `cloudweave:alarms`). */
export interface AlarmThresholds {
  /** Load-balancer 5xx responses as a share (%) of requests over 5 minutes (critical). */
  http5xxPercent: number;
  /** p95 target response time (seconds) over 5 minutes (warning). */
  targetResponseP95Seconds: number;
  /** Service CPU (%) for 10 minutes (warning). */
  serviceCpuPercent: number;
  /** Service memory (%) for 10 minutes (warning). */
  serviceMemoryPercent: number;
  /** RDS CPU (%) for 15 minutes (warning). */
  databaseCpuPercent: number;
  /** RDS free storage (GiB) below which the alarm fires (critical). */
  databaseFreeStorageGiB: number;
  /** RDS connections for 10 minutes (warning). */
  databaseConnections: number;
  /** Redis engine CPU (%) for 10 minutes (warning). */
  cacheEngineCpuPercent: number;
  /** Redis memory (%) for 10 minutes (warning). */
  cacheMemoryPercent: number;
  /** Redis evictions per 5 minutes (warning). */
  cacheEvictionsPer5Minutes: number;
  /** Redis replication lag in seconds for 5 minutes (warning). */
  cacheReplicationLagSeconds: number;
  /** A cross-region database replica's lag in seconds for 5 minutes (warning; `database.replica` only). */
  databaseReplicaLagSeconds: number;
  /** WAF-blocked requests per 5 minutes (warning). */
  wafBlockedPer5Minutes: number;
  /** Backend error log lines per 5 minutes (warning). */
  backendErrorsPer5Minutes: number;
}

/** A load balancer to watch. */
export interface WatchedLoadBalancer {
  /** A short label: alarm and widget names. */
  label: string;
  /** The `LoadBalancer` metric dimension (ARN suffix). */
  arnSuffix: pulumi.Input<string>;
}

/** A service to watch. */
export interface WatchedService {
  label: string;
  clusterName: pulumi.Input<string>;
  serviceName: pulumi.Input<string>;
  /** The load balancer its target groups belong to (ARN suffix). */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** Its target groups' ARN suffixes (blue and green). */
  targetGroupArnSuffixes: { blue: pulumi.Input<string>; green: pulumi.Input<string> };
}

/** Arguments of {@link Observability}. */
export interface ObservabilityArgs {
  /** The SNS topic of each severity (from {@link Alerting}). */
  topicArns: Record<Severity, pulumi.Input<string>>;
  thresholds: AlarmThresholds;
  loadBalancers: WatchedLoadBalancer[];
  services: WatchedService[];
  /**
   * The RDS instance identifier; `replica` when it is a standby's cross-region read replica, whose lag is the
   * recovery point (an alarm, and no data counts as lagging: a replica that reports nothing is not replicating).
   */
  database: { identifier: pulumi.Input<string>; replica?: boolean };
  /**
   * The services run no tasks on purpose (a standby not yet recovered): a task count with no data is not a shortfall.
   * @default false
   */
  idle?: boolean;
  /** The Redis nodes (member cluster ids: primary and replicas). */
  cache: { nodeIds: string[] };
  /**
   * The CLOUDFRONT-scope web ACL: its name (a dashboard row), and whether to alarm on its blocked requests. Its
   * metrics live in us-east-1, so the alarm can exist only in a stack there (alarm actions cannot cross regions).
   */
  waf?: { webAclName: pulumi.Input<string>; alarm: boolean };
  /** The backend's log group and the namespace for metrics derived from its logs. */
  backendLogs: { logGroupName: pulumi.Input<string>; metricNamespace: string };
  /** X-Ray: the backend's traced service name and the share of requests sampled beyond one per second. */
  tracing: { serviceName: string; samplingPercent: number };
}

interface AlarmSpec {
  description: string;
  comparisonOperator: string;
  threshold: number;
  periodSeconds?: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  treatMissingData?: string;
  metric?: { namespace: string; name: string; stat: string; dimensions: Record<string, pulumi.Input<string>> };
  queries?: aws.types.input.cloudwatch.MetricAlarmMetricQuery[];
}

const GIB = 1024 ** 3;

/**
 * What tells a person something is wrong, and what helps them find out why: CloudWatch alarms on each tier's
 * golden signals (to the SNS topic of their severity), a dashboard per stack, X-Ray sampling and a trace group for
 * the backend, and a metric of the backend's error log lines.
 */
export class Observability extends pulumi.ComponentResource {
  /** Every alarm's name, by severity. */
  public readonly alarmNames: Record<Severity, pulumi.Output<string>[]>;
  /** The load balancers' 5xx-rate alarms: what users feel first; experiments stop when one fires. */
  public readonly userFacingAlarmArns: pulumi.Output<string>[];
  /** The CloudWatch dashboard's name. */
  public readonly dashboardName: pulumi.Output<string>;
  /** The X-Ray group of the backend's traces. */
  public readonly traceGroupName: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:operations:Observability", name, {}, opts);
    const t = args.thresholds;
    const region = regionOf(this);
    const alarmNames: Record<Severity, pulumi.Output<string>[]> = { critical: [], warning: [] };
    const alarm = (resourceName: string, severity: Severity, spec: AlarmSpec) => {
      const topic = args.topicArns[severity];
      const created = new aws.cloudwatch.MetricAlarm(
        resourceName,
        {
          alarmDescription: `[${severity}] ${spec.description}`,
          comparisonOperator: spec.comparisonOperator,
          threshold: spec.threshold,
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods,
          treatMissingData: spec.treatMissingData ?? "notBreaching",
          ...(spec.metric
            ? {
                namespace: spec.metric.namespace,
                metricName: spec.metric.name,
                statistic: spec.metric.stat.startsWith("p") ? undefined : spec.metric.stat,
                extendedStatistic: spec.metric.stat.startsWith("p") ? spec.metric.stat : undefined,
                dimensions: spec.metric.dimensions,
                period: spec.periodSeconds ?? 300,
              }
            : { metricQueries: spec.queries }),
          alarmActions: [topic],
          okActions: [topic],
          tags: { Severity: severity },
        },
        { parent: this },
      );
      alarmNames[severity].push(created.name);
      return created;
    };
    const query = (
      id: string,
      namespace: string,
      metricName: string,
      stat: string,
      dimensions: Record<string, pulumi.Input<string>>,
      period = 300,
    ): aws.types.input.cloudwatch.MetricAlarmMetricQuery => ({
      id,
      returnData: false,
      metric: { namespace, metricName, stat, period, dimensions },
    });

    // --- Load balancers: error rate and latency ------------------------------------------------------------
    const userFacing: pulumi.Output<string>[] = [];
    for (const lb of args.loadBalancers) {
      const dims = { LoadBalancer: lb.arnSuffix };
      const rate = alarm(`${name}-${lb.label}-5xx-rate`, "critical", {
        description: `${lb.label} load balancer: more than ${t.http5xxPercent}% of requests failed with 5xx over 5 minutes`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.http5xxPercent,
        evaluationPeriods: 1,
        queries: [
          query("elb", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", dims),
          query("target", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", dims),
          query("requests", "AWS/ApplicationELB", "RequestCount", "Sum", dims),
          {
            id: "rate",
            expression: "IF(FILL(requests, 0) > 0, 100 * (FILL(elb, 0) + FILL(target, 0)) / requests, 0)",
            label: "5xx %",
            returnData: true,
          },
        ],
      });
      userFacing.push(rate.arn);
      alarm(`${name}-${lb.label}-latency-p95`, "warning", {
        description: `${lb.label} load balancer: p95 target response time above ${t.targetResponseP95Seconds}s`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.targetResponseP95Seconds,
        evaluationPeriods: 1,
        metric: { namespace: "AWS/ApplicationELB", name: "TargetResponseTime", stat: "p95", dimensions: dims },
      });
    }

    // --- Services: unhealthy targets, saturation, running-task shortfall ------------------------------------
    for (const service of args.services) {
      for (const color of ["blue", "green"] as const) {
        alarm(`${name}-${service.label}-${color}-unhealthy`, "warning", {
          description: `${service.label} (${color} target group): a target failed its health checks for 3 minutes`,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          threshold: 1,
          periodSeconds: 60,
          evaluationPeriods: 3,
          metric: {
            namespace: "AWS/ApplicationELB",
            name: "UnHealthyHostCount",
            stat: "Maximum",
            dimensions: {
              LoadBalancer: service.loadBalancerArnSuffix,
              TargetGroup: service.targetGroupArnSuffixes[color],
            },
          },
        });
      }
      const serviceDims = { ClusterName: service.clusterName, ServiceName: service.serviceName };
      alarm(`${name}-${service.label}-cpu`, "warning", {
        description: `${service.label}: CPU above ${t.serviceCpuPercent}% for 10 minutes though scaling should act at 70%`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.serviceCpuPercent,
        evaluationPeriods: 2,
        metric: { namespace: "AWS/ECS", name: "CPUUtilization", stat: "Average", dimensions: serviceDims },
      });
      alarm(`${name}-${service.label}-memory`, "warning", {
        description: `${service.label}: memory above ${t.serviceMemoryPercent}% for 10 minutes`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.serviceMemoryPercent,
        evaluationPeriods: 2,
        metric: { namespace: "AWS/ECS", name: "MemoryUtilization", stat: "Average", dimensions: serviceDims },
      });
      alarm(`${name}-${service.label}-task-shortfall`, "critical", {
        description: `${service.label}: fewer tasks running than desired for 5 minutes`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 5,
        treatMissingData: args.idle ? "notBreaching" : "breaching",
        queries: [
          query("desired", "ECS/ContainerInsights", "DesiredTaskCount", "Average", serviceDims, 60),
          query("running", "ECS/ContainerInsights", "RunningTaskCount", "Average", serviceDims, 60),
          { id: "shortfall", expression: "desired - running", label: "Missing tasks", returnData: true },
        ],
      });
    }

    // --- RDS --------------------------------------------------------------------------------------------------
    const dbDims = { DBInstanceIdentifier: args.database.identifier };
    alarm(`${name}-database-cpu`, "warning", {
      description: `PostgreSQL: CPU above ${t.databaseCpuPercent}% for 15 minutes`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.databaseCpuPercent,
      evaluationPeriods: 3,
      metric: { namespace: "AWS/RDS", name: "CPUUtilization", stat: "Average", dimensions: dbDims },
    });
    if (args.database.replica) {
      // ReplicaLag: seconds a read replica is behind its source (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html).
      alarm(`${name}-database-replica-lag`, "warning", {
        description: `PostgreSQL replica: more than ${t.databaseReplicaLagSeconds}s behind the primary region for 5 minutes (the RPO)`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.databaseReplicaLagSeconds,
        periodSeconds: 60,
        evaluationPeriods: 5,
        treatMissingData: "breaching",
        metric: { namespace: "AWS/RDS", name: "ReplicaLag", stat: "Maximum", dimensions: dbDims },
      });
    }
    alarm(`${name}-database-free-storage`, "critical", {
      description: `PostgreSQL: less than ${t.databaseFreeStorageGiB} GiB of storage free`,
      comparisonOperator: "LessThanThreshold",
      threshold: t.databaseFreeStorageGiB * GIB,
      evaluationPeriods: 1,
      treatMissingData: "breaching",
      metric: { namespace: "AWS/RDS", name: "FreeStorageSpace", stat: "Minimum", dimensions: dbDims },
    });
    alarm(`${name}-database-connections`, "warning", {
      description: `PostgreSQL: more than ${t.databaseConnections} connections for 10 minutes`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.databaseConnections,
      evaluationPeriods: 2,
      metric: { namespace: "AWS/RDS", name: "DatabaseConnections", stat: "Maximum", dimensions: dbDims },
    });

    // --- Redis, per node (the primary can move) ----------------------------------------------------------------
    for (const nodeId of args.cache.nodeIds) {
      const dims = { CacheClusterId: nodeId };
      alarm(`${name}-${nodeId}-engine-cpu`, "warning", {
        description: `Redis ${nodeId}: engine CPU above ${t.cacheEngineCpuPercent}% for 10 minutes`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.cacheEngineCpuPercent,
        evaluationPeriods: 2,
        metric: { namespace: "AWS/ElastiCache", name: "EngineCPUUtilization", stat: "Average", dimensions: dims },
      });
      alarm(`${name}-${nodeId}-memory`, "warning", {
        description: `Redis ${nodeId}: memory above ${t.cacheMemoryPercent}% for 10 minutes`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.cacheMemoryPercent,
        evaluationPeriods: 2,
        metric: {
          namespace: "AWS/ElastiCache",
          name: "DatabaseMemoryUsagePercentage",
          stat: "Average",
          dimensions: dims,
        },
      });
      alarm(`${name}-${nodeId}-evictions`, "warning", {
        description: `Redis ${nodeId}: more than ${t.cacheEvictionsPer5Minutes} evictions in 5 minutes`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.cacheEvictionsPer5Minutes,
        evaluationPeriods: 1,
        metric: { namespace: "AWS/ElastiCache", name: "Evictions", stat: "Sum", dimensions: dims },
      });
      // Only replicas publish ReplicationLag; on the primary the metric is missing, which is fine.
      alarm(`${name}-${nodeId}-replication-lag`, "warning", {
        description: `Redis ${nodeId}: replication lag above ${t.cacheReplicationLagSeconds}s for 5 minutes`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.cacheReplicationLagSeconds,
        periodSeconds: 60,
        evaluationPeriods: 5,
        metric: { namespace: "AWS/ElastiCache", name: "ReplicationLag", stat: "Maximum", dimensions: dims },
      });
    }

    // --- WAF ---------------------------------------------------------------------------------------------------
    if (args.waf?.alarm) {
      alarm(`${name}-waf-blocked`, "warning", {
        description: `WAF blocked more than ${t.wafBlockedPer5Minutes} requests in 5 minutes: an attack, or a false positive`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.wafBlockedPer5Minutes,
        evaluationPeriods: 1,
        metric: {
          namespace: "AWS/WAFV2",
          name: "BlockedRequests",
          stat: "Sum",
          dimensions: { WebACL: args.waf.webAclName, Rule: "ALL" },
        },
      });
    }

    // --- Backend error log lines -------------------------------------------------------------------------------
    // The backend logs JSON lines with a `level` field (the app's logging contract, docs/delivery.md's image contract).
    const errorMetric = "BackendErrors";
    new aws.cloudwatch.LogMetricFilter(
      `${name}-backend-errors`,
      {
        logGroupName: args.backendLogs.logGroupName,
        pattern: '{ $.level = "error" }',
        metricTransformation: {
          namespace: args.backendLogs.metricNamespace,
          name: errorMetric,
          value: "1",
          defaultValue: "0",
          unit: "Count",
        },
      },
      { parent: this },
    );
    alarm(`${name}-backend-errors`, "warning", {
      description: `backend: more than ${t.backendErrorsPer5Minutes} error log lines in 5 minutes`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: t.backendErrorsPer5Minutes,
      evaluationPeriods: 1,
      metric: { namespace: args.backendLogs.metricNamespace, name: errorMetric, stat: "Sum", dimensions: {} },
    });

    // --- X-Ray -------------------------------------------------------------------------------------------------
    const samplingRuleVersion = 1;
    new aws.xray.SamplingRule(
      `${name}-backend`,
      {
        // X-Ray allows 32 characters; the name changes with the rule's version, which replaces it.
        ruleName: physicalName("aws:xray/samplingRule:SamplingRule", args.tracing.serviceName, [samplingRuleVersion]),
        priority: 100,
        version: samplingRuleVersion,
        reservoirSize: 1,
        fixedRate: args.tracing.samplingPercent / 100,
        serviceName: args.tracing.serviceName,
        serviceType: "*",
        host: "*",
        httpMethod: "*",
        urlPath: "*",
        resourceArn: "*",
      },
      { parent: this },
    );
    const traceGroup = new aws.xray.Group(
      `${name}-backend`,
      {
        groupName: physicalName("aws:xray/group:Group", args.tracing.serviceName),
        filterExpression: `service("${args.tracing.serviceName}")`,
        insightsConfiguration: { insightsEnabled: true, notificationsEnabled: false },
      },
      { parent: this },
    );

    // --- Credential rotation ---------------------------------------------------------------------------------------
    // A failed or abandoned rotation leaves the current credentials in place (nothing breaks yet), but the next
    // rotation replaces what clients may still hold: someone looks in working hours. Secrets Manager reports rotation
    // outcomes as CloudTrail service events on the default bus
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/cloudtrail_log_entries.html#cloudtrail_log_entries_rotation);
    // a stack owns its account and region, so every rotation there is this stack's.
    const rotationFailed = new aws.cloudwatch.EventRule(
      `${name}-rotation-failed`,
      {
        description: "[warning] a Secrets Manager rotation failed or was abandoned",
        eventPattern: JSON.stringify({
          source: ["aws.secretsmanager"],
          "detail-type": ["AWS Service Event via CloudTrail"],
          detail: { eventSource: ["secretsmanager.amazonaws.com"], eventName: ["RotationFailed", "RotationAbandoned"] },
        }),
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      `${name}-rotation-failed`,
      {
        rule: rotationFailed.name,
        targetId: "warning-topic",
        arn: args.topicArns.warning,
        inputTransformer: {
          inputPaths: { event: "$.detail.eventName", secret: "$.detail.additionalEventData.SecretId", time: "$.time" },
          inputTemplate: '"[warning] Secrets Manager <event> for <secret> at <time>: see docs/credentials.md"',
        },
      },
      { parent: this },
    );

    // --- Dashboard: the golden signals of each tier ---------------------------------------------------------------
    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      // Dashboard names are global to the account: the region keeps a recovery stack's apart.
      { dashboardName: pulumi.interpolate`${name}-${region}`, dashboardBody: dashboardBody(args, region) },
      { parent: this },
    );

    this.alarmNames = alarmNames;
    this.userFacingAlarmArns = userFacing;
    this.dashboardName = dashboard.dashboardName;
    this.traceGroupName = traceGroup.groupName;
    this.registerOutputs({
      alarmNames: this.alarmNames,
      dashboardName: this.dashboardName,
      traceGroupName: this.traceGroupName,
    });
  }
}

/** The dashboard: traffic, errors, latency and saturation per tier, one row each. */
function dashboardBody(args: ObservabilityArgs, stackRegion: pulumi.Input<string>): pulumi.Output<string> {
  const widget = (
    title: string,
    metrics: unknown[][],
    y: number,
    x: number,
    stat = "Sum",
    region: pulumi.Input<string> = stackRegion,
  ) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, stat, period: 60, view: "timeSeries", metrics },
  });
  const widgets: unknown[] = [];
  let row = 0;
  for (const lb of args.loadBalancers) {
    widgets.push(
      widget(
        `${lb.label}: requests and 5xx`,
        [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb.arnSuffix],
          [".", "HTTPCode_Target_5XX_Count", ".", "."],
          [".", "HTTPCode_ELB_5XX_Count", ".", "."],
        ],
        row,
        0,
      ),
      widget(
        `${lb.label}: target response time p95`,
        [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb.arnSuffix]],
        row,
        12,
        "p95",
      ),
    );
    row += 6;
  }
  for (const service of args.services) {
    widgets.push(
      widget(
        `${service.label}: CPU and memory`,
        [
          ["AWS/ECS", "CPUUtilization", "ClusterName", service.clusterName, "ServiceName", service.serviceName],
          [".", "MemoryUtilization", ".", ".", ".", "."],
        ],
        row,
        0,
        "Average",
      ),
      widget(
        `${service.label}: running and desired tasks`,
        [
          [
            "ECS/ContainerInsights",
            "RunningTaskCount",
            "ClusterName",
            service.clusterName,
            "ServiceName",
            service.serviceName,
          ],
          [".", "DesiredTaskCount", ".", ".", ".", "."],
        ],
        row,
        12,
        "Average",
      ),
    );
    row += 6;
  }
  const db = ["DBInstanceIdentifier", args.database.identifier];
  widgets.push(
    widget(
      "PostgreSQL: CPU and connections",
      [
        ["AWS/RDS", "CPUUtilization", ...db],
        [".", "DatabaseConnections", ".", ".", { yAxis: "right" }],
      ],
      row,
      0,
      "Average",
    ),
    widget("PostgreSQL: free storage", [["AWS/RDS", "FreeStorageSpace", ...db]], row, 12, "Minimum"),
  );
  row += 6;
  widgets.push(
    widget(
      "Redis: engine CPU and memory",
      args.cache.nodeIds.flatMap((node) => [
        ["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", node],
        [".", "DatabaseMemoryUsagePercentage", ".", "."],
      ]),
      row,
      0,
      "Average",
    ),
    widget(
      "Redis: evictions and replication lag",
      args.cache.nodeIds.flatMap((node) => [
        ["AWS/ElastiCache", "Evictions", "CacheClusterId", node],
        [".", "ReplicationLag", ".", ".", { yAxis: "right", stat: "Maximum" }],
      ]),
      row,
      12,
    ),
  );
  row += 6;
  if (args.waf) {
    // CloudFront-scope WAF metrics are published in us-east-1.
    widgets.push(
      widget(
        "WAF: allowed and blocked requests",
        [
          ["AWS/WAFV2", "AllowedRequests", "WebACL", args.waf.webAclName, "Rule", "ALL"],
          [".", "BlockedRequests", ".", ".", ".", "."],
        ],
        row,
        0,
        "Sum",
        "us-east-1",
      ),
    );
  }
  return pulumi.jsonStringify({ widgets });
}
