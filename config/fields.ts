/**
 * The building blocks of the stack settings schema: allowed values, limits with their sources, and the field schemas
 * several settings share. `settings.ts` assembles them per config key.
 */
import { z } from "zod";
import { isPrivateBlock, parseIpv4Block } from "./cidr";
import { FARGATE_CPU_VALUES, describeMemoryOptions, fargateMemoryFor } from "./fargate";

/** The environments this program knows how to build. */
export const ENVIRONMENTS = ["staging", "production"] as const;

/** NAT strategies: a gateway in every AZ (no cross-AZ dependency), or one shared gateway (cheaper, one AZ's fate). */
export const NAT_STRATEGIES = ["one-per-az", "single"] as const;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** CloudFront price classes: all edge locations, most, or North America and Europe only. */
export const PRICE_CLASSES = ["PriceClass_All", "PriceClass_200", "PriceClass_100"] as const;

/** CloudFront viewer security policies at TLS 1.2 or newer (older ones admit TLS 1.0/1.1). */
export const VIEWER_TLS_POLICIES = ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"] as const;

/** Subnet tiers, each with one subnet per availability zone. */
export const SUBNET_TIERS = ["public", "private", "database"] as const;

/** The design spreads every tier over three AZs (seed: "Multi-AZ deployment across 3 availability zones"). */
export const MIN_AVAILABILITY_ZONES = 3;

/** AWS keeps automated RDS backups for 1-35 days; 0 would switch them off. */
export const BACKUP_RETENTION_RANGE = { min: 1, max: 35 } as const;
/** The design's automated-backup retention, in every environment. */
export const MIN_BACKUP_RETENTION = 7;
/**
 * AWS Backup cannot start a database backup within an hour before or during the database's maintenance window
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/plan-options-and-configuration.html); the same margin keeps
 * its jobs off the RDS automated-backup window.
 */
export const BACKUP_MARGIN_MINUTES = 60;
export const PRODUCTION_MIN_TASKS = 2;
/** Long enough for the rollback alarms (two one-minute periods) to see the new version under full traffic. */
export const PRODUCTION_MIN_BAKE_MINUTES = 5;
export const MAX_TASKS_PER_SERVICE = 100;

/** The shape of an AWS region name (`us-east-1`, `us-gov-west-1`, `us-iso-east-1`); the stack and bootstrap schemas use it. */
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** An AWS account id: 12 digits (IAM User Guide, "Your AWS account ID and its alias"). */
export const ACCOUNT_ID = /^\d{12}$/;
/** What Docker and ECR accept as a tag. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Tags that name no particular build: with immutable ECR tags they could never be pushed twice anyway. */
export const FLOATING_TAGS = ["latest", "stable", "main", "develop"];
export const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A strict object: an unknown key (usually a typo) fails and the message lists the keys that are allowed. */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown setting${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; allowed: ${allowed}`
        : undefined,
  });
}

export const cidrBlock = z.string().refine((text) => parseIpv4Block(text) !== undefined, {
  message: "must be an IPv4 CIDR block like 10.0.0.0/16, with no host bits set",
});

/** A CIDR block of a size AWS accepts: /16 to /28, for VPCs and subnets alike. */
export function sizedBlock(what: string) {
  return cidrBlock.superRefine((text, ctx) => {
    const block = parseIpv4Block(text);
    if (block && (block.prefixLength < 16 || block.prefixLength > 28)) {
      ctx.addIssue({ code: "custom", message: `must be a /16 to /28 block (the sizes AWS allows for a ${what})` });
    }
  });
}

export const vpcCidr = sizedBlock("VPC").superRefine((text, ctx) => {
  const block = parseIpv4Block(text);
  if (block && !isPrivateBlock(block)) {
    ctx.addIssue({
      code: "custom",
      message: "must lie in a private (RFC 1918) range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
    });
  }
});

export const subnetCidr = sizedBlock("subnet");

export const domainName = z.string().refine(isDomainName, {
  message: "must be a lower-case DNS name of two or more labels (a-z, 0-9, '-'), at most 253 characters",
});

export function isDomainName(name: string): boolean {
  const labels = name.split(".");
  return name.length <= 253 && labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label));
}

export const logRetention = z
  .number()
  .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `must be a CloudWatch Logs retention: ${LOG_RETENTION_DAYS.join(", ")}`,
  })
  .default(365);

export const imageTag = z
  .string({ error: "must be set to the image tag CI pushed, e.g. 1.4.2" })
  .regex(IMAGE_TAG, { message: "must be a Docker image tag: letters, digits, '_', '.', '-', at most 128 characters" })
  .refine((tag) => !FLOATING_TAGS.includes(tag.toLowerCase()), {
    message: `must name one build (a version such as 1.4.2 or a commit SHA), not a moving tag like ${FLOATING_TAGS.join(", ")}`,
  });

/**
 * Days between a secret's rotations: Secrets Manager's `rate(N days)` takes 1-1000
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html).
 */
export const ROTATION_DAYS_RANGE = { min: 1, max: 1000 } as const;
/**
 * The most days between rotations production allows: AWS Security Hub's SecretsManager.4 control fails a secret not
 * rotated within 90 days (its default `maxDaysSinceRotation`:
 * https://docs.aws.amazon.com/securityhub/latest/userguide/secretsmanager-controls.html).
 */
export const PRODUCTION_MAX_ROTATION_DAYS = 90;
export const rotationDays = z
  .number()
  .int("must be a whole number of days")
  .min(ROTATION_DAYS_RANGE.min, `must be at least ${ROTATION_DAYS_RANGE.min}`)
  .max(ROTATION_DAYS_RANGE.max, `must be at most ${ROTATION_DAYS_RANGE.max} (Secrets Manager's rate() limit)`);

/** A token lifetime as the backend reads it: a number and a unit, e.g. `15m`, `7d` (s, m, h or d). */
export const TOKEN_LIFETIME = /^([1-9]\d*)([smhd])$/;
const SECONDS_PER: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
export function lifetimeSeconds(lifetime: string): number {
  const [, amount, unit] = TOKEN_LIFETIME.exec(lifetime) ?? [];
  return Number(amount) * (SECONDS_PER[unit ?? ""] ?? Number.NaN);
}
export const tokenLifetime = z
  .string()
  .regex(TOKEN_LIFETIME, { message: "must be a number and a unit (s, m, h or d), e.g. 15m or 7d" });

/** A Secrets Manager secret name (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html). */
export const secretName = z
  .string()
  .regex(/^[\w/+=.@-]{1,512}$/, { message: "must be a Secrets Manager secret name (letters, digits and /_+=.@-)" });

/** Where one severity's alarms go besides its SNS topic. */
export const alertRecipientFields = {
  emails: z
    .array(z.email({ error: "must be an e-mail address" }))
    .default([])
    .describe("E-mail addresses subscribed to the topic; each confirms once from the message SNS sends it."),
  slack: strictObject({
    workspaceId: z
      .string()
      .regex(/^[0-9A-Z]{1,255}$/, { message: "must be a Slack workspace (team) id such as T07ABCDE12" })
      .describe("The Slack workspace (team) id, e.g. T07ABCDE12."),
    channelId: z
      .string()
      .regex(/^[A-Za-z0-9]{1,255}$/, { message: "must be a Slack channel id such as C07ABCDE12" })
      .describe("The Slack channel id, e.g. C07ABCDE12."),
  })
    .optional()
    .describe(
      "A Slack channel AWS Chatbot posts the alarms to; the workspace is authorised once in the Chatbot console. Ids as the Chatbot API takes them (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html).",
    ),
};
export const alertRecipients = strictObject(alertRecipientFields);

/** A monthly usage figure the cost estimate assumes: zero or more of its unit. */
export const usageAmount = z
  .number({ error: "must be set to a number (0 when there is none)" })
  .min(0, "must be 0 or more");

export const percent = z.number().gt(0, "must be a percentage above 0").lt(100, "must be a percentage below 100");
export const periods = z
  .number()
  .int("must be a whole number of periods")
  .min(1, "must be 1-10")
  .max(10, "must be 1-10");

export const service = strictObject({
  imageTag: imageTag.describe("The image tag to run, from the service's ECR repository."),
  cpu: z
    .number()
    .refine((cpu) => FARGATE_CPU_VALUES.includes(cpu), {
      message: `must be a Fargate task cpu value: ${FARGATE_CPU_VALUES.join(", ")}`,
    })
    .describe("Task cpu units (1024 = 1 vCPU)."),
  memory: z
    .number()
    .int("must be a whole number of MiB")
    .describe("Task memory in MiB; must be a size Fargate pairs with `cpu`."),
  desiredCount: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .describe("Tasks running at steady state; also the auto-scaling minimum."),
  maxCount: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(MAX_TASKS_PER_SERVICE, `must be at most ${MAX_TASKS_PER_SERVICE}`)
    .describe("The auto-scaling ceiling."),
}).superRefine((size, ctx) => {
  const memoryOptions = fargateMemoryFor(size.cpu);
  if (memoryOptions.length > 0 && !memoryOptions.includes(size.memory)) {
    ctx.addIssue({
      code: "custom",
      path: ["memory"],
      message: `is not a Fargate size for cpu ${size.cpu}; allowed: ${describeMemoryOptions(memoryOptions)}`,
    });
  }
  if (size.desiredCount > size.maxCount) {
    ctx.addIssue({ code: "custom", path: ["desiredCount"], message: `must not exceed maxCount (${size.maxCount})` });
  }
});
