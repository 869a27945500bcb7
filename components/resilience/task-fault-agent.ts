import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { serviceTrustPolicy } from "../lib/service-trust";
import type { SidecarSpec, TaskPermissions } from "../compute/fargate-service";

/** The SSM agent image the fault-injection sidecar runs, pinned to a release. */
export const DEFAULT_FAULT_AGENT_IMAGE = "public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:3.3.1142.0";

/** The sidecar's container name; the policy pack's `ecs-task-hardening` exception names it. */
export const FAULT_AGENT_CONTAINER = "fault-agent";

/** The tag FIS resolves `aws:ecs:task` targets by, and the tag that marks a managed instance as this sidecar. */
export const TASK_ARN_TAG = "ECS_TASK_ARN";
export const SIDECAR_TAG = "FAULT_INJECTION_SIDECAR";

/**
 * The sidecar's entry point. It registers the task as an SSM managed instance tagged with the task's ARN (how FIS
 * finds the task), runs the agent, and on stop deregisters the managed instance again. The activation admits one
 * registration and expires within the hour, so nothing needs to delete it (and no role may delete activations).
 * The agent installs `stress-ng` itself when an experiment first needs it (the FIS documents' `InstallDependencies`).
 */
export const FAULT_AGENT_SCRIPT = `set -euo pipefail
dnf install -y --setopt=install_weak_deps=False jq awscli >/dev/null
: "\${MANAGED_INSTANCE_ROLE_NAME:?must name the managed-instance role}"
task=$(curl -fsS "\${ECS_CONTAINER_METADATA_URI_V4:?not running in an ECS task}/task")
task_arn=$(jq -er .TaskARN <<<"$task")
region=$(cut -d: -f4 <<<"$task_arn")
activation=$(aws ssm create-activation --region "$region" --iam-role "$MANAGED_INSTANCE_ROLE_NAME" \\
  --description "fault injection: $task_arn" --registration-limit 1 \\
  --expiration-date "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" \\
  --tags "Key=${TASK_ARN_TAG},Value=$task_arn" "Key=${SIDECAR_TAG},Value=true")
activation_id=$(jq -er .ActivationId <<<"$activation")
amazon-ssm-agent -register -region "$region" -id "$activation_id" -code "$(jq -er .ActivationCode <<<"$activation")"
cleanup() {
  instance_id=$(jq -r .ManagedInstanceID /var/lib/amazon/ssm/registration 2>/dev/null || true)
  [ -n "$instance_id" ] && aws ssm deregister-managed-instance --region "$region" --instance-id "$instance_id" || true
  kill -TERM "$agent" 2>/dev/null || true
}
trap cleanup TERM INT
amazon-ssm-agent &
agent=$!
wait "$agent"
`;

/**
 * The sidecar container that lets FIS run `aws:ecs:task-*` actions (CPU stress) inside a task. It is not essential
 * (it stopping never stops the application), runs as root with a writable root filesystem because the agent
 * registers itself and installs the stress tool there, and adds no capabilities.
 */
function faultAgentDefinition(image: string, managedInstanceRoleName: pulumi.Input<string>): Record<string, unknown> {
  return {
    image,
    essential: false,
    user: "0",
    readonlyRootFilesystem: false,
    privileged: false,
    linuxParameters: { initProcessEnabled: true, capabilities: { add: [], drop: [] } },
    cpu: 32,
    memoryReservation: 128,
    entryPoint: ["/bin/bash", "-c"],
    command: [FAULT_AGENT_SCRIPT],
    environment: [{ name: "MANAGED_INSTANCE_ROLE_NAME", value: managedInstanceRoleName }],
    stopTimeout: 30,
  };
}

/**
 * The task-role statements the sidecar needs: create its activation and tag what it registers — only with the
 * sidecar's two tags, naming a task of this cluster, on a managed instance no task has claimed yet — and deregister
 * this cluster's sidecars only. Tag conditions as AWS Systems Manager evaluates them
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html): `aws:RequestTag`
 * and `aws:TagKeys` on CreateActivation and AddTagsToResource, `aws:ResourceTag` on managed instances.
 */
function faultAgentTaskStatements(
  managedInstanceRoleArn: pulumi.Input<string>,
  account: AwsAccount,
  region: pulumi.Input<string>,
  clusterName: pulumi.Input<string>,
): unknown[] {
  const { accountId, partition } = account;
  const managedInstances = pulumi.interpolate`arn:${partition}:ssm:${region}:${accountId}:managed-instance/*`;
  const clusterTasks = pulumi.interpolate`arn:${partition}:ecs:${region}:${accountId}:task/${clusterName}/*`;
  const sidecarTags = {
    StringEquals: { [`aws:RequestTag/${SIDECAR_TAG}`]: "true" },
    StringLike: { [`aws:RequestTag/${TASK_ARN_TAG}`]: clusterTasks },
    "ForAllValues:StringEquals": { "aws:TagKeys": [TASK_ARN_TAG, SIDECAR_TAG] },
  };
  return [
    {
      // CreateActivation has no resource-level permissions: its tags are what can be scoped.
      Sid: "RegisterForFaultInjection",
      Effect: "Allow",
      Action: "ssm:CreateActivation",
      Resource: "*",
      Condition: sidecarTags,
    },
    {
      // Tags reach the managed instance the task registers; an instance another task already claimed (tagged with its
      // ARN) can never be retagged, so no task can make FIS target another's sidecar.
      Sid: "TagOwnManagedInstance",
      Effect: "Allow",
      Action: "ssm:AddTagsToResource",
      Resource: managedInstances,
      Condition: { ...sidecarTags, Null: { [`aws:ResourceTag/${TASK_ARN_TAG}`]: "true" } },
    },
    {
      // On stop the sidecar removes its managed instance: only this cluster's sidecars can be removed.
      Sid: "DeregisterThisClustersSidecars",
      Effect: "Allow",
      Action: "ssm:DeregisterManagedInstance",
      Resource: managedInstances,
      Condition: {
        StringEquals: { [`aws:ResourceTag/${SIDECAR_TAG}`]: "true" },
        StringLike: { [`aws:ResourceTag/${TASK_ARN_TAG}`]: clusterTasks },
      },
    },
    {
      Sid: "PassManagedInstanceRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: managedInstanceRoleArn,
      Condition: { StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } },
    },
  ];
}

/** Arguments of {@link TaskFaultAgent}. */
export interface TaskFaultAgentArgs {
  /** The account (trust conditions, ARNs). */
  account: AwsAccount;
  /** The SSM agent image the sidecars run. @default {@link DEFAULT_FAULT_AGENT_IMAGE} */
  image?: string;
}

/**
 * The managed-instance role that tasks carrying the fault-injection sidecar register with Systems Manager under, so
 * FIS can run CPU stress inside them. A `FargateService` carries it as one of its `sidecars` ({@link sidecar}), with
 * the task-role permissions the sidecar needs ({@link taskPermissions}).
 */
export class TaskFaultAgent extends pulumi.ComponentResource {
  /** The sidecar container, for a `FargateService`'s `sidecars`. */
  public readonly sidecar: SidecarSpec;
  /** The managed-instance role's ARN. */
  public readonly roleArn: pulumi.Output<string>;
  private readonly account: AwsAccount;

  constructor(name: string, args: TaskFaultAgentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:resilience:TaskFaultAgent", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;

    const role = new aws.iam.Role(
      `${name}-managed-instance`,
      {
        permissionsBoundary: args.account.permissionsBoundaryArn,
        description: `Tasks carrying the fault-injection sidecar (${name}) run SSM documents under this role`,
        assumeRolePolicy: serviceTrustPolicy(
          "ssm.amazonaws.com",
          accountId,
          pulumi.interpolate`arn:${partition}:ssm:${regionOf(this)}:${accountId}:*`,
        ),
      },
      child,
    );
    // Nothing else: the sidecar deregisters with the task role, scoped to this cluster's sidecars, and the
    // activation expires by itself.
    new aws.iam.RolePolicyAttachment(
      `${name}-managed-instance-core`,
      { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore` },
      child,
    );

    this.account = args.account;
    this.roleArn = role.arn;
    this.sidecar = {
      name: FAULT_AGENT_CONTAINER,
      definition: faultAgentDefinition(args.image ?? DEFAULT_FAULT_AGENT_IMAGE, role.name),
    };
    this.registerOutputs({ roleArn: this.roleArn });
  }

  /**
   * What the task role of a service carrying the sidecar must be granted, scoped to the tasks of `clusterName`
   * (a `FargateService`'s `taskPermissions`).
   */
  public taskPermissions(clusterName: pulumi.Input<string>): TaskPermissions {
    return {
      purpose: "registers for fault injection",
      statements: faultAgentTaskStatements(this.roleArn, this.account, regionOf(this), clusterName),
    };
  }
}
