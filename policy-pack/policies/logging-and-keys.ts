/** Logs kept long enough, flow logs on every VPC, secrets rotated, key policies without open doors. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  TOKENS,
  configNumber,
  num,
  ofKind,
  record,
  referenced,
  resourcePolicy,
  rotationFunctions,
  type Props,
  stackPolicy,
  statementsOf,
  str,
  strings,
} from "./support";

/** A year of logs unless a stack's pack config says otherwise. */
const MIN_LOG_RETENTION_DAYS = 365;

export const logRetention = resourcePolicy({
  name: "log-group-retention",
  description: "CloudWatch log groups expire, after at least the configured number of days.",
  anchors: { checkov: ["CKV_AWS_66", "CKV_AWS_338"], fsbp: ["CloudWatch.16"] },
  severity: "low",
  remediation: "Set retentionInDays (cloudweave:logs.retentionInDays, cloudweave:vpc.flowLogs.retentionInDays).",
  configSchema: { properties: { minimumDays: { type: "number", default: MIN_LOG_RETENTION_DAYS } } },
  types: TOKENS.logGroup,
  validate: (props, args, report) => {
    const minimum = configNumber(args, "minimumDays", MIN_LOG_RETENTION_DAYS);
    const days = num(props, "retentionInDays");
    if (days === undefined || days === 0) report("retentionInDays must be set: logs kept forever cost forever.");
    else if (days < minimum) report(`retentionInDays is ${days}; keep at least ${minimum} days.`);
  },
});

export const vpcFlowLogs: StackValidationPolicy = stackPolicy({
  name: "vpc-flow-logs",
  description: "Every VPC records its traffic with flow logs.",
  anchors: { checkov: ["CKV2_AWS_11"], trivy: ["AVD-AWS-0178"], fsbp: ["EC2.6"] },
  severity: "medium",
  remediation: "Add an aws.ec2.FlowLog for the VPC (the Network component does).",
  validate: (resources, _args, report) => {
    const flowLogs = ofKind(resources, TOKENS.flowLog);
    for (const vpc of ofKind(resources, TOKENS.vpc)) {
      const logged = flowLogs.some((flowLog) => referenced(flowLog, "vpcId").some((target) => target.urn === vpc.urn));
      if (!logged) report(`VPC ${vpc.name} has no flow logs.`, vpc.urn);
    }
  },
});

/**
 * The longest rotation period allowed unless a stack's pack config says otherwise: AWS Security Hub's
 * SecretsManager.4 fails a secret not rotated within 90 days (its default `maxDaysSinceRotation`,
 * https://docs.aws.amazon.com/securityhub/latest/userguide/secretsmanager-controls.html).
 */
const MAX_ROTATION_DAYS = 90;

/** Days between rotations of a rotation schedule, or undefined when it is not a fixed period (`cron(...)`). */
export function rotationPeriodDays(rules: Record<string, unknown>): number | undefined {
  const days = num(rules, "automaticallyAfterDays");
  if (days !== undefined) return days;
  const rate = /^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$/.exec(str(rules, "scheduleExpression") ?? "");
  if (!rate) return undefined;
  return rate[2]?.startsWith("hour") ? Number(rate[1]) / 24 : Number(rate[1]);
}

export const secretRotation: StackValidationPolicy = stackPolicy({
  name: "secret-rotation",
  description: "Secrets Manager secrets rotate automatically, at least every configured number of days.",
  anchors: { checkov: ["CKV2_AWS_57", "CKV_AWS_304"], fsbp: ["SecretsManager.1", "SecretsManager.4"] },
  severity: "medium",
  remediation:
    "Give the secret an aws.secretsmanager.SecretRotation with a rotation function and a rate() schedule (the SecretRotation component does).",
  configSchema: {
    properties: {
      maximumDays: { type: "number", default: MAX_ROTATION_DAYS },
      // A standby (ADR 24): a secret of a data store that is read-only or absent until the recovery may have its
      // rotation prepared (function, role, Secrets Manager's permission) with the schedule switched on then.
      preparedSuffices: { type: "boolean", default: false },
    },
  },
  validate: (resources, args, report) => {
    const maximum = configNumber(args, "maximumDays", MAX_ROTATION_DAYS);
    const preparedSuffices = record(args.getConfig<Props>()).preparedSuffices === true;
    const rotations = ofKind(resources, TOKENS.secretRotation);
    const prepared = new Set([...rotationFunctions(resources).values()].flatMap((secrets) => [...secrets]));
    for (const secret of ofKind(resources, TOKENS.secret)) {
      const own = rotations.filter((rotation) =>
        referenced(rotation, "secretId").some((target) => target.urn === secret.urn),
      );
      if (own.length === 0 && !(preparedSuffices && prepared.has(secret.urn))) {
        report(
          `secret ${secret.name} never rotates${preparedSuffices ? " and no rotation function is prepared for it" : ""}.`,
          secret.urn,
        );
      }
      for (const rotation of own) {
        const days = rotationPeriodDays(record(rotation.props.rotationRules));
        if (days === undefined) {
          report(`secret ${secret.name}'s rotation has no fixed period; use rate(N days).`, rotation.urn);
        } else if (days > maximum) {
          report(`secret ${secret.name} rotates every ${days} days; at most ${maximum}.`, rotation.urn);
        }
        if (
          str(record(rotation.props), "rotationLambdaArn") === undefined &&
          referenced(rotation, "rotationLambdaArn").length === 0
        ) {
          report(`secret ${secret.name}'s rotation names no rotation function.`, rotation.urn);
        }
      }
    }
  },
});

export const keyPolicyNoWildcard = resourcePolicy({
  name: "kms-key-policy-no-wildcard",
  description: "KMS key policies grant nothing to `*` and no `kms:*` to anyone.",
  anchors: { checkov: ["CKV_AWS_33", "CKV2_AWS_64"] },
  severity: "high",
  remediation: "Name the account and services in the key policy, and list the actions each may use.",
  types: TOKENS.kmsKey,
  validate: (props, _args, report) => {
    if (props.policy === undefined) {
      report("the key has no explicit policy; write one (CKV2_AWS_64).");
      return;
    }
    for (const statement of statementsOf(props.policy)) {
      if (statement.Effect !== "Allow") continue;
      const sid = typeof statement.Sid === "string" ? statement.Sid : "(no Sid)";
      const principal = statement.Principal;
      const everyone = principal === "*" || strings(record(principal).AWS).includes("*");
      if (everyone && statement.Condition === undefined) {
        report(`statement ${sid} allows any principal.`);
      }
      if (strings(statement.Action).some((action) => action === "kms:*" || action === "*")) {
        report(`statement ${sid} allows kms:*; list the actions.`);
      }
    }
  },
});

export const loggingAndKeyPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  logRetention,
  vpcFlowLogs,
  secretRotation,
  keyPolicyNoWildcard,
];
