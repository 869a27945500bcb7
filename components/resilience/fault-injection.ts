import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { serviceTrustPolicy } from "../lib/service-trust";
import { SIDECAR_TAG, TASK_ARN_TAG } from "./task-fault-agent";

/** The AWS-owned SSM document FIS runs for `aws:ecs:task-cpu-stress`. */
const CPU_STRESS_DOCUMENT = "AWSFIS-Run-CPU-Stress";

/** A service whose tasks the experiments stop or stress. */
export interface ExperimentService {
  /** Short name used in template keys (`<label>-stop-tasks`, `<label>-cpu-stress`). */
  label: string;
  /** The ECS service's name (targets are this service's tasks). */
  serviceName: pulumi.Input<string>;
}

/** Arguments of {@link FaultInjection}. */
export interface FaultInjectionArgs {
  /** The account and region (ARNs, trust conditions). */
  account: AwsAccount;
  /** The RDS instance to fail over; only a Multi-AZ instance has a standby to fail over to. */
  database: { arn: pulumi.Input<string>; multiAz: boolean };
  /**
   * The Redis replication group to fail over; the AZ whose power the experiment cuts, where the primary is placed
   * (no template when unknown); and whether automatic failover is on (without it there is nothing to test).
   */
  cache: { arn: pulumi.Input<string>; primaryAvailabilityZone: string | undefined; automaticFailover: boolean };
  /** The ECS cluster (task ARNs are scoped by its name). */
  cluster: { arn: pulumi.Input<string>; name: pulumi.Input<string> };
  /** Services whose tasks are stopped (a share of them) and CPU-stressed. */
  services: ExperimentService[];
  /** Alarms that stop any experiment at once (user-facing errors). */
  stopAlarmArns: pulumi.Input<string>[];
  /** Share of each service's tasks an experiment stops. */
  stopTaskPercent: number;
  /**
   * Whether the services' tasks carry the fault-injection sidecar (`TaskFaultAgent`); CPU-stress templates exist only
   * then, since FIS runs the stress through it. @default false
   */
  taskAgent?: boolean;
  /** The CPU-stress experiments' load (%, above the scale-out threshold) and length. @default 90 % for 10 minutes */
  cpuStress?: { percent: number; minutes: number };
  /** How long the Redis failover cuts power to the primary's AZ. */
  cacheOutageMinutes: number;
}

/** One statement of the experiment role's policy. */
interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string | string[];
  Resource: pulumi.Input<string>;
  Condition?: Record<string, Record<string, pulumi.Input<string>>>;
}

interface Experiment {
  key: string;
  /** What the role needs for this experiment; statements shared by several experiments carry the same Sid. */
  permissions: Statement[];
  /** The action's target key for its resource type. */
  targetKey: "DBInstances" | "ReplicationGroups" | "Tasks";
  description: string;
  actionId: string;
  parameters: Record<string, string>;
  target: {
    resourceType: string;
    selectionMode: string;
    resourceArns?: pulumi.Input<string>[];
    parameters?: Record<string, pulumi.Input<string>>;
  };
}

/**
 * AWS Fault Injection Service experiment templates that prove the design's resilience claims: a Multi-AZ database
 * failover, a Redis primary failover, losing a share of each service's tasks, and CPU stress that auto scaling must
 * absorb. Each stops at once when a user-facing alarm fires, and runs with a role that can touch this stack's
 * resources only. `docs/resilience.md` says when to run each and what "passed" means.
 */
export class FaultInjection extends pulumi.ComponentResource {
  /** Template ids by experiment (`aws fis start-experiment --experiment-template-id <id>`). */
  public readonly templateIds: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: FaultInjectionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:resilience:FaultInjection", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const region = regionOf(this);
    const tasks = pulumi.interpolate`arn:${partition}:ecs:${region}:${accountId}:task/${args.cluster.name}/*`;

    const stopPercent = args.stopTaskPercent;
    const cpuStress = args.cpuStress ?? { percent: 90, minutes: 10 };
    const outageMinutes = args.cacheOutageMinutes;
    const tasksOf = (service: ExperimentService) => ({
      resourceType: "aws:ecs:task",
      parameters: { cluster: args.cluster.name, service: service.serviceName },
    });
    const listTasks: Statement = {
      // Listing has no resource-level permissions beyond the cluster.
      Sid: "FindTasks",
      Effect: "Allow",
      Action: "ecs:ListTasks",
      Resource: "*",
      Condition: { ArnEquals: { "ecs:cluster": args.cluster.arn } },
    };
    const stopTasks: Statement[] = [
      listTasks,
      { Sid: "StopTasks", Effect: "Allow", Action: ["ecs:StopTask", "ecs:DescribeTasks"], Resource: tasks },
    ];
    const stressTasks: Statement[] = [
      listTasks,
      { Sid: "DescribeTasks", Effect: "Allow", Action: "ecs:DescribeTasks", Resource: tasks },
      {
        Sid: "RunTheCpuStressDocument",
        Effect: "Allow",
        Action: "ssm:SendCommand",
        Resource: pulumi.interpolate`arn:${partition}:ssm:${region}::document/${CPU_STRESS_DOCUMENT}`,
      },
      {
        // ...only on the managed instances this cluster's tasks registered (their sidecars tag them).
        Sid: "OnThisClustersTasks",
        Effect: "Allow",
        Action: "ssm:SendCommand",
        Resource: pulumi.interpolate`arn:${partition}:ssm:${region}:${accountId}:managed-instance/*`,
        Condition: {
          StringLike: { [`ssm:resourceTag/${TASK_ARN_TAG}`]: tasks },
          StringEquals: { [`ssm:resourceTag/${SIDECAR_TAG}`]: "true" },
        },
      },
      {
        // Following and cancelling commands has no resource-level permissions.
        Sid: "FollowCommands",
        Effect: "Allow",
        Action: ["ssm:ListCommands", "ssm:CancelCommand"],
        Resource: "*",
      },
    ];

    // Templates exist only where they can run, and the role may do only what its templates do.
    const experiments: Experiment[] = [];
    if (args.database.multiAz) {
      experiments.push({
        key: "database-failover",
        description: "Reboot the RDS instance with failover: the standby takes over; the app reconnects",
        actionId: "aws:rds:reboot-db-instances",
        targetKey: "DBInstances",
        parameters: { forceFailover: "true" },
        target: { resourceType: "aws:rds:db", selectionMode: "ALL", resourceArns: [args.database.arn] },
        permissions: [
          {
            Sid: "FailOverTheDatabase",
            Effect: "Allow",
            Action: ["rds:RebootDBInstance", "rds:DescribeDBInstances"],
            Resource: args.database.arn,
          },
        ],
      });
    }
    const primaryAz = args.cache.primaryAvailabilityZone;
    if (args.cache.automaticFailover && !primaryAz) {
      void pulumi.log.warn(`${name}: no cache-failover template: the Redis primary's AZ is not pinned`, this);
    }
    if (args.cache.automaticFailover && primaryAz) {
      experiments.push({
        key: "cache-failover",
        description: `Cut power to the Redis primary's AZ for ${outageMinutes} minutes: a replica is promoted`,
        actionId: "aws:elasticache:replicationgroup-interrupt-az-power",
        targetKey: "ReplicationGroups",
        parameters: { duration: `PT${outageMinutes}M` },
        target: {
          resourceType: "aws:elasticache:replicationgroup",
          selectionMode: "ALL",
          resourceArns: [args.cache.arn],
          parameters: { availabilityZoneIdentifier: primaryAz },
        },
        permissions: [
          {
            Sid: "FailOverTheCache",
            Effect: "Allow",
            Action: ["elasticache:InterruptClusterAzPower", "elasticache:DescribeReplicationGroups"],
            Resource: args.cache.arn,
          },
          {
            // FIS resolves replication-group targets through the tagging API, which has no resource scope.
            Sid: "ResolveCacheTargets",
            Effect: "Allow",
            Action: "tag:GetResources",
            Resource: "*",
          },
        ],
      });
    }
    for (const service of args.services) {
      experiments.push({
        key: `${service.label}-stop-tasks`,
        description: `Stop ${stopPercent}% of the ${service.label} tasks: ECS replaces them, users see no errors`,
        actionId: "aws:ecs:stop-task",
        targetKey: "Tasks",
        parameters: {},
        target: { ...tasksOf(service), selectionMode: `PERCENT(${stopPercent})` },
        permissions: stopTasks,
      });
      if (args.taskAgent) {
        experiments.push({
          key: `${service.label}-cpu-stress`,
          description: `Hold the ${service.label} tasks' CPU at ${cpuStress.percent}% for ${cpuStress.minutes} minutes: auto scaling adds tasks`,
          actionId: "aws:ecs:task-cpu-stress",
          targetKey: "Tasks",
          parameters: { duration: `PT${cpuStress.minutes}M`, percent: String(cpuStress.percent) },
          target: { ...tasksOf(service), selectionMode: "ALL" },
          permissions: stressTasks,
        });
      }
    }

    const statements = new Map(experiments.flatMap((experiment) => experiment.permissions).map((s) => [s.Sid, s]));
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        permissionsBoundary: args.account.permissionsBoundaryArn,
        description: `AWS FIS runs the experiments of ${name} against this stack's resources only`,
        assumeRolePolicy: serviceTrustPolicy(
          "fis.amazonaws.com",
          accountId,
          pulumi.interpolate`arn:${partition}:fis:${region}:${accountId}:experiment/*`,
        ),
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-role`,
      {
        role: role.name,
        policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [...statements.values()] }),
      },
      child,
    );

    const stopConditions = args.stopAlarmArns.map((value) => ({ source: "aws:cloudwatch:alarm", value }));
    this.templateIds = {};
    for (const experiment of experiments) {
      const template = new aws.fis.ExperimentTemplate(
        `${name}-${experiment.key}`,
        {
          description: experiment.description,
          roleArn: role.arn,
          stopConditions,
          actions: [
            {
              name: experiment.key,
              actionId: experiment.actionId,
              parameters: Object.entries(experiment.parameters).map(([key, value]) => ({ key, value })),
              target: { key: experiment.targetKey, value: "targets" },
            },
          ],
          targets: [{ name: "targets", ...experiment.target }],
          tags: { Name: `${name}-${experiment.key}` },
        },
        child,
      );
      this.templateIds[experiment.key] = template.id;
    }
    this.registerOutputs({ templateIds: this.templateIds });
  }
}
