import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, type StackConfig } from "./schema";

export { ConfigError, parseStackConfig, type StackConfig, type RawStackConfig } from "./schema";

/** The project's config namespace (`cloudweave:<key>` in `Pulumi.<stack>.yaml`). */
const NAMESPACE = "cloudweave";

/** Provider settings this program reads besides its own namespace. */
const PROVIDER_KEYS = ["aws:region"] as const;

/**
 * Reads every `cloudweave:*` setting and `aws:region` of the current stack and validates them.
 * Call it once, first thing in the program: a bad setting throws before any resource is declared.
 */
export function loadStackConfig(): StackConfig {
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(all)) {
    const [namespace, name] = key.split(":");
    if (namespace === NAMESPACE && name !== undefined) raw[`${NAMESPACE}:${name}`] = decode(text);
  }
  for (const key of PROVIDER_KEYS) {
    if (all[key] !== undefined) raw[key] = decode(all[key]);
  }
  return parseStackConfig(raw);
}

/** Pulumi hands structured values over as JSON text and plain values as strings; accept both. */
function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
