import { parseStackConfig, programSettings, type StackConfig } from "../config";
import { PROJECT_ROOT, readStackSettings, runStack, type RunOptions, type StackRun } from "../offline/harness";
import { SecretValue, type DeclaredResource } from "../offline/mocks";

/** An IAM policy statement as the tests read it from a policy document (any of its optional parts may be absent). */
export interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: Record<string, unknown>;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export { GAME_DAY_STACKS, RECOVERY_PAIRS, STACKS } from "./fixtures/stacks";

/** Every resource of `type` in the run. */
export function ofType(run: StackRun, type: string): DeclaredResource[] {
  return run.resources.filter((resource) => resource.type === type);
}

/** The one resource of `type` (and `name`, when given); fails the test when there is not exactly one. */
export function single(run: StackRun, type: string, name?: string): DeclaredResource {
  const matches = ofType(run, type).filter((resource) => name === undefined || resource.name === name);
  if (matches.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${matches.length}`);
  }
  return matches[0] as DeclaredResource;
}

/** The resource the mock gave `id` (ids are how one resource's inputs point at another). */
export function byId(run: StackRun, id: unknown): DeclaredResource {
  const found = run.resources.find((resource) => resource.id !== undefined && resource.id === id);
  if (!found) throw new Error(`no resource has id ${String(id)}`);
  return found;
}

/** The resource the mock gave `arn`. */
export function byArn(run: StackRun, arn: unknown): DeclaredResource {
  const found = run.resources.find((resource) => resource.outputs.arn !== undefined && resource.outputs.arn === arn);
  if (!found) throw new Error(`no resource has ARN ${String(arn)}`);
  return found;
}

/** A string input of a resource (fails when it is not a string). */
export function text(resource: DeclaredResource, key: string): string {
  const value = resource.inputs[key];
  if (typeof value !== "string") throw new Error(`${resource.name}.${key} is not a string: ${JSON.stringify(value)}`);
  return value;
}

/** A JSON-document input (a policy) of a resource, parsed. */
export function json<T = Record<string, unknown>>(resource: DeclaredResource, key: string): T {
  return JSON.parse(text(resource, key)) as T;
}

/** A recorded value with every Pulumi secret in it replaced by its plain value (the tests may look inside). */
export function revealed(value: unknown): unknown {
  if (value instanceof SecretValue) return revealed(value.value);
  if (Array.isArray(value)) return value.map(revealed);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, revealed(inner)]));
}

const stackRuns = new Map<string, Promise<StackRun>>();

/**
 * The mutant StrykerJS has switched on (`npm run mutate`), or none. Stryker loads the test files once and switches
 * mutants at run time, so a run shared between tests belongs to one mutant.
 */
export function activeMutant(): string {
  return (globalThis as { __stryker__?: { activeMutant?: string } }).__stryker__?.activeMutant ?? "none";
}

/**
 * The run of a stack file (as written, or with `overrides`), shared by every test that only reads it: a run with the
 * same settings is the same each time. Tests that change records work on a copy.
 */
export function stackRun(stack: string, overrides?: Readonly<Record<string, unknown>>): Promise<StackRun> {
  const key = `${stack} ${JSON.stringify(overrides ?? {})} ${activeMutant()}`;
  let run = stackRuns.get(key);
  if (!run) {
    run = runStack(stack, overrides ? { configOverrides: overrides } : {});
    stackRuns.set(key, run);
  }
  return run;
}

/**
 * A runner for the plan command (`plan(argv, { run: sharedRun })`): a stack file's run as written is the one the
 * other tests share; a run with overrides or of another project is its own.
 */
export function sharedRun(stack: string, options: RunOptions): Promise<StackRun> {
  return options.configOverrides === undefined && options.projectDir === PROJECT_ROOT
    ? stackRun(stack)
    : runStack(stack, options);
}

/** The stack's deployment settings switched to a canary release (5 % for 20 minutes), as a release's PR would. */
export function canaryRelease(stack: string): Record<string, unknown> {
  const deployment = readStackSettings(stack)["cloudweave:deployment"] as Record<string, unknown>;
  return { "cloudweave:deployment": { ...deployment, strategy: "CANARY", canary: { percent: 5, bakeMinutes: 20 } } };
}

/** The validated settings of a stack file as written: what the tests compare the declared resources with. */
export function stackConfig(stack: string): StackConfig {
  return parseStackConfig(programSettings(readStackSettings(stack)));
}

/** The prefix of every component name of a stack: `cloudweave-<environment>` (a standby shares its primary's). */
export function prefixOf(stack: string): string {
  return `cloudweave-${stackConfig(stack).environment}`;
}

/** Whether the stack is a standby not yet recovered (ADR 24): no edge, no cache cluster, services at zero tasks. */
export function isIdleStandby(stack: string): boolean {
  const part = stackConfig(stack).disasterRecovery;
  return part?.role === "standby" && part.state === "standby";
}

/** Whether the stack runs the production environment (production and its standby). */
export function isProduction(stack: string): boolean {
  return stackConfig(stack).environment === "production";
}

/** Whether the stack has an edge of its own (CloudFront and its WAF): every stack but a standby. */
export function hasEdge(stack: string): boolean {
  return stackConfig(stack).disasterRecovery?.role !== "standby";
}

/** A standby's settings with the one change the recovery makes (docs/runbook-restore.md, step 4). */
export function recoveredSettings(stack: string): Record<string, unknown> {
  const part = readStackSettings(stack)["cloudweave:disasterRecovery"] as Record<string, unknown>;
  return { "cloudweave:disasterRecovery": { ...part, state: "recovered" } };
}
