import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, programSettings, type StackConfig } from "./schema";

export {
  ConfigError,
  isConfigError,
  parseStackConfig,
  programSettings,
  type StackConfig,
  type RawStackConfig,
} from "./schema";

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
