import * as aws from "../../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf } from "../../lib/aws-account";
import { encryptedLogGroup } from "../../lib/log-group";
import { applyTransform } from "../../lib/transform";
import { deploymentConfiguration, deploymentRole, listenerRules, rollbackAlarms, targetGroups } from "./blue-green";
import { SEND_TRACES_STATEMENT, executionStatements, taskRole } from "./roles";
import { autoScaling } from "./scaling";
import { APP_CONTAINER, XRAY_CONTAINER, appContainer, logOptions, volumeName, xrayContainer } from "./task-definition";
import { DEFAULT_XRAY_DAEMON_IMAGE, DESIGN_HEALTH_CHECK, type FargateServiceArgs } from "./types";

export * from "./types";
export { CPU_STEP_POLICIES, ecsServiceResourceId } from "./scaling";
export { deploymentConfiguration } from "./blue-green";

/**
 * One containerised service on Fargate behind an Application Load Balancer, deployed blue/green by ECS itself:
 * task definition (app + X-Ray sidecar + the caller's sidecars, read-only root, non-root, secrets from Secrets
 * Manager), least-privilege execution and task roles, an encrypted log group, two target groups with the design's
 * health checks, production and test listener rules, alarms that roll a bad deployment back, and CPU/memory auto
 * scaling. Its parts live next to this file: `roles.ts`, `task-definition.ts`, `blue-green.ts`, `scaling.ts`.
 */
export class FargateService extends pulumi.ComponentResource {
  /** The ECS service's name. */
  public readonly serviceName: pulumi.Output<string>;
  /** The task definition's ARN (the revision this update deploys). */
  public readonly taskDefinitionArn: pulumi.Output<string>;
  /** The task role's ARN: what the application itself may do in AWS. */
  public readonly taskRoleArn: pulumi.Output<string>;
  /** The task role's name: components grant the application access to what they own through it (`grantRead`). */
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
  /** The ECS service itself. */
  public readonly service: aws.ecs.Service;
  /** The listener rules ECS shifts: production traffic, and the release checks' test traffic. */
  public readonly listenerRuleArns: { production: pulumi.Output<string>; test: pulumi.Output<string> };
  /** The task definition. */
  public readonly taskDefinition: aws.ecs.TaskDefinition;
  /** The application's task role. */
  public readonly taskRole: aws.iam.Role;

  constructor(name: string, args: FargateServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:compute:FargateService", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const region = regionOf(this);
    const container = args.container;
    const health = { ...DESIGN_HEALTH_CHECK, ...args.healthCheck };
    const transform = args.transform ?? {};

    const logGroup = encryptedLogGroup(`${name}-logs`, `/ecs/${name}`, args.logs, { ...child, protect: args.protect });
    const logsFor = (streamPrefix: string) => logOptions(logGroup.name, region, streamPrefix);

    // --- Roles: the execution role starts the tasks, the task role is the application's -----------------------
    const tasksOfThisAccount = pulumi.interpolate`arn:${partition}:ecs:${region}:${accountId}:*`;
    const executionRole = taskRole(this, `${name}-execution`, args.account, {
      description: `Starts the tasks of ${name}: pulls its image, writes its logs, reads its secrets`,
      statements: executionStatements({
        repositoryArn: args.image.repositoryArn,
        logGroupArn: logGroup.arn,
        secretArns: Object.values(container.secrets ?? {}).map((secret) => secret.secretArn),
        secretsKmsKeyArn: args.secretsKmsKeyArn,
        region,
      }),
      sourceArn: tasksOfThisAccount,
    });
    const extraPermissions = args.taskPermissions ?? [];
    const applicationRole = taskRole(this, `${name}-task`, args.account, {
      description: [
        `The application of ${name}: sends traces to X-Ray`,
        ...extraPermissions.map((p) => p.purpose),
      ].join("; "),
      statements: [SEND_TRACES_STATEMENT, ...extraPermissions.flatMap((permissions) => permissions.statements)],
      sourceArn: tasksOfThisAccount,
    });

    // --- Task definition -------------------------------------------------------------------------------------
    const image = pulumi.interpolate`${args.image.repositoryUrl}:${args.image.tag}`;
    const taskDefinition = new aws.ecs.TaskDefinition(
      ...applyTransform(
        `${name}-task`,
        {
          family: name,
          requiresCompatibilities: ["FARGATE"],
          networkMode: "awsvpc",
          cpu: String(args.cpu),
          memory: String(args.memory),
          runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: args.cpuArchitecture ?? "X86_64" },
          executionRoleArn: executionRole.arn,
          taskRoleArn: applicationRole.arn,
          volumes: (container.writablePaths ?? []).map((path) => ({ name: volumeName(path) })),
          containerDefinitions: pulumi.jsonStringify([
            appContainer(container, image, health, logsFor(APP_CONTAINER)),
            xrayContainer(args.xrayDaemonImage ?? DEFAULT_XRAY_DAEMON_IMAGE, logsFor(XRAY_CONTAINER)),
            ...(args.sidecars ?? []).map((sidecar) => ({
              name: sidecar.name,
              ...sidecar.definition,
              logConfiguration: logsFor(sidecar.name),
            })),
          ]),
          // Old revisions stay registered, so a previous version can always be redeployed by revision number.
          skipDestroy: true,
          tags: { Name: name },
        },
        child,
        transform.taskDefinition,
      ),
    );

    // --- Blue/green: two target groups, the rules ECS shifts between them, its role, the rollback alarms -------
    const groups = targetGroups(
      this,
      name,
      { vpcId: args.vpcId, port: container.port, healthCheckPath: container.healthCheckPath, health },
      transform.targetGroup,
    );
    const rules = listenerRules(this, name, args.routing, groups, transform.listenerRule);
    const deployments = deploymentRole(this, name, args.account);
    const [errorsAlarm, unhealthyAlarm] = rollbackAlarms(this, name, {
      loadBalancerArnSuffix: args.routing.loadBalancerArnSuffix,
      groups,
      errorsPerMinute: args.deployment.rollbackOn5xxPerMinute,
      actions: args.alarmActions ?? [],
    });

    // --- The service -----------------------------------------------------------------------------------------
    const waitForCompletion = args.deployment.waitForCompletion ?? true;
    const service = new aws.ecs.Service(
      ...applyTransform(
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
              targetGroupArn: groups.blue.arn,
              containerName: APP_CONTAINER,
              containerPort: container.port,
              advancedConfiguration: {
                alternateTargetGroupArn: groups.green.arn,
                productionListenerRule: rules.production.arn,
                testListenerRule: rules.test.arn,
                roleArn: deployments.role.arn,
              },
            },
          ],
          healthCheckGracePeriodSeconds: health.gracePeriodSeconds,
          deploymentConfiguration: deploymentConfiguration(args.deployment, args.lifecycleHooks),
          deploymentCircuitBreaker: { enable: true, rollback: true },
          alarms: { alarmNames: [errorsAlarm.name, unhealthyAlarm.name], enable: true, rollback: true },
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
          dependsOn: [deployments.policy],
          // Auto scaling owns the task count. After each deployment ECS swaps which target group is primary;
          // sending the original pair back would undo that, so the load-balancer block is only set at creation.
          ignoreChanges: ["desiredCount", "loadBalancers"],
          customTimeouts: {
            create: `${args.deployment.timeoutMinutes}m`,
            update: `${args.deployment.timeoutMinutes}m`,
          },
        },
        transform.service,
      ),
    );

    autoScaling(this, name, {
      clusterName: args.cluster.name,
      serviceName: service.name,
      minCapacity: args.desiredCount,
      maxCapacity: args.maxCount,
      scaling: args.scaling,
      dependsOn: args.startAfter ?? [],
    });

    this.service = service;
    this.listenerRuleArns = { production: rules.production.arn, test: rules.test.arn };
    this.taskDefinition = taskDefinition;
    this.taskRole = applicationRole;
    this.serviceName = service.name;
    this.taskDefinitionArn = taskDefinition.arn;
    this.taskRoleArn = applicationRole.arn;
    this.taskRoleName = applicationRole.name;
    this.logGroupName = logGroup.name;
    this.targetGroupArns = { blue: groups.blue.arn, green: groups.green.arn };
    this.targetGroupArnSuffixes = { blue: groups.blue.arnSuffix, green: groups.green.arnSuffix };
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
      listenerRuleArns: this.listenerRuleArns,
    });
  }
}
