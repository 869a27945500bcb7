import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, type StackConfig } from "./schema";

export { ConfigError, isConfigError, parseStackConfig, type StackConfig, type RawStackConfig } from "./schema";

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

/**
 * Reads the current stack's settings and validates them. Call it once, first thing in the program: a bad setting
 * throws a `ConfigError` before any resource is declared.
 */
export function loadStackConfig(): StackConfig {
  const settings = programSettings(pulumi.runtime.allConfig());
  return parseStackConfig(Object.fromEntries(Object.entries(settings).map(([key, text]) => [key, decode(text)])));
}

/** Pulumi hands structured values over as JSON text and plain values as strings; accept both. */
function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
