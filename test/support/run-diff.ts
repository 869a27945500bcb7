/**
 * What `pulumi up` would change between two runs of one stack (before: the deployed settings; after: the new ones),
 * read from the declared inputs as the engine compares them: by URN, with each resource's `ignoreChanges` paths
 * left out of the comparison (Pulumi property paths: `a.b`, `a[0]`, `a[*]`).
 */
import type { StackRun } from "../../offline/harness";
import type { DeclaredResource } from "../../offline/mocks";
import { revealed } from "../helpers";

export interface ResourceChange {
  readonly op: "create" | "update" | "delete";
  readonly type: string;
  readonly name: string;
  /** The top-level inputs that differ (updates only). */
  readonly properties: readonly string[];
}

/** The changes from `before` to `after`, creations and updates in `after`'s order, then deletions. */
export function diffRuns(before: StackRun, after: StackRun): ResourceChange[] {
  const previous = new Map(before.resources.map((resource) => [resource.urn, resource]));
  const changes: ResourceChange[] = [];
  for (const resource of after.resources) {
    const old = previous.get(resource.urn);
    if (!old) {
      changes.push({ op: "create", type: resource.type, name: resource.name, properties: [] });
      continue;
    }
    const [a, b] = [comparable(old, resource.ignoreChanges), comparable(resource, resource.ignoreChanges)];
    const properties = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
      (key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]),
    );
    if (properties.length > 0) changes.push({ op: "update", type: resource.type, name: resource.name, properties });
  }
  const kept = new Set(after.resources.map((resource) => resource.urn));
  for (const resource of before.resources) {
    if (!kept.has(resource.urn))
      changes.push({ op: "delete", type: resource.type, name: resource.name, properties: [] });
  }
  return changes;
}

/** A resource's inputs, secrets revealed, without the paths its `ignoreChanges` names. */
function comparable(resource: DeclaredResource, ignored: readonly string[] = []): Record<string, unknown> {
  const inputs = structuredClone(revealed(resource.inputs)) as Record<string, unknown>;
  for (const path of ignored) remove(inputs, path.match(/[^.[\]]+|\[\*\]|\[\d+\]/g) ?? []);
  return inputs;
}

function remove(target: unknown, segments: readonly string[]): void {
  if (target === null || typeof target !== "object" || segments.length === 0) return;
  const [head = "", ...rest] = segments;
  const container = target as Record<string, unknown>;
  const keys = head === "[*]" ? Object.keys(container) : [head.replace(/^\[(\d+)\]$/, "$1")];
  for (const key of keys) {
    if (rest.length === 0) delete container[key];
    else remove(container[key], rest);
  }
}
