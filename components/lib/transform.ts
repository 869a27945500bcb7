import type * as pulumi from "@pulumi/pulumi";

/**
 * The escape hatch of a component's main children, as SST and awsx offer it: either properties merged over the
 * arguments the component computed, or a function that edits those arguments (and the resource options) in place.
 * Use it for what the component's own arguments do not cover; the policy pack still checks the result.
 *
 * @example
 * new FargateService("api", { ..., transform: { service: { enableExecuteCommand: true } } });
 * new FargateService("api", { ..., transform: { taskDefinition: (args) => { args.ephemeralStorage = { sizeInGib: 30 }; } } });
 */
export type Transform<Args> = Partial<Args> | ((args: Args, opts: pulumi.CustomResourceOptions, name: string) => void);

/** Applies `transform` (when given) to a child's arguments and options; returns what to construct it with. */
export function applyTransform<Args extends object>(
  name: string,
  args: Args,
  opts: pulumi.CustomResourceOptions,
  transform: Transform<Args> | undefined,
): [string, Args, pulumi.CustomResourceOptions] {
  if (transform === undefined) return [name, args, opts];
  if (typeof transform === "function") {
    const editable = { ...args };
    const editableOpts = { ...opts };
    transform(editable, editableOpts, name);
    return [name, editable, editableOpts];
  }
  return [name, { ...args, ...transform }, opts];
}
