import * as aws from "./aws";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Which account a stack deploys into: the facts components need to write ARNs, key policies and trust conditions.
 * `index.ts` builds it once from the validated config. The region is not one of them: it belongs to the provider a
 * component is created through (see {@link regionOf}), so it can never disagree with where the resources live.
 */
export interface AwsAccount {
  /** The 12-digit account id the stack deploys into. */
  readonly accountId: pulumi.Input<string>;
  /** The ARN partition: `aws`, `aws-us-gov` or `aws-cn`. */
  readonly partition: pulumi.Input<string>;
  /**
   * The permissions boundary every IAM role the stack creates carries: the deploy role may create a role only with
   * it (bootstrap: GitHubOidcRoles), so no role a stack creates can do more than the boundary allows. Unset for the
   * bootstrap program's own roles, which administrators create.
   */
  readonly permissionsBoundaryArn?: pulumi.Input<string>;
}

/**
 * The region of the AWS provider `resource` creates its children through: the one it was given (`provider` /
 * `providers`), else its parent's, else the stack's default provider (`aws:region`). Asked of the provider itself
 * (`aws.getRegion`), so a component moved under another region's provider follows it without another setting.
 */
export function regionOf(resource: pulumi.Resource): pulumi.Output<string> {
  return aws.getRegionOutput({}, { parent: resource }).region;
}
