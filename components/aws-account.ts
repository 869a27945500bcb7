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
}
