/**
 * `npm run plan -- --diff <a> <b>`: how two stacks differ, per component — the resources only one of them declares,
 * and, for resources both declare, the settings that make one more production-like than the other (sizes, counts,
 * retention, protection). Resources are matched by type and logical name with the environment's prefix and the
 * region taken out, so staging's `cloudweave-staging-postgres-instance` is production's
 * `cloudweave-production-postgres-instance`.
 */
import { outermostComponent, type StackRun } from "./harness";
import type { DeclaredResource } from "./mocks";

/**
 * The inputs compared between matched resources (a dotted path reads a nested input), plus `protect`: the settings
 * that size, count, keep or protect something. Names, ARNs, address ranges and tags differ by design and are not
 * compared.
 */
export const COMPARED_SETTINGS: readonly string[] = [
  "protect",
  // Compute
  "cpu",
  "memory",
  "desiredCount",
  "minCapacity",
  "maxCapacity",
  "deploymentConfiguration.strategy",
  "deploymentConfiguration.bakeTimeInMinutes",
  // Data
  "instanceClass",
  "allocatedStorage",
  "maxAllocatedStorage",
  "multiAz",
  "backupRetentionPeriod",
  "deletionProtection",
  "skipFinalSnapshot",
  "performanceInsightsEnabled",
  "monitoringInterval",
  "nodeType",
  "numCacheClusters",
  "multiAzEnabled",
  "automaticFailoverEnabled",
  "snapshotRetentionLimit",
  // Retention and keys
  "retentionInDays",
  "deletionWindowInDays",
  "rules",
  // Edge and network
  "priceClass",
  "trafficType",
  "internal",
];

/** A setting two matched resources hold differently. */
export interface SettingDifference {
  readonly resource: string;
  readonly type: string;
  readonly setting: string;
  readonly a: unknown;
  readonly b: unknown;
}

/** What differs inside one component. */
export interface ComponentDifference {
  /** The component's name with the environment prefix taken out, and its type. */
  readonly component: string;
  readonly componentType: string;
  readonly onlyA: readonly DeclaredResource[];
  readonly onlyB: readonly DeclaredResource[];
  readonly settings: readonly SettingDifference[];
}

/** The comparison of two stacks. */
export interface StackDiff {
  readonly a: string;
  readonly b: string;
  readonly resourcesA: number;
  readonly resourcesB: number;
  /** Resources both declare (matched by type and name). */
  readonly shared: number;
  readonly components: readonly ComponentDifference[];
}

/** A resource's identity across stacks: its type and its logical name without the environment or the region. */
function identity(run: StackRun, resource: DeclaredResource): string {
  return `${resource.type} ${portableName(run, resource.name)}`;
}

/** A logical name without the stack's environment prefix and region, as another stack would spell it. */
function portableName(run: StackRun, name: string): string {
  const environment = run.config["cloudweave:environment"] ?? "";
  const region = run.config["aws:region"] ?? "";
  const domain = (JSON.parse(run.config["cloudweave:domain"] ?? "{}") as { name?: string }).name;
  const portable = name.replace(`cloudweave-${environment}`, "cloudweave-<env>").split(region).join("<region>");
  return domain ? portable.split(domain).join("<domain>") : portable;
}

/** A value with the stack's own names (environment, region, domain, account) made generic, to compare across stacks. */
function portableValue(run: StackRun, value: unknown): unknown {
  if (typeof value === "string") {
    const environment = run.config["cloudweave:environment"] ?? "";
    return portableName(run, value).split(run.accountId).join("<account>").split(environment).join("<env>");
  }
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => portableValue(run, item));
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, portableValue(run, inner)]));
}

/**
 * The leaves where two values differ once made portable, as paths below `path` (`rules[0].lifecycle.deleteAfter`),
 * with the values as each stack declares them.
 */
function leafDifferences(
  a: unknown,
  b: unknown,
  path: string,
  portable: { a: (value: unknown) => unknown; b: (value: unknown) => unknown },
): { path: string; a: unknown; b: unknown }[] {
  if (JSON.stringify(portable.a(a)) === JSON.stringify(portable.b(b))) return [];
  const isContainer = (value: unknown) => value !== null && typeof value === "object";
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return [{ path, a, b }];
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])];
  return keys.flatMap((key) =>
    leafDifferences(left[key], right[key], Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`, portable),
  );
}

function settingOf(resource: DeclaredResource, path: string): unknown {
  if (path === "protect") return resource.protect;
  let value: unknown = resource.inputs;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Compares stack `a` with stack `b`. */
export function diffStacks(a: StackRun, b: StackRun): StackDiff {
  const index = (run: StackRun) => {
    const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
    const byIdentity = new Map<string, { resource: DeclaredResource; owner: DeclaredResource }>();
    for (const resource of run.resources) {
      if (resource.type === "pulumi:pulumi:Stack" || !resource.parent) continue;
      // A resource the stack parents directly is its own component.
      byIdentity.set(identity(run, resource), { resource, owner: outermostComponent(resource, byUrn) ?? resource });
    }
    return byIdentity;
  };
  const left = index(a);
  const right = index(b);
  const components = new Map<
    string,
    { type: string; onlyA: DeclaredResource[]; onlyB: DeclaredResource[]; settings: SettingDifference[] }
  >();
  const componentOf = (run: StackRun, owner: DeclaredResource) => {
    // Named and typed: two components may share a name (a topic's Alerting and its EncryptionKey).
    const key = `${portableName(run, owner.name)}\u0000${owner.type}`;
    const entry = components.get(key) ?? { type: owner.type, onlyA: [], onlyB: [], settings: [] };
    components.set(key, entry);
    return entry;
  };
  let shared = 0;
  for (const [key, { resource, owner }] of left) {
    const match = right.get(key);
    if (!match) {
      componentOf(a, owner).onlyA.push(resource);
      continue;
    }
    shared += 1;
    for (const setting of COMPARED_SETTINGS) {
      const leaves = leafDifferences(settingOf(resource, setting), settingOf(match.resource, setting), setting, {
        a: (value) => portableValue(a, value),
        b: (value) => portableValue(b, value),
      });
      for (const leaf of leaves) {
        componentOf(a, owner).settings.push({
          resource: portableName(a, resource.name),
          type: resource.type,
          setting: leaf.path,
          a: leaf.a,
          b: leaf.b,
        });
      }
    }
  }
  for (const [key, { resource, owner }] of right) {
    if (!left.has(key)) componentOf(b, owner).onlyB.push(resource);
  }
  return {
    a: a.stack,
    b: b.stack,
    resourcesA: a.resources.length,
    resourcesB: b.resources.length,
    shared,
    components: [...components]
      .filter(([, entry]) => entry.onlyA.length + entry.onlyB.length + entry.settings.length > 0)
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([key, entry]) => ({ component: key.split("\u0000")[0] as string, componentType: entry.type, ...entry })),
  };
}

/** Resources of one side, counted by type, with their short names. */
function summarize(resources: readonly DeclaredResource[]): string[] {
  const byType = new Map<string, string[]>();
  for (const resource of resources) {
    const names = byType.get(resource.type) ?? [];
    names.push(resource.name.replace(/^cloudweave-[a-z]+-/, ""));
    byType.set(resource.type, names);
  }
  return [...byType]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([type, names]) => `${type} ×${names.length}: ${names.sort().join(", ")}`);
}

const shown = (value: unknown) => (value === undefined ? "(unset)" : truncate(JSON.stringify(value)));
const truncate = (text: string) => (text.length > 60 ? `${text.slice(0, 59)}…` : text);

/** The comparison as the plan prints it. */
export function renderStackDiff(diff: StackDiff): string {
  const settingCount = diff.components.reduce((total, component) => total + component.settings.length, 0);
  const lines = [
    `How stack "${diff.a}" differs from "${diff.b}": ${diff.a} declares ${diff.shared} of ${diff.b}'s ${diff.resourcesB} resources ` +
      `(${Math.round((diff.shared / diff.resourcesB) * 100)} %) and ${diff.resourcesA - diff.shared} of its own; ` +
      `${settingCount} setting${settingCount === 1 ? "" : "s"} of the shared ones differ (${diff.a} → ${diff.b}).`,
    `Resources are matched by type and name without the environment and region; compared settings: ${COMPARED_SETTINGS.join(", ")}.`,
  ];
  for (const component of diff.components) {
    lines.push("", `${component.component} (${component.componentType})`);
    for (const line of summarize(component.onlyA)) lines.push(`  only in ${diff.a}: ${line}`);
    for (const line of summarize(component.onlyB)) lines.push(`  only in ${diff.b}: ${line}`);
    for (const difference of component.settings) {
      lines.push(
        `  ${difference.resource.replace("cloudweave-<env>-", "")}  ${difference.setting}: ${shown(difference.a)} → ${shown(difference.b)}`,
      );
    }
  }
  if (diff.components.length === 0) lines.push("", "(no differences)");
  return lines.join("\n");
}
