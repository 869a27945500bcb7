import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../lib/aws-account";
import { physicalName } from "../lib/aws-names";
import { encryptedLogGroup, type LogDestination } from "../lib/log-group";
import { serviceTrustPolicy } from "../lib/service-trust";
import {
  FAULT_AGENT_CONTAINER,
  faultAgentContainer,
  faultAgentTaskStatements,
  type FaultAgentSpec,
} from "../resilience/task-fault-agent";

/** The X-Ray daemon image the tracing sidecar runs, pinned to a release. */
export const DEFAULT_XRAY_DAEMON_IMAGE = "public.ecr.aws/xray/aws-xray-daemon:3.3.14";

/** A value the task reads from Secrets Manager at start: a whole secret, or one key of a JSON secret. */
export interface SecretReference {
  /** The secret's ARN. */
  secretArn: pulumi.Input<string>;
  /** The JSON key to read; the whole secret string when unset. */
  jsonKey?: string;
}

/** The application container of a service. */
export interface ContainerSpec {
  /** The port the application listens on (also the target groups' port). */
  port: number;
  /** Path of the application's health endpoint; the load balancer and the container health check call it. */
  healthCheckPath: string;
  /** The non-root `uid:gid` the container runs as. */
  user: string;
  /**
   * Runs the container with a read-only root filesystem; `writablePaths` get task-local scratch volumes.
   * @default true
   */
  readonlyRootFilesystem?: boolean;
  /** Directories the application must write to (scratch space, caches, pid files). @default [] */
  writablePaths?: readonly string[];
  /** Plain settings as environment variables. Never secrets: use `secrets`. @default {} */
  environment?: Record<string, pulumi.Input<string>>;
  /**
   * Environment variables the task reads from Secrets Manager when it starts (injected by ECS, never stored in the
   * task definition). The execution role may read exactly these secrets.
   * @default {}
   */
  secrets?: Record<string, SecretReference>;
}

/** Where the service's traffic comes from and how blue/green deployments shift it. */
export interface RoutingSpec {
  /** The HTTPS listener the service's rules are added to. */
  listenerArn: pulumi.Input<string>;
  /** The load balancer's ARN suffix, the `LoadBalancer` dimension of target-group metrics. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /**
   * Priority of the test-traffic rule; the production rule gets the next one. Unique per listener.
   */
  priority: number;
  /** Paths the service answers on this listener. @default ["/*"] */
  pathPatterns?: string[];
  /**
   * Requests carrying this header with this (secret) value reach the new (green) tasks while a deployment tests
   * them, before production traffic shifts: a credential only the deployment's checks hold. The edge must not
   * forward a viewer's copy of the header.
   */
  testTraffic: { name: string; value: pulumi.Input<string> };
  /**
   * A header every request must carry to reach the service (both rules require it): the secret that CloudFront
   * adds to origin requests, so nothing that bypasses the CDN and its WAF is served.
   * @default none
   */
  requiredHeader?: { name: string; value: pulumi.Input<string> };
}

/** The health checks of the target groups (ALB) and of the container (ECS). */
export interface HealthCheckSpec {
  /** Seconds between checks. @default 30 */
  intervalSeconds?: number;
  /** Consecutive successes before a target counts as healthy. @default 3 */
  healthyThreshold?: number;
  /** Consecutive failures before a target counts as unhealthy. @default 2 */
  unhealthyThreshold?: number;
  /** Seconds to wait for an answer. @default 5 */
  timeoutSeconds?: number;
  /** HTTP status codes that count as healthy. @default "200" */
  matcher?: string;
  /** Seconds after a task starts during which failed checks do not count. @default 60 */
  gracePeriodSeconds?: number;
}

/** CPU step scaling (the design's policy) plus memory target tracking. */
export interface ScalingSpec {
  /** Average CPU (%) above which tasks are added. @default 70 */
  scaleOutCpuPercent?: number;
  /** Consecutive one-minute periods above `scaleOutCpuPercent` before scaling out. @default 2 */
  scaleOutPeriods?: number;
  /** Average CPU (%) below which a task is removed. @default 30 */
  scaleInCpuPercent?: number;
  /** Consecutive one-minute periods below `scaleInCpuPercent` before scaling in. @default 5 */
  scaleInPeriods?: number;
  /**
   * Average memory (%) a target-tracking policy keeps the service under by adding tasks. It never removes tasks:
   * scaling in stays with the CPU policy, so the two cannot fight.
   * @default 75
   */
  memoryTargetPercent?: number;
}

/** How a new task definition is rolled out. */
export interface DeploymentSpec {
  /**
   * `BLUE_GREEN` moves all traffic after the test stage; `CANARY` moves `canary.percent` first and the rest after
   * `canary.bakeMinutes`; `LINEAR` moves `linear.stepPercent` every `linear.stepBakeMinutes`. All keep the old tasks
   * for `bakeTimeMinutes` and roll back on the alarms.
   * @default "BLUE_GREEN"
   */
  strategy?: "BLUE_GREEN" | "CANARY" | "LINEAR";
  /** CANARY settings. @default { percent: 10, bakeMinutes: 10 } */
  canary?: { percent: number; bakeMinutes: number };
  /** LINEAR settings. @default { stepPercent: 25, stepBakeMinutes: 5 } */
  linear?: { stepPercent: number; stepBakeMinutes: number };
  /** Minutes the old (blue) tasks stay up after traffic moved, ready for an instant rollback (0-1440). */
  bakeTimeMinutes: number;
  /**
   * Target 5xx responses per minute, two minutes running, that make ECS roll a deployment back.
   * @default 10
   */
  rollbackOn5xxPerMinute?: number;
  /**
   * Makes `pulumi up` wait until the deployment completes (or rolls back, which then fails the update).
   * @default true
   */
  waitForCompletion?: boolean;
  /**
   * Minutes `pulumi up` waits for a deployment (new tasks starting and tested, the traffic shifts, the bakes) before
   * failing it: `config/rollout.ts` computes it from the strategy, and the config schema keeps it within CI's
   * credentials.
   */
  timeoutMinutes: number;
}

/** Arguments of {@link FargateService}. */
export interface FargateServiceArgs {
  /** The account and region (log configuration, trust conditions). */
  account: AwsAccount;
  /** The ECS cluster to run in: its ARN, and its name for metric dimensions. */
  cluster: { arn: pulumi.Input<string>; name: pulumi.Input<string> };
  /** The VPC of the target groups. */
  vpcId: pulumi.Input<string>;
  /** Private subnets for the tasks (no public IPs are ever assigned). */
  subnetIds: pulumi.Input<string>[];
  /** The service's security group. */
  securityGroupId: pulumi.Input<string>;
  /** The image to run: an ECR repository (pull permission is scoped to it) and an immutable tag. */
  image: { repositoryUrl: pulumi.Input<string>; repositoryArn: pulumi.Input<string>; tag: string };
  /** Task cpu units (1024 = 1 vCPU), a Fargate size. */
  cpu: number;
  /** Task memory (MiB), a Fargate size for `cpu`. */
  memory: number;
  /** Tasks at steady state; also the auto-scaling minimum. */
  desiredCount: number;
  /** The auto-scaling maximum. */
  maxCount: number;
  /** The application container. */
  container: ContainerSpec;
  /** ARN of the KMS key that encrypts the secrets in `container.secrets`; the execution role may decrypt with it through Secrets Manager only. */
  secretsKmsKeyArn?: pulumi.Input<string>;
  /** The service's log group: the stack's logs key and retention. */
  logs: LogDestination;
  /** Listener, rule priority and test-traffic header. */
  routing: RoutingSpec;
  /** Health checks. @default the design's: 30 s interval, 3 to be healthy, 2 to be unhealthy, HTTP 200 */
  healthCheck?: HealthCheckSpec;
  /** Auto scaling between `desiredCount` and `maxCount`. @default the design's thresholds */
  scaling?: ScalingSpec;
  /** Blue/green deployment settings. */
  deployment: DeploymentSpec;
  /** The X-Ray daemon sidecar's image. @default {@link DEFAULT_XRAY_DAEMON_IMAGE} */
  xrayDaemonImage?: string;
  /** CPU architecture of the images. @default "X86_64" */
  cpuArchitecture?: "X86_64" | "ARM64";
  /** Actions (SNS topic ARNs) notified when a rollback alarm fires. @default [] */
  alarmActions?: pulumi.Input<string>[];
  /** Protects the service's log group from deletion by Pulumi (production). @default false */
  protect?: boolean;
  /**
   * Adds the fault-injection sidecar (an SSM agent) so FIS can stress the tasks' CPU, and lets the task role register
   * it. Meant for stacks that run task experiments; the production policy pack refuses it. @default none
   */
  faultAgent?: FaultAgentSpec;
}

const CONTAINER = "app";
const XRAY_CONTAINER = "xray-daemon";
const XRAY_PORT = 2000;

/**
 * One containerised service on Fargate behind an Application Load Balancer, deployed blue/green by ECS itself:
 * task definition (app + X-Ray sidecar, read-only root, non-root, secrets from Secrets Manager), least-privilege
 * execution and task roles, an encrypted log group, two target groups with the design's health checks, production
 * and test listener rules, alarms that roll a bad deployment back, and CPU/memory auto scaling.
 */
export class FargateService extends pulumi.ComponentResource {
  /** The ECS service's name. */
  public readonly serviceName: pulumi.Output<string>;
  /** The task definition's ARN (the revision this update deploys). */
  public readonly taskDefinitionArn: pulumi.Output<string>;
  /** The task role's ARN: what the application itself may do in AWS. */
  public readonly taskRoleArn: pulumi.Output<string>;
  /** The task role's name, for components that grant the application more (their own policy, their own scope). */
  public readonly taskRoleName: pulumi.Output<string>;
  /** The log group the containers write to. */
  public readonly logGroupName: pulumi.Output<string>;
  /** Target group ARNs: `blue` is where production traffic starts, `green` receives each new version. */
  public readonly targetGroupArns: { blue: pulumi.Output<string>; green: pulumi.Output<string> };
  /** The target groups' ARN suffixes, the `TargetGroup` metric dimension. */
  public readonly targetGroupArnSuffixes: { blue: pulumi.Output<string>; green: pulumi.Output<string> };
  /** Names of the alarms that roll a deployment back. */
  public readonly rollbackAlarmNames: pulumi.Output<string>[];
  /** ARNs of the same alarms (for other rollouts that should stop on them, e.g. feature-flag deployments). */
  public readonly rollbackAlarmArns: pulumi.Output<string>[];

  constructor(name: string, args: FargateServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:compute:FargateService", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition, region } = args.account;
    const container = args.container;
    const health = {
      intervalSeconds: 30,
      healthyThreshold: 3,
      unhealthyThreshold: 2,
      timeoutSeconds: 5,
      matcher: "200",
      gracePeriodSeconds: 60,
      ...args.healthCheck,
    };

    const logGroup = encryptedLogGroup(`${name}-logs`, `/ecs/${name}`, args.logs, { ...child, protect: args.protect });

    // --- Roles -----------------------------------------------------------------------------------------------
    const secretArns = Object.values(container.secrets ?? {}).map((secret) => secret.secretArn);
    const executionStatements: unknown[] = [
      // GetAuthorizationToken has no resource-level permissions; the pulls themselves are scoped to the repository.
      { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullServiceImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        Resource: args.image.repositoryArn,
      },
      {
        Sid: "WriteServiceLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: pulumi.interpolate`${logGroup.arn}:log-stream:*`,
      },
    ];
    if (secretArns.length > 0) {
      executionStatements.push({
        Sid: "ReadServiceSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        // Several variables may read keys of the same secret; each secret is listed once.
        Resource: pulumi.all(secretArns).apply((arns) => [...new Set(arns)].sort()),
      });
      if (args.secretsKmsKeyArn) {
        executionStatements.push({
          Sid: "DecryptServiceSecrets",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: args.secretsKmsKeyArn,
          Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
        });
      }
    }
    const executionRole = this.role(`${name}-execution`, "ecs-tasks.amazonaws.com", args.account, {
      description: `Starts the tasks of ${name}: pulls its image, writes its logs, reads its secrets`,
      statements: executionStatements,
      sourceArn: pulumi.interpolate`arn:${partition}:ecs:${region}:${accountId}:*`,
    });

    const taskRole = this.role(`${name}-task`, "ecs-tasks.amazonaws.com", args.account, {
      description: `The application of ${name}: sends traces to X-Ray${args.faultAgent ? "; registers for fault injection" : ""}`,
      statements: [
        {
          // X-Ray has no resource-level permissions for these actions.
          Sid: "SendTraces",
          Effect: "Allow",
          Action: [
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            "xray:GetSamplingStatisticSummaries",
          ],
          Resource: "*",
        },
        ...(args.faultAgent ? faultAgentTaskStatements(args.faultAgent, args.account, args.cluster.name) : []),
      ],
      sourceArn: pulumi.interpolate`arn:${partition}:ecs:${region}:${accountId}:*`,
    });

    // --- Task definition -------------------------------------------------------------------------------------
    const writablePaths = container.writablePaths ?? [];
    const volumes = writablePaths.map((containerPath) => ({ name: volumeName(containerPath), containerPath }));
    const unprivilegedUser = !/^0(:|$)/.test(container.user) && !container.user.startsWith("root");
    const logOptions = (prefix: string) => ({
      logDriver: "awslogs",
      options: {
        "awslogs-group": logGroup.name,
        "awslogs-region": region,
        "awslogs-stream-prefix": prefix,
        // A full log buffer must not block the application; up to 25 MiB is held while CloudWatch catches up.
        mode: "non-blocking",
        "max-buffer-size": "25m",
      },
    });
    const app = {
      name: CONTAINER,
      image: pulumi.interpolate`${args.image.repositoryUrl}:${args.image.tag}`,
      essential: true,
      user: container.user,
      readonlyRootFilesystem: container.readonlyRootFilesystem ?? true,
      privileged: false,
      linuxParameters: { initProcessEnabled: true, capabilities: { add: [], drop: ["ALL"] } },
      portMappings: [{ name: "http", containerPort: container.port, protocol: "tcp" }],
      environment: Object.entries({
        ...container.environment,
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${XRAY_PORT}`,
      })
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([envName, value]) => ({ name: envName, value })),
      secrets: Object.entries(container.secrets ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([envName, secret]) => ({
          name: envName,
          valueFrom: secret.jsonKey
            ? pulumi.interpolate`${secret.secretArn}:${secret.jsonKey}::`
            : pulumi.output(secret.secretArn),
        })),
      mountPoints: volumes.map((volume) => ({
        sourceVolume: volume.name,
        containerPath: volume.containerPath,
        readOnly: false,
      })),
      // A non-root process may bind a port below 1024 only if the task's network namespace allows it.
      systemControls:
        unprivilegedUser && container.port < 1024
          ? [{ namespace: "net.ipv4.ip_unprivileged_port_start", value: String(container.port) }]
          : [],
      healthCheck: {
        // busybox wget (in the alpine images) exits non-zero on any non-2xx answer.
        command: [
          "CMD-SHELL",
          `wget -q -O /dev/null http://127.0.0.1:${container.port}${container.healthCheckPath} || exit 1`,
        ],
        interval: health.intervalSeconds,
        timeout: health.timeoutSeconds,
        retries: health.unhealthyThreshold,
        startPeriod: health.gracePeriodSeconds,
      },
      stopTimeout: 30,
      logConfiguration: logOptions(CONTAINER),
    };
    const xray = {
      name: XRAY_CONTAINER,
      image: args.xrayDaemonImage ?? DEFAULT_XRAY_DAEMON_IMAGE,
      // Tracing is best effort: the daemon stopping must not stop the application.
      essential: false,
      user: "65534:65534",
      readonlyRootFilesystem: true,
      privileged: false,
      linuxParameters: { initProcessEnabled: true, capabilities: { add: [], drop: ["ALL"] } },
      cpu: 32,
      memoryReservation: 64,
      portMappings: [{ name: "xray", containerPort: XRAY_PORT, protocol: "udp" }],
      logConfiguration: logOptions(XRAY_CONTAINER),
    };
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: name,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(args.cpu),
        memory: String(args.memory),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: args.cpuArchitecture ?? "X86_64" },
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        volumes: volumes.map((volume) => ({ name: volume.name })),
        containerDefinitions: pulumi.jsonStringify([
          app,
          xray,
          ...(args.faultAgent ? [faultAgentContainer(args.faultAgent, logOptions(FAULT_AGENT_CONTAINER))] : []),
        ]),
        // Old revisions stay registered, so a previous version can always be redeployed by revision number.
        skipDestroy: true,
        tags: { Name: name },
      },
      child,
    );

    // --- Load balancing: two target groups and the rules ECS shifts between them -----------------------------
    // Target group names are at most 32 characters: explicit ones that change with every input that replaces a
    // target group (terraform-provider-aws internal/service/elbv2/target_group.go: ForceNew), so a replacement never
    // collides with the target group it replaces.
    const targetGroupShape = { targetType: "ip", protocol: "HTTP", protocolVersion: "HTTP1", ipAddressType: "ipv4" };
    const targetGroup = (color: "blue" | "green") =>
      new aws.lb.TargetGroup(
        `${name}-${color}`,
        {
          name: physicalName("aws:lb/targetGroup:TargetGroup", `${name}-${color}`, [
            args.vpcId,
            container.port,
            ...Object.values(targetGroupShape),
          ]),
          vpcId: args.vpcId,
          ...targetGroupShape,
          port: container.port,
          deregistrationDelay: 30,
          healthCheck: {
            enabled: true,
            protocol: "HTTP",
            port: "traffic-port",
            path: container.healthCheckPath,
            matcher: health.matcher,
            interval: health.intervalSeconds,
            timeout: health.timeoutSeconds,
            healthyThreshold: health.healthyThreshold,
            unhealthyThreshold: health.unhealthyThreshold,
          },
          tags: { Name: `${name}-${color}` },
        },
        child,
      );
    const blue = targetGroup("blue");
    const green = targetGroup("green");

    // ECS rewrites the weights of both rules during every deployment, so Pulumi must not put them back.
    const forwardToBlue = [
      {
        type: "forward",
        forward: {
          targetGroups: [
            { arn: blue.arn, weight: 100 },
            { arn: green.arn, weight: 0 },
          ],
        },
      },
    ];
    const testHeader = args.routing.testTraffic;
    const pathPatterns = args.routing.pathPatterns ?? ["/*"];
    const required = args.routing.requiredHeader;
    const baseConditions = [
      { pathPattern: { values: pathPatterns } },
      ...(required ? [{ httpHeader: { httpHeaderName: required.name, values: [required.value] } }] : []),
    ];
    const testRule = new aws.lb.ListenerRule(
      `${name}-test`,
      {
        listenerArn: args.routing.listenerArn,
        priority: args.routing.priority,
        conditions: [
          ...baseConditions,
          { httpHeader: { httpHeaderName: testHeader.name, values: [testHeader.value] } },
        ],
        actions: forwardToBlue,
        tags: { Name: `${name}-test` },
      },
      { ...child, ignoreChanges: ["actions"] },
    );
    const productionRule = new aws.lb.ListenerRule(
      `${name}-production`,
      {
        listenerArn: args.routing.listenerArn,
        priority: args.routing.priority + 1,
        conditions: baseConditions,
        actions: forwardToBlue,
        tags: { Name: `${name}-production` },
      },
      { ...child, ignoreChanges: ["actions"] },
    );

    // The role ECS assumes to move traffic between the target groups during a deployment.
    const infrastructureRole = new aws.iam.Role(
      `${name}-deployments`,
      {
        description: `Lets ECS shift load-balancer traffic between the target groups of ${name} during deployments`,
        permissionsBoundary: args.account.permissionsBoundaryArn,
        assumeRolePolicy: serviceTrustPolicy("ecs.amazonaws.com", accountId),
        tags: { Name: `${name}-deployments` },
      },
      child,
    );
    const infrastructurePolicy = new aws.iam.RolePolicyAttachment(
      `${name}-deployments`,
      {
        role: infrastructureRole.name,
        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers`,
      },
      child,
    );

    // --- Alarms that roll a deployment back ------------------------------------------------------------------
    const targetGroupMetric = (metricName: string, stat: string) =>
      (["blue", "green"] as const).map((color) => ({
        id: color,
        returnData: false,
        metric: {
          namespace: "AWS/ApplicationELB",
          metricName,
          stat,
          period: 60,
          dimensions: {
            LoadBalancer: args.routing.loadBalancerArnSuffix,
            TargetGroup: (color === "blue" ? blue : green).arnSuffix,
          },
        },
      }));
    const alarmActions = args.alarmActions ?? [];
    const errorsAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-target-5xx`,
      {
        alarmDescription: `${name}: targets answer with 5xx errors; rolls back a deployment in progress`,
        metricQueries: [
          ...targetGroupMetric("HTTPCode_Target_5XX_Count", "Sum"),
          {
            id: "errors",
            expression: "FILL(blue, 0) + FILL(green, 0)",
            label: "Target 5xx per minute",
            returnData: true,
          },
        ],
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: args.deployment.rollbackOn5xxPerMinute ?? 10,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: "notBreaching",
        alarmActions,
        okActions: alarmActions,
        tags: { Name: `${name}-target-5xx` },
      },
      child,
    );
    const unhealthyAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-unhealthy-targets`,
      {
        alarmDescription: `${name}: targets fail their health checks; rolls back a deployment in progress`,
        metricQueries: [
          ...targetGroupMetric("UnHealthyHostCount", "Maximum"),
          {
            id: "unhealthy",
            expression: "MAX([FILL(blue, 0), FILL(green, 0)])",
            label: "Unhealthy targets",
            returnData: true,
          },
        ],
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: "notBreaching",
        alarmActions,
        okActions: alarmActions,
        tags: { Name: `${name}-unhealthy-targets` },
      },
      child,
    );

    // --- The service -----------------------------------------------------------------------------------------
    const waitForCompletion = args.deployment.waitForCompletion ?? true;
    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: args.cluster.arn,
        taskDefinition: taskDefinition.arn,
        desiredCount: args.desiredCount,
        launchType: "FARGATE",
        platformVersion: "LATEST",
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: [args.securityGroupId],
          assignPublicIp: false,
        },
        loadBalancers: [
          {
            targetGroupArn: blue.arn,
            containerName: CONTAINER,
            containerPort: container.port,
            advancedConfiguration: {
              alternateTargetGroupArn: green.arn,
              productionListenerRule: productionRule.arn,
              testListenerRule: testRule.arn,
              roleArn: infrastructureRole.arn,
            },
          },
        ],
        healthCheckGracePeriodSeconds: health.gracePeriodSeconds,
        deploymentConfiguration: deploymentConfiguration(args.deployment),
        deploymentCircuitBreaker: { enable: true, rollback: true },
        alarms: {
          alarmNames: [errorsAlarm.name, unhealthyAlarm.name],
          enable: true,
          rollback: true,
        },
        availabilityZoneRebalancing: "ENABLED",
        enableEcsManagedTags: true,
        propagateTags: "SERVICE",
        enableExecuteCommand: false,
        waitForSteadyState: waitForCompletion,
        // Interrupting `pulumi up` mid-deployment rolls the service back instead of leaving it half-shifted.
        sigintRollback: waitForCompletion,
        tags: { Name: name },
      },
      {
        ...child,
        dependsOn: [infrastructurePolicy],
        // Auto scaling owns the task count. After each deployment ECS swaps which target group is primary; sending
        // the original pair back would undo that, so the load-balancer block is only ever set at creation.
        ignoreChanges: ["desiredCount", "loadBalancers"],
        customTimeouts: {
          create: `${args.deployment.timeoutMinutes}m`,
          update: `${args.deployment.timeoutMinutes}m`,
        },
      },
    );

    this.autoScaling(name, args, service);

    this.serviceName = service.name;
    this.taskDefinitionArn = taskDefinition.arn;
    this.taskRoleArn = taskRole.arn;
    this.taskRoleName = taskRole.name;
    this.logGroupName = logGroup.name;
    this.targetGroupArns = { blue: blue.arn, green: green.arn };
    this.targetGroupArnSuffixes = { blue: blue.arnSuffix, green: green.arnSuffix };
    this.rollbackAlarmNames = [errorsAlarm.name, unhealthyAlarm.name];
    this.rollbackAlarmArns = [errorsAlarm.arn, unhealthyAlarm.arn];
    this.registerOutputs({
      serviceName: this.serviceName,
      taskDefinitionArn: this.taskDefinitionArn,
      taskRoleArn: this.taskRoleArn,
      taskRoleName: this.taskRoleName,
      rollbackAlarmArns: this.rollbackAlarmArns,
      logGroupName: this.logGroupName,
      targetGroupArns: this.targetGroupArns,
      targetGroupArnSuffixes: this.targetGroupArnSuffixes,
      rollbackAlarmNames: this.rollbackAlarmNames,
    });
  }

  /** A role that only `service` of this account can assume, with one inline policy. */
  private role(
    name: string,
    service: string,
    account: AwsAccount,
    spec: { description: string; statements: unknown[]; sourceArn: pulumi.Input<string> },
  ): aws.iam.Role {
    const role = new aws.iam.Role(
      name,
      {
        description: spec.description,
        permissionsBoundary: account.permissionsBoundaryArn,
        assumeRolePolicy: serviceTrustPolicy(service, account.accountId, spec.sourceArn),
        tags: { Name: name },
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      name,
      { role: role.name, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: spec.statements }) },
      { parent: this },
    );
    return role;
  }

  /** CPU step scaling as the design states it, plus memory target tracking that only ever adds tasks. */
  private autoScaling(name: string, args: FargateServiceArgs, service: aws.ecs.Service): void {
    const child = { parent: this };
    const scaling = {
      scaleOutCpuPercent: 70,
      scaleOutPeriods: 2,
      scaleInCpuPercent: 30,
      scaleInPeriods: 5,
      memoryTargetPercent: 75,
      ...args.scaling,
    };
    const target = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: "ecs",
        scalableDimension: "ecs:service:DesiredCount",
        resourceId: pulumi.interpolate`service/${args.cluster.name}/${service.name}`,
        minCapacity: args.desiredCount,
        maxCapacity: args.maxCount,
        tags: { Name: `${name}-scaling` },
      },
      child,
    );
    const scalingTarget = {
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
    };

    const scaleOut = new aws.appautoscaling.Policy(
      `${name}-cpu-scale-out`,
      {
        ...scalingTarget,
        policyType: "StepScaling",
        stepScalingPolicyConfiguration: {
          adjustmentType: "PercentChangeInCapacity",
          minAdjustmentMagnitude: 1,
          metricAggregationType: "Average",
          cooldown: 60,
          // Bounds are relative to the alarm threshold: a quarter more tasks, half more when CPU is 15 points over.
          stepAdjustments: [
            { metricIntervalLowerBound: "0", metricIntervalUpperBound: "15", scalingAdjustment: 25 },
            { metricIntervalLowerBound: "15", scalingAdjustment: 50 },
          ],
        },
      },
      child,
    );
    const scaleIn = new aws.appautoscaling.Policy(
      `${name}-cpu-scale-in`,
      {
        ...scalingTarget,
        policyType: "StepScaling",
        stepScalingPolicyConfiguration: {
          adjustmentType: "ChangeInCapacity",
          metricAggregationType: "Average",
          cooldown: 300,
          stepAdjustments: [{ metricIntervalUpperBound: "0", scalingAdjustment: -1 }],
        },
      },
      child,
    );

    const cpuAlarm = (
      alarmName: string,
      spec: { operator: string; threshold: number; periods: number; action: pulumi.Input<string>; what: string },
    ) =>
      new aws.cloudwatch.MetricAlarm(
        alarmName,
        {
          alarmDescription: `${name}: ${spec.what}`,
          namespace: "AWS/ECS",
          metricName: "CPUUtilization",
          dimensions: { ClusterName: args.cluster.name, ServiceName: service.name },
          statistic: "Average",
          period: 60,
          comparisonOperator: spec.operator,
          threshold: spec.threshold,
          evaluationPeriods: spec.periods,
          datapointsToAlarm: spec.periods,
          treatMissingData: "missing",
          alarmActions: [spec.action],
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
}

/** The service's deployment configuration for the chosen strategy. */
function deploymentConfiguration(deployment: DeploymentSpec): aws.types.input.ecs.ServiceDeploymentConfiguration {
  const strategy = deployment.strategy ?? "BLUE_GREEN";
  const base = { strategy, bakeTimeInMinutes: String(deployment.bakeTimeMinutes) };
  if (strategy === "CANARY") {
    const canary = deployment.canary ?? { percent: 10, bakeMinutes: 10 };
    return {
      ...base,
      canaryConfiguration: { canaryPercent: canary.percent, canaryBakeTimeInMinutes: String(canary.bakeMinutes) },
    };
  }
  if (strategy === "LINEAR") {
    const linear = deployment.linear ?? { stepPercent: 25, stepBakeMinutes: 5 };
    return {
      ...base,
      linearConfiguration: { stepPercent: linear.stepPercent, stepBakeTimeInMinutes: String(linear.stepBakeMinutes) },
    };
  }
  return base;
}

/** A task volume name for a writable path: `/var/cache/nginx` -> `var-cache-nginx`. */
function volumeName(containerPath: string): string {
  return containerPath.replace(/^\/+|\/+$/g, "").replace(/[^A-Za-z0-9]+/g, "-") || "root";
}
