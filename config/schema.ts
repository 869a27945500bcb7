import { type z } from "zod";
import { checkSettings, formatPath } from "./rules";
import { rawSettings } from "./settings";

export { rawSettings } from "./settings";

const rawConfigSchema = rawSettings.superRefine(checkSettings);

export type RawStackConfig = z.input<typeof rawConfigSchema>;

type Parsed = z.output<typeof rawConfigSchema>;

/** The validated settings of one stack: the only way configuration reaches `index.ts` and the components. */
export interface StackConfig {
  /** `cloudweave:environment`. */
  readonly environment: Parsed["cloudweave:environment"];
  /** True for the production environment; switches on the design's production-only safeguards. */
  readonly isProduction: boolean;
  /** `aws:region`: where the stack's regional resources live. */
  readonly region: string;
  /** `aws:allowedAccountIds[0]`: the AWS account the stack deploys into (its providers allow no other). */
  readonly accountId: string;
  /** `cloudweave:vpc`. */
  readonly vpc: Parsed["cloudweave:vpc"];
  /** `cloudweave:database`. */
  readonly database: Parsed["cloudweave:database"];
  /** `cloudweave:cache`. */
  readonly cache: Parsed["cloudweave:cache"];
  /** `cloudweave:logs`: retention of the stack's service log groups (database, cache, later the services). */
  readonly logs: Parsed["cloudweave:logs"];
  /** `cloudweave:secrets`: how often each generated credential rotates, and the JWT lifetimes. */
  readonly secrets: Parsed["cloudweave:secrets"];
  /** `cloudweave:compute`: each service's image, task size and task count range. */
  readonly compute: Parsed["cloudweave:compute"];
  /** `cloudweave:scaling`: the CPU step-scaling thresholds and the memory target, for both services. */
  readonly scaling: Parsed["cloudweave:scaling"];
  /** `cloudweave:deployment`: blue/green bake time and the rollback alarm's threshold. */
  readonly deployment: Parsed["cloudweave:deployment"];
  /** `cloudweave:domain`. */
  readonly domain: Parsed["cloudweave:domain"];
  /** `cloudweave:alarms`: the thresholds of the alarms that notify people. */
  readonly alarms: Parsed["cloudweave:alarms"];
  /** `cloudweave:alerting`: who receives each severity's alarms, and whether critical ones page. */
  readonly alerting: Parsed["cloudweave:alerting"];
  /** `cloudweave:tracing`. */
  readonly tracing: Parsed["cloudweave:tracing"];
  /** `cloudweave:cost`: the monthly budget, and the usage the offline cost estimate assumes. */
  readonly cost: Parsed["cloudweave:cost"];
  /** `cloudweave:backup`: AWS Backup, cross-region copies and restore testing. */
  readonly backup: Parsed["cloudweave:backup"];
  /** `cloudweave:featureFlags`: which flags are on, and how a change rolls out. */
  readonly featureFlags: Parsed["cloudweave:featureFlags"];
  /** `cloudweave:faultInjection`: the task experiments' sidecar and how many tasks they stop. */
  readonly faultInjection: Parsed["cloudweave:faultInjection"];
  /** `cloudweave:disasterRecovery`: the stack's part in regional recovery (primary or standby); unset: none. */
  readonly disasterRecovery: Parsed["cloudweave:disasterRecovery"];
  /** `cloudweave:edge`: CloudFront and WAF settings. */
  readonly edge: Parsed["cloudweave:edge"];
  /** `aws:defaultTags.tags`: the tags every resource gets, also through the program's own providers. */
  readonly defaultTags: Readonly<Record<string, string>>;
  /** `cloudweave:deletionProtection` (default: on in production): protects stateful resources from deletion. */
  readonly deletionProtection: boolean;
}

/** Raised when a stack's settings are invalid; its message lists every problem with key, value and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * True for a {@link ConfigError}, also one thrown by another load of this module (the offline harness reloads the
 * program's modules for every run, so `instanceof` is not enough).
 */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof Error && error.name === "ConfigError" && Array.isArray((error as ConfigError).problems);
}

/**
 * Validates raw stack settings (keyed `cloudweave:vpc`, `aws:region`, ...) into a {@link StackConfig}.
 * Throws a {@link ConfigError} naming every bad key, its value and what is allowed.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const result = rawConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(raw, issue)));
  }
  const parsed = result.data;
  const isProduction = parsed["cloudweave:environment"] === "production";
  return {
    environment: parsed["cloudweave:environment"],
    isProduction,
    region: parsed["aws:region"],
    accountId: parsed["aws:allowedAccountIds"][0] as string,
    vpc: parsed["cloudweave:vpc"],
    database: parsed["cloudweave:database"],
    cache: parsed["cloudweave:cache"],
    logs: parsed["cloudweave:logs"],
    compute: parsed["cloudweave:compute"],
    scaling: parsed["cloudweave:scaling"],
    deployment: parsed["cloudweave:deployment"],
    secrets: parsed["cloudweave:secrets"],
    domain: parsed["cloudweave:domain"],
    edge: parsed["cloudweave:edge"],
    disasterRecovery: parsed["cloudweave:disasterRecovery"],
    featureFlags: parsed["cloudweave:featureFlags"],
    faultInjection: parsed["cloudweave:faultInjection"],
    alarms: parsed["cloudweave:alarms"],
    alerting: parsed["cloudweave:alerting"],
    tracing: parsed["cloudweave:tracing"],
    cost: parsed["cloudweave:cost"],
    backup: parsed["cloudweave:backup"],
    defaultTags: parsed["aws:defaultTags"]?.tags ?? {},
    deletionProtection: parsed["cloudweave:deletionProtection"] ?? isProduction,
  };
}

function describeIssue(raw: Record<string, unknown>, issue: z.core.$ZodIssue): string {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
  if (issue.code === "unrecognized_keys") {
    return `${path.length > 0 ? formatPath(path) : "stack config"}: ${issue.message}`;
  }
  const value = valueAt(raw, path);
  // No setting holds a secret (secrets live in Secrets Manager), so every value can be shown.
  const shown = value === undefined ? "(not set)" : truncate(JSON.stringify(value));
  return `${formatPath(path)} = ${shown}: ${issue.message}`;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function truncate(text: string, limit = 120): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** The project's config namespace (`cloudweave:<key>` in `Pulumi.<stack>.yaml`). */
const NAMESPACE = "cloudweave";

/** Provider settings this program reads besides its own namespace. */
const PROVIDER_KEYS: readonly string[] = ["aws:region", "aws:allowedAccountIds", "aws:defaultTags"];

/**
 * The settings this program reads out of a stack's whole configuration: every `cloudweave:*` key (so a misspelt
 * one is reported, not ignored), `aws:region`, `aws:allowedAccountIds` and `aws:defaultTags` (the program's own
 * providers need them too). Other provider settings are the providers'.
 */
export function programSettings<Value>(all: Readonly<Record<string, Value>>): Record<string, Value> {
  return Object.fromEntries(
    Object.entries(all).filter(([key]) => key.startsWith(`${NAMESPACE}:`) || PROVIDER_KEYS.includes(key)),
  );
}
