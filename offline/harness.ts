/**
 * Runs the real program (`index.ts`) under the project's mocks with the exact settings of a stack file, the way
 * `pulumi preview` would run it, and returns everything it declared. The offline plan and the tests share it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { parse as parseYaml } from "yaml";
import { AwsMocks, RecordingMonitor, type DeclaredResource } from "./mocks";

// Internal to the SDK (not in its typings): resolves once every outstanding resource registration has finished.
const waitForRPCs = (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;

/** The project's root folder (where `Pulumi.yaml` is). */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** What one offline run of a stack produced. */
export interface StackRun {
  readonly project: string;
  readonly stack: string;
  /** The stack's settings as the program saw them (full keys, structured values as JSON text). */
  readonly config: Readonly<Record<string, string>>;
  /** Settings that are encrypted in the stack file: the offline run cannot read them and leaves them unset. */
  readonly encryptedKeys: readonly string[];
  /** Every resource declared, in registration order, the stack itself first. */
  readonly resources: readonly DeclaredResource[];
  /** The stack outputs, resolved. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** Options of {@link runStack}. */
export interface RunOptions {
  /**
   * Settings to change after reading the stack file, keyed like the file (`cloudweave:vpc`); `undefined` removes a key.
   * Used by tests to try bad configuration against the otherwise real stack.
   */
  readonly configOverrides?: Readonly<Record<string, unknown>>;
}

/** The stacks that have a `Pulumi.<stack>.yaml` in the project. */
export function stackNames(): string[] {
  return fs
    .readdirSync(PROJECT_ROOT)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `index.ts` for `stack` under mocks and returns what it declared. Rejects with the program's error (for
 * instance the configuration's validation message). Runs are serialized: the Pulumi runtime is process-global.
 */
export function runStack(stack: string, options: RunOptions = {}): Promise<StackRun> {
  const run = queue.then(() => runExclusive(stack, options));
  queue = run.catch(() => undefined);
  return run;
}

async function runExclusive(stack: string, options: RunOptions): Promise<StackRun> {
  const project = readProjectName();
  const { config, encryptedKeys } = readStackConfig(stack, options.configOverrides ?? {});
  const region = config["aws:region"] ?? "us-east-1";

  pulumi.runtime.setAllConfig(config, []);
  const monitor = new RecordingMonitor(new AwsMocks(region));
  settings.setMockOptions(monitor, project, stack, false);

  forgetProgramModules();
  const programPath = path.join(PROJECT_ROOT, "index.ts");
  // The program's own error (say, a config validation message) is caught inside the stack's init and rethrown
  // after it: thrown through the stack resource, it would also surface as unhandled rejections of its internals.
  let programError: unknown;
  const outputs = (await runInPulumiStack(async () => {
    try {
      return require(programPath);
    } catch (error) {
      programError = error;
      return {};
    }
  })) as Record<string, unknown>;
  await waitForRPCs();
  if (programError !== undefined) throw programError;
  return { project, stack, config, encryptedKeys, resources: [...monitor.declared], outputs };
}

function readProjectName(): string {
  const document = parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { name?: unknown };
  if (typeof document.name !== "string") throw new Error("Pulumi.yaml has no project name");
  return document.name;
}

/** Reads `Pulumi.<stack>.yaml` into the form Pulumi hands a program: full keys, structured values as JSON text. */
function readStackConfig(stack: string, overrides: Readonly<Record<string, unknown>>) {
  const file = path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack "${stack}": ${path.basename(file)} does not exist (stacks: ${stackNames().join(", ")})`);
  }
  const document = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const settings: Record<string, unknown> = { ...(document.config ?? {}), ...overrides };
  const config: Record<string, string> = {};
  const encryptedKeys: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (isEncrypted(value)) {
      encryptedKeys.push(key);
      continue;
    }
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { config, encryptedKeys };
}

function isEncrypted(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
}

/** Drops the program's own modules from the require cache so the next run evaluates them afresh. */
function forgetProgramModules(): void {
  const dependencies = path.join(PROJECT_ROOT, "node_modules");
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(PROJECT_ROOT) && !file.startsWith(dependencies) && !file.startsWith(path.join(PROJECT_ROOT, "offline"))) {
      delete require.cache[file];
    }
  }
}
