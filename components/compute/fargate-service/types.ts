import type * as aws from "../../lib/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../../lib/aws-account";
import type { LogDestination } from "../../lib/log-group";
import type { Transform } from "../../lib/transform";

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

/**
 * A container that runs next to the application in every task (an agent, a proxy). The service adds its log
 * configuration (the service's log group, the container's name as stream prefix); everything else is the caller's.
 */
export interface SidecarSpec {
  /** The container's name: unique in the task, and its log stream prefix. */
  name: string;
  /** The rest of its ECS container definition (image, user, resources, command …), as ECS takes it. */
  definition: Record<string, unknown>;
}

/** More the application's task role may do, and why: the reason is added to the role's description. */
export interface TaskPermissions {
  /** What the permissions are for, as a phrase ("registers for fault injection"). */
  purpose: string;
  /** IAM policy statements added to the task role's inline policy. */
  statements: unknown[];
}

/** Where the service's traffic comes from and how blue/green deployments shift it. */
export interface RoutingSpec {
  /** The HTTPS listener the service's rules are added to. */
  listenerArn: pulumi.Input<string>;
  /** The load balancer's ARN suffix, the `LoadBalancer` dimension of target-group metrics. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** Priority of the test-traffic rule; the production rule gets the next one. Unique per listener. */
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
   * adds to origin requests, so nothing that bypasses the CDN and its WAF is served. `rotated`: a rotation function
   * in this stack owns the rules' value after the first (Pulumi ignores it); otherwise every deployment sets
   * `value` (a standby, which reads the primary's replicated value, ADR 24).
   * @default none
   */
  requiredHeader?: { name: string; value: pulumi.Input<string>; rotated: boolean };
}

/** The health checks of the target groups (ALB) and of the container (ECS). Defaults: {@link DESIGN_HEALTH_CHECK}. */
export interface HealthCheckSpec {
  /** Seconds between checks. */
  intervalSeconds?: number;
  /** Consecutive successes before a target counts as healthy. */
  healthyThreshold?: number;
  /** Consecutive failures before a target counts as unhealthy. */
  unhealthyThreshold?: number;
  /** Seconds to wait for an answer. */
  timeoutSeconds?: number;
  /** HTTP status codes that count as healthy. */
  matcher?: string;
  /** Seconds after a task starts during which failed checks do not count. */
  gracePeriodSeconds?: number;
}

/** The design's health checks (seed: "30 s interval, 3 healthy / 2 unhealthy, HTTP 200"). */
export const DESIGN_HEALTH_CHECK: Required<HealthCheckSpec> = {
  intervalSeconds: 30,
  healthyThreshold: 3,
  unhealthyThreshold: 2,
  timeoutSeconds: 5,
  matcher: "200",
  gracePeriodSeconds: 60,
};

/**
 * CPU step scaling (the design's policy) plus memory target tracking. The stack's `cloudweave:scaling` settings
 * (config/schema.ts) describe each field and own its default.
 */
export interface ScalingSpec {
  /** Average CPU (%) above which tasks are added. */
  scaleOutCpuPercent: number;
  /** Consecutive one-minute periods above `scaleOutCpuPercent` before scaling out. */
  scaleOutPeriods: number;
  /** Average CPU (%) below which a task is removed. */
  scaleInCpuPercent: number;
  /** Consecutive one-minute periods below `scaleInCpuPercent` before scaling in. */
  scaleInPeriods: number;
  /**
   * Average memory (%) a target-tracking policy keeps the service under by adding tasks. It never removes tasks:
   * scaling in stays with the CPU policy, so the two cannot fight.
   */
  memoryTargetPercent: number;
}

/**
 * How a new task definition is rolled out. The stack's `cloudweave:deployment` settings (config/schema.ts) describe
 * each field and own its default.
 */
export interface DeploymentSpec {
  /**
   * `BLUE_GREEN` moves all traffic after the test stage; `CANARY` moves `canary.percent` first and the rest after
   * `canary.bakeMinutes`; `LINEAR` moves `linear.stepPercent` every `linear.stepBakeMinutes`. All keep the old tasks
   * for `bakeTimeMinutes` and roll back on the alarms.
   */
  strategy: "BLUE_GREEN" | "CANARY" | "LINEAR";
  /** CANARY settings. */
  canary: { percent: number; bakeMinutes: number };
  /** LINEAR settings. */
  linear: { stepPercent: number; stepBakeMinutes: number };
  /** Minutes the old (blue) tasks stay up after traffic moved, ready for an instant rollback (0-1440). */
  bakeTimeMinutes: number;
  /** Target 5xx responses per minute, two minutes running, that make ECS roll a deployment back. */
  rollbackOn5xxPerMinute: number;
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

/** The escape hatch for the service's main children (see {@link Transform}). */
export interface FargateServiceTransforms {
  /** The ECS task definition. */
  taskDefinition?: Transform<aws.ecs.TaskDefinitionArgs>;
  /** The ECS service. */
  service?: Transform<aws.ecs.ServiceArgs>;
  /** Both target groups (blue and green). */
  targetGroup?: Transform<aws.lb.TargetGroupArgs>;
  /** Both listener rules (test and production). */
  listenerRule?: Transform<aws.lb.ListenerRuleArgs>;
}

/** Arguments of {@link FargateService}. */
export interface FargateServiceArgs {
  /** The account (trust conditions, ARNs); the region is the provider's. */
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
  /**
   * ARN of the KMS key that encrypts the secrets in `container.secrets`; the execution role may decrypt with it
   * through Secrets Manager only. @default none
   */
  secretsKmsKeyArn?: pulumi.Input<string>;
  /** The service's log group: the stack's logs key and retention. */
  logs: LogDestination;
  /** Listener, rule priority and test-traffic header. */
  routing: RoutingSpec;
  /**
   * ECS deployment lifecycle hooks: what runs at the stages of each deployment and may roll it back (a
   * ReleaseChecks component's `hooksFor`). @default none
   */
  lifecycleHooks?: aws.types.input.ecs.ServiceDeploymentConfigurationLifecycleHook[];
  /** Health checks, each field defaulting to {@link DESIGN_HEALTH_CHECK}'s. */
  healthCheck?: HealthCheckSpec;
  /** Auto scaling between `desiredCount` and `maxCount`. */
  scaling: ScalingSpec;
  /**
   * What the task count waits for: auto scaling's range (and so the first tasks) is set only once these exist — the
   * data stores the service connects to, so a standby being recovered starts its tasks against a promoted database
   * and a created cache rather than restarting them until both are ready (ADR 24).
   * @default nothing
   */
  startAfter?: pulumi.Resource[];
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
  /** More containers in every task, after the application and the X-Ray daemon. @default [] */
  sidecars?: SidecarSpec[];
  /** More the task role may do (e.g. what a sidecar needs), each with its purpose. @default [] */
  taskPermissions?: TaskPermissions[];
  /** Edits to the arguments of the service's main children. @default none */
  transform?: FargateServiceTransforms;
}

/** The X-Ray daemon image the tracing sidecar runs, pinned to a release. */
export const DEFAULT_XRAY_DAEMON_IMAGE = "public.ecr.aws/xray/aws-xray-daemon:3.3.14";
