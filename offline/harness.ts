/**
 * Runs the real program (`index.ts`) under the project's mocks with the exact settings of a stack file, the way
 * `pulumi preview` would run it, and returns everything it declared. The offline plan and the tests share it.
 */
import type { ProviderCall } from "./mocks";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { parse as parseYaml } from "yaml";
import { PROJECT_ROOT, readStackSettings } from "./stack-files";
import { isConfigError } from "../config";
import {
  allowedAccounts,
  AwsMocks,
  AwsRejection,
  RecordingMonitor,
  isAwsRejection,
  type DeclaredResource,
} from "./mocks";

export { PROJECT_ROOT, readStackSettings, stackNames } from "./stack-files";

// Internal to the SDK (not in its typings): resolves once every outstanding resource registration has finished.
const waitForRPCs = (): Promise<void> => (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

/** What one offline run produced. */
export interface StackRun {
  readonly project: string;
  readonly stack: string;
  /** The account the run deployed into: the stack's `aws:allowedAccountIds[0]`, or the mocks' default. */
  readonly accountId: string;
  /** The stack's settings as the program saw them (full keys, structured values as JSON text). */
  readonly config: Readonly<Record<string, string>>;
  /** Settings that are encrypted in the stack file: the offline run cannot read them and leaves them unset. */
  readonly encryptedKeys: readonly string[];
  /** Every resource declared, in registration order, the stack itself first. */
  readonly resources: readonly DeclaredResource[];
  /** The stack outputs, resolved. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** What the program logged as warnings (`pulumi.log.warn`), as `pulumi preview` would show them. */
  readonly warnings: readonly string[];
  /** Every provider function the program called (a data source: an AWS read at every deployment), in order. */
  readonly calls: readonly ProviderCall[];
}

/**
 * The resource's outermost component: the one the stack itself parents (say, the `Database` a secret's rotation
 * function belongs to), or undefined for a resource the stack parents directly.
 */
export function outermostComponent(
  resource: DeclaredResource,
  byUrn: ReadonlyMap<string, DeclaredResource>,
): DeclaredResource | undefined {
  let owner: DeclaredResource | undefined;
  for (let parent = resource.parent ? byUrn.get(resource.parent) : undefined; parent;) {
    if (parent.type === "pulumi:pulumi:Stack") break;
    owner = parent;
    parent = parent.parent ? byUrn.get(parent.parent) : undefined;
  }
  return owner;
}

/** Options of {@link runStack} and {@link runProgram}. */
export interface RunOptions {
  /**
   * Settings to change after reading the stack file, keyed like the file (`cloudweave:vpc`); `undefined` removes a key.
   * Used by tests to try bad configuration against the otherwise real stack.
   */
  readonly configOverrides?: Readonly<Record<string, unknown>>;
  /** The Pulumi project to run (its `Pulumi.yaml`, stack files and `index.ts`). @default the project root */
  readonly projectDir?: string;
}

/** The program threw: carries its error and what it had declared by then. */
export class ProgramFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly declared: readonly DeclaredResource[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "ProgramFailed";
  }
}

/** Runs `index.ts` for `stack`, as `pulumi preview --stack <stack>` would. */
export function runStack(stack: string, options: RunOptions = {}): Promise<StackRun> {
  const programPath = path.join(options.projectDir ?? PROJECT_ROOT, "index.ts");
  return runProgram(
    stack,
    () => {
      forgetProgram(programPath);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(programPath) as Record<string, unknown>;
    },
    options,
  );
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` as the Pulumi program of `stack`, under mocks, with the stack file's settings (so it can call
 * `loadStackConfig()`), and returns what it declared; its return value becomes the stack outputs. Rejects with
 * {@link ProgramFailed} when the program throws. Runs are serialized: the Pulumi runtime is process-global.
 */
export function runProgram(
  stack: string,
  program: () => Record<string, unknown> | void,
  options: RunOptions = {},
): Promise<StackRun> {
  const run = queue.then(() => runExclusive(stack, program, options));
  queue = run.catch(() => undefined);
  return run;
}

async function runExclusive(
  stack: string,
  program: () => Record<string, unknown> | void,
  options: RunOptions,
): Promise<StackRun> {
  try {
    return await runOnce(stack, program, options, false);
  } catch (error) {
    // Runs go without stack traces (see runOnce). A configuration error explains itself; any other failure is run
    // again with traces, so its report points at the line that threw.
    if (error instanceof ProgramFailed && !isConfigError(error.cause) && !isAwsRejection(error.cause)) {
      return runOnce(stack, program, options, true);
    }
    throw error;
  }
}

async function runOnce(
  stack: string,
  program: () => Record<string, unknown> | void,
  options: RunOptions,
  stackTraces: boolean,
): Promise<StackRun> {
  const projectDir = options.projectDir ?? PROJECT_ROOT;
  const project = readProjectName(projectDir);
  const { config, encryptedKeys } = toPulumiConfig(readStackSettings(stack, options.configOverrides, projectDir));

  pulumi.runtime.setAllConfig(config, []);
  const mocks = new AwsMocks(
    config["aws:region"] ?? "us-east-1",
    allowedAccounts(config["aws:allowedAccountIds"])?.[0],
  );
  const monitor = new RecordingMonitor(mocks);
  settings.setMockOptions(monitor, project, stack, false);

  // The program's error (say, a config validation message) is caught inside the stack's init and rethrown after
  // it: thrown through the stack resource, it would also surface as unhandled rejections of the SDK's internals.
  let programError: unknown;
  // Pulumi captures a full stack trace for every resource to record its source position; ts-node's source-map
  // support would map each one (most of a run's time). Offline runs need no source positions, so traces stay
  // unmapped while the program runs. V8 formats an error's stack when it is first read, so the program's own
  // error, read after the run, is still mapped.
  const errorClass = Error as { prepareStackTrace?: ErrorConstructor["prepareStackTrace"] };
  const prepareStackTrace = errorClass.prepareStackTrace;
  errorClass.prepareStackTrace = undefined;
  // The SDK also captures a trace for every promise it wraps (to explain leaks, which offline runs never report):
  // formatting those is most of what is left. Without traces a run takes half the time.
  const stackTraceLimit = Error.stackTraceLimit;
  if (!stackTraces) Error.stackTraceLimit = 0;
  // Without an engine, the SDK prints a program's warnings to the console; the run keeps them instead.
  const warnings: string[] = [];
  const consoleWarn = console.warn;
  console.warn = (...parts: unknown[]) => {
    const text = parts.map(String).join(" ");
    const runtime = /^warning: \[runtime\] ([\s\S]*)$/.exec(text);
    if (runtime) warnings.push(runtime[1] as string);
    else consoleWarn(...parts);
  };
  // An error thrown inside an `apply` (say, a component refusing a value it was given) rejects the registration of
  // every resource that depends on it; `pulumi up` reports it and fails. Without an engine nothing would, so the
  // run collects them and fails as the real one would.
  const asyncErrors: unknown[] = [];
  const onUnhandled = (reason: unknown) => asyncErrors.push(reason);
  process.on("unhandledRejection", onUnhandled);
  let outputs: Record<string, unknown>;
  try {
    outputs = (await runInPulumiStack(() => {
      try {
        return Promise.resolve(program() ?? {});
      } catch (error) {
        programError = error;
        return Promise.resolve({});
      }
    })) as Record<string, unknown>;
    await waitForRPCs();
    // Rejections are reported on a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("unhandledRejection", onUnhandled);
    errorClass.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
    console.warn = consoleWarn;
  }
  if (programError !== undefined) throw new ProgramFailed(programError, [...monitor.declared]);
  if (asyncErrors.length > 0) throw new ProgramFailed(rootCause(asyncErrors[0]), [...monitor.declared]);
  if (mocks.rejections.length > 0) {
    throw new ProgramFailed(new AwsRejection(mocks.rejections), [...monitor.declared]);
  }
  return {
    project,
    stack,
    accountId: mocks.accountId,
    config,
    encryptedKeys,
    resources: [...monitor.declared],
    outputs,
    warnings,
    calls: [...mocks.calls],
  };
}

function readProjectName(projectDir: string): string {
  const document = parseYaml(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: unknown };
  if (typeof document.name !== "string") throw new Error("Pulumi.yaml has no project name");
  return document.name;
}

/** Settings in the form Pulumi hands a program: full keys, structured values as JSON text, secrets left out. */
function toPulumiConfig(stackSettings: Record<string, unknown>) {
  const config: Record<string, string> = {};
  const encryptedKeys: string[] = [];
  for (const [key, value] of Object.entries(stackSettings)) {
    if (isEncrypted(value)) encryptedKeys.push(key);
    else config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { config, encryptedKeys };
}

function isEncrypted(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
}

/**
 * Drops `index.ts` from the require cache so the next run evaluates the program afresh. Only the entry point
 * declares resources when loaded; components and config are libraries that declare nothing at load time and keep
 * no module-level resources, so they stay loaded (re-transpiling them for every run would dominate the tests).
 */
function forgetProgram(programPath: string): void {
  delete require.cache[require.resolve(programPath)];
}

/**
 * The error an `apply` threw, out of the SDK's wrappers: each dependent resource's registration rejects with
 * "error serializing property ...: <cause>", so the innermost message is the one that explains.
 */
function rootCause(reason: unknown): unknown {
  if (!(reason instanceof Error)) return reason;
  const message = reason.message.replace(
    /^(error serializing property "[^"]*": |failed to register new resource [^:]*: )+/,
    "",
  );
  if (message === reason.message) return reason;
  const cause = new Error(message);
  cause.stack = reason.stack;
  return cause;
}
