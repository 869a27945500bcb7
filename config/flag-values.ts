/**
 * The feature flags' values of a stack: `feature-flags/<stack>.yaml`, one line per flag, `on` or `off`. Owned by the
 * people who flip them and deployed by `npm run flags` (scripts/flags.ts), not by `pulumi up`: the infrastructure
 * owns AppConfig's application, environments, profile, strategy and monitors (components/release/feature-flags.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { FEATURE_FLAGS, type FeatureFlag } from "./app";

/** Where the values files live, relative to the project. */
export const FLAG_VALUES_DIR = "feature-flags";

const FLAG_NAMES = Object.keys(FEATURE_FLAGS) as [FeatureFlag, ...FeatureFlag[]];

/** A flag missing from the file is off: a new flag reaches no stack until its owners switch it on there. */
const flagValuesSchema = z.strictObject(
  Object.fromEntries(
    FLAG_NAMES.map((flag) => [flag, z.enum(["on", "off"], { error: "must be on or off" }).default("off")]),
  ) as Record<FeatureFlag, z.ZodDefault<z.ZodEnum<{ on: "on"; off: "off" }>>>,
);

/** Every flag the backend knows, on (true) or off. */
export type FlagValues = Record<FeatureFlag, boolean>;

/** The file of a stack's flag values. */
export function flagValuesFile(stack: string, projectDir: string): string {
  return path.join(projectDir, FLAG_VALUES_DIR, `${stack}.yaml`);
}

/**
 * Parses a values file's text. Refuses a flag the backend does not know and a value that is not `on`/`off`, naming
 * the file, the key, the value and what is allowed.
 */
export function parseFlagValues(text: string, file: string): FlagValues {
  // YAML 1.2 (the yaml package's default) reads on/off as strings, not booleans.
  const raw = (parse(text) ?? {}) as unknown;
  const result = flagValuesSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys")
        return `${issue.keys.join(", ")}: not a flag the backend knows (${FLAG_NAMES.join(", ")})`;
      const key = issue.path.join(".");
      const value = (raw as Record<string, unknown>)[key];
      return `${key || "(the file)"} = ${JSON.stringify(value)}: ${issue.message}`;
    });
    throw new Error(`${file}: ${problems.join("; ")}`);
  }
  return Object.fromEntries(FLAG_NAMES.map((flag) => [flag, result.data[flag] === "on"])) as FlagValues;
}

/** Reads and checks `feature-flags/<stack>.yaml`. */
export function readFlagValues(stack: string, projectDir: string): FlagValues {
  const file = flagValuesFile(stack, projectDir);
  if (!fs.existsSync(file)) throw new Error(`${path.relative(projectDir, file)}: no such file (every stack has one)`);
  return parseFlagValues(fs.readFileSync(file, "utf8"), path.relative(projectDir, file));
}

/**
 * The AppConfig feature-flag document (`AWS.AppConfig.FeatureFlags`) of these values: every flag's definition, from
 * the code, and its value (https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-type-reference-feature-flags.html).
 */
export function featureFlagsDocument(values: FlagValues): string {
  return JSON.stringify({
    version: "1",
    flags: Object.fromEntries(FLAG_NAMES.map((flag) => [flag, { name: flag, description: FEATURE_FLAGS[flag] }])),
    values: Object.fromEntries(FLAG_NAMES.map((flag) => [flag, { enabled: values[flag] }])),
  });
}

/** The values of a deployed document; a flag it lacks (newer than the document) is off. */
export function valuesOfDocument(text: string): FlagValues {
  const document = JSON.parse(text) as { values?: Record<string, { enabled?: unknown }> };
  return Object.fromEntries(FLAG_NAMES.map((flag) => [flag, document.values?.[flag]?.enabled === true])) as FlagValues;
}

/** Every flag off: the version `pulumi up` creates with a new environment. */
export function allOff(): FlagValues {
  return Object.fromEntries(FLAG_NAMES.map((flag) => [flag, false])) as FlagValues;
}
