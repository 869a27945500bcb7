import * as aws from "../components/lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, type StackConfig } from "../config";
import type { AwsAccount } from "../components/lib/aws-account";
import { permissionsBoundaryName, STACK_TAG } from "../components/lib/delivery";
import type { LogDestination } from "../components/lib/log-group";

/** What every tier's builder shares: the validated settings and the facts derived from them once. */
export interface StackContext {
  /** The stack's validated settings. */
  readonly config: StackConfig;
  /** Prefix of every component name: `cloudweave-<environment>`. */
  readonly prefix: string;
  /** Protects stateful resources from deletion (`cloudweave:deletionProtection`). */
  readonly protect: boolean;
  /** The account the stack deploys into, with the permissions boundary every role carries. */
  readonly account: AwsAccount;
  /** The stack's part in regional disaster recovery (`cloudweave:disasterRecovery`, ADR 24). */
  readonly recovery: RecoveryPart;
}

/**
 * What a stack is in regional recovery: alone; the primary, whose standby lives in `standbyRegion`; or the standby
 * (pilot light) of the primary in `primaryRegion`, `recovered` once it serves.
 */
export type RecoveryPart =
  | { readonly role: "none" }
  | { readonly role: "primary"; readonly standbyRegion: string }
  | { readonly role: "standby"; readonly primaryRegion: string; readonly recovered: boolean };

/** Whether the stack runs its services and data stores: every stack but a standby not yet recovered. */
export function serving(ctx: StackContext): boolean {
  return ctx.recovery.role !== "standby" || ctx.recovery.recovered;
}

/** The prefix of the names of every component of an environment's stacks: `cloudweave-<environment>`. */
export function stackPrefix(environment: string): string {
  return `cloudweave-${environment}`;
}

/**
 * The context of a stack, from its validated settings. Checks the one setting the schema cannot: the Stack tag names
 * the stack being deployed (its budget counts the costs tagged with it), before any resource is declared.
 */
export function stackContext(config: StackConfig): StackContext {
  const stack = pulumi.getStack();
  const stackTag = config.defaultTags[STACK_TAG];
  if (stackTag !== stack) {
    throw new ConfigError([
      `aws:defaultTags.tags.${STACK_TAG} = ${JSON.stringify(stackTag)}: must be this stack's name, ${stack} (the budget counts the costs tagged with it)`,
    ]);
  }
  // The provider refuses credentials of another account than the stack file names, so the stack's account is known.
  const partition = aws.getPartitionOutput().partition;
  return {
    config,
    prefix: stackPrefix(config.environment),
    protect: config.deletionProtection,
    recovery: recoveryPart(config),
    account: {
      accountId: config.accountId,
      partition,
      // Created by the bootstrap program; the deploy role can create roles only with it.
      permissionsBoundaryArn: pulumi.interpolate`arn:${partition}:iam::${config.accountId}:policy/${permissionsBoundaryName(config.environment)}`,
    },
  };
}

/** Where services write their logs: the stack's logs key and retention. */
export function serviceLogs(ctx: StackContext, logsKeyArn: pulumi.Input<string>): LogDestination {
  return { kmsKeyArn: logsKeyArn, retentionInDays: ctx.config.logs.retentionInDays };
}

/** The stack's own CloudWatch namespace for metrics derived from its logs. */
export function metricNamespace(ctx: StackContext): string {
  return `CloudWeave/${ctx.config.environment}`;
}

function recoveryPart(config: StackConfig): RecoveryPart {
  const part = config.disasterRecovery;
  if (!part) return { role: "none" };
  if (part.role === "primary") return { role: "primary", standbyRegion: config.backup.drRegion };
  return { role: "standby", primaryRegion: part.primaryRegion, recovered: part.state === "recovered" };
}
