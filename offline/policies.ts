/**
 * Runs the CrossGuard pack's policies offline against what a stack declared (the harness's records), the way
 * `pulumi preview --policy-pack policy-pack --policy-pack-config policy-pack/config/<stack>.json` would: the same
 * enforcement-level resolution, per-policy config with the schema's defaults, resource and stack validations.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { PROJECT_ROOT, type StackRun } from "./harness";
import { SecretValue, type DeclaredResource } from "./mocks";

/** The pack's own default (`new PolicyPack(..., { enforcementLevel })` in policy-pack/index.ts). */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

/** A pack config file's content: `all` and per-policy entries, each a level or `{ enforcementLevel, ...settings }`. */
export type PackConfig = Record<
  string,
  EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

/** One violation, as `pulumi preview` reports it. */
export interface PolicyViolation {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly message: string;
  /** The resource the violation is about, when the policy names one. */
  readonly resource?: { readonly urn: string; readonly type: string; readonly name: string };
}

/** What evaluating the pack against one stack found. */
export interface PolicyReport {
  /** The pack config file used, relative to the project (absent when the stack has none). */
  readonly configFile: string | undefined;
  readonly violations: readonly PolicyViolation[];
  /** Policies that ran (not disabled). */
  readonly evaluated: number;
}

/** Where a stack's pack config lives. */
export function packConfigPath(stack: string): string {
  return path.join(PROJECT_ROOT, "policy-pack", "config", `${stack}.json`);
}

/** The stack's pack config file, or an empty config when it has none. */
export function readPackConfig(stack: string): { config: PackConfig; file: string | undefined } {
  const file = packConfigPath(stack);
  if (!fs.existsSync(file)) return { config: {}, file: undefined };
  return { config: JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig, file: path.relative(PROJECT_ROOT, file) };
}

/** The level a policy runs at: its config entry, else the config's `all`, else its own, else the pack's. */
export function enforcementLevelOf(
  policy: { name: string; enforcementLevel?: EnforcementLevel },
  config: PackConfig,
): EnforcementLevel {
  const levelIn = (entry: PackConfig[string] | undefined) =>
    typeof entry === "string" ? entry : entry?.enforcementLevel;
  return levelIn(config[policy.name]) ?? levelIn(config.all) ?? policy.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL;
}

/** A policy's settings: the schema's defaults overlaid with its config entry (without the level). */
export function settingsOf(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  config: PackConfig,
): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {})
      .filter(([, schema]) => schema.default !== undefined)
      .map(([key, schema]) => [key, schema.default as unknown]),
  );
  const entry = config[policy.name];
  const settings = typeof entry === "object" ? { ...entry } : {};
  delete settings.enforcementLevel;
  return { ...defaults, ...settings };
}

class NotApplicable extends Error {}

/** Evaluates `policies` against the resources a stack run declared. */
export async function evaluatePolicies(run: StackRun, policies: Policies, config: PackConfig): Promise<PolicyReport> {
  const resources = policyResources(run.resources);
  const custom = resources.filter((resource) => resource.custom);
  const violations: PolicyViolation[] = [];
  let evaluated = 0;

  for (const policy of policies) {
    const level = enforcementLevelOf(policy, config);
    if (level === "disabled") continue;
    evaluated++;
    const settings = settingsOf(policy, config);
    const common = {
      getConfig: <T extends object>() => settings as T,
      notApplicable: (reason?: string): never => {
        throw new NotApplicable(reason);
      },
      stackTags: new Map<string, string>(),
    };
    const report = (message: string, urn?: string) => {
      const subject = urn ? resources.find((resource) => resource.urn === urn) : undefined;
      violations.push({
        policy: policy.name,
        level,
        message,
        ...(subject ? { resource: { urn: subject.urn, type: subject.type, name: subject.name } } : {}),
      });
    };

    try {
      if ("validateStack" in policy) {
        const args: StackValidationArgs = { ...common, resources };
        await policy.validateStack(args, report);
      } else {
        const validations = [policy.validateResource ?? []].flat();
        for (const resource of custom) {
          const args: ResourceValidationArgs = {
            ...common,
            type: resource.type,
            props: resource.props,
            urn: resource.urn,
            name: resource.name,
            opts: resource.opts,
            isType: (resourceClass) => resource.isType(resourceClass),
            asType: ((resourceClass: Parameters<PolicyResource["isType"]>[0]) =>
              resource.isType(resourceClass) ? resource.props : undefined) as ResourceValidationArgs["asType"],
          };
          for (const validate of validations) {
            await validate(args, (message, urn) => report(message, urn ?? resource.urn));
          }
        }
      }
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
    }
  }
  return { configFile: undefined, violations, evaluated };
}

/** Runs the pack with the stack's config file, as the plan and the tests do. */
export async function checkStack(run: StackRun, policies: Policies): Promise<PolicyReport> {
  const { config, file } = readPackConfig(run.stack);
  const report = await evaluatePolicies(run, policies, config);
  return { ...report, configFile: file };
}

type EvaluatedResource = PolicyResource & { readonly custom: boolean };

/** The declared resources as the policy SDK presents them: plain props, resolved dependencies. */
function policyResources(declared: readonly DeclaredResource[]): EvaluatedResource[] {
  const byUrn = new Map<string, EvaluatedResource>();
  for (const resource of declared) {
    const type = resource.type;
    const isType = (resourceClass: { isInstance?(value: unknown): boolean }) =>
      resourceClass.isInstance?.({ __pulumiType: type }) === true;
    byUrn.set(resource.urn, {
      type,
      props: plain(resource.inputs) as Record<string, unknown>,
      urn: resource.urn,
      name: resource.name,
      custom: resource.custom,
      opts: {
        protect: resource.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(resource.parent ? { parent: resource.parent } : {}),
      },
      dependencies: [],
      propertyDependencies: {},
      isType: isType as PolicyResource["isType"],
      asType: ((resourceClass: { isInstance?(value: unknown): boolean }) =>
        isType(resourceClass) ? byUrn.get(resource.urn)?.props : undefined) as PolicyResource["asType"],
    });
  }
  const lookup = (urns: readonly string[]) =>
    urns.map((urn) => byUrn.get(urn)).filter((found): found is EvaluatedResource => found !== undefined);
  for (const resource of declared) {
    const entry = byUrn.get(resource.urn) as EvaluatedResource & {
      -readonly [K in keyof PolicyResource]: PolicyResource[K];
    };
    entry.dependencies = lookup(resource.dependencies);
    entry.propertyDependencies = Object.fromEntries(
      Object.entries(resource.propertyDependencies).map(([key, urns]) => [key, lookup(urns)]),
    );
    if (resource.parent) entry.parent = byUrn.get(resource.parent);
  }
  return [...byUrn.values()];
}

/** Policies see secrets as their plain values (the policy SDK unwraps them). */
function plain(value: unknown): unknown {
  if (value instanceof SecretValue) return plain(value.value);
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
}
