import type * as pulumi from "@pulumi/pulumi";

/**
 * Where a stack is deployed: the facts components need to write ARNs, key policies and trust
 * conditions. `index.ts` looks them up once and hands them to each component that needs them.
 */
export interface AwsAccount {
  /** The 12-digit account id the stack deploys into. */
  readonly accountId: pulumi.Input<string>;
  /** The ARN partition: `aws`, `aws-us-gov` or `aws-cn`. */
  readonly partition: pulumi.Input<string>;
  /** The stack's region (`aws:region`). */
  readonly region: string;
  /**
   * The permissions boundary every IAM role the stack creates carries: the deploy role may create a role only with
   * it (bootstrap: GitHubOidcRoles), so no role a stack creates can do more than the boundary allows. Unset for the
   * bootstrap program's own roles, which administrators create.
   */
  readonly permissionsBoundaryArn?: pulumi.Input<string>;
}
