import * as pulumi from "@pulumi/pulumi";
import { SecretRotation, type RotationSettings } from "./secret-rotation";

/** Arguments of {@link rotateHeaderCredential}. */
export interface HeaderRotationArgs {
  /** ARN of the `{ header, value }` secret. */
  secretArn: pulumi.Input<string>;
  /** The key that encrypts it. */
  secretKmsKeyArn: pulumi.Input<string>;
  /** The listener rules that require the header (the function sets their accepted values). */
  listenerRuleArns: pulumi.Input<string>[];
  /**
   * The CloudFront distribution that sends the header, the origin it sends it to, and the WAF web ACL it is
   * associated with (CloudFront checks that whoever updates the distribution may read it). @default none
   */
  distribution?: {
    id: pulumi.Input<string>;
    arn: pulumi.Input<string>;
    originId: string;
    webAclArn: pulumi.Input<string>;
  };
  /** Schedule and logs (the function calls AWS APIs only: no network placement). */
  settings: Omit<RotationSettings, "network">;
}

/** CloudFront takes minutes to deploy a change everywhere; testSecret waits up to 13 of the function's 15. */
const CLOUDFRONT_TIMEOUT_SECONDS = 900;

/**
 * The rotation of a shared-secret header that load-balancer rules require (functions/rotation/header.ts): the rules
 * accept the old and the new value while CloudFront switches, then only the new one. The function may change only
 * those rules and that distribution.
 */
export function rotateHeaderCredential(
  name: string,
  args: HeaderRotationArgs,
  opts: pulumi.ComponentResourceOptions,
): SecretRotation {
  const distribution = args.distribution;
  return new SecretRotation(
    name,
    {
      kind: "header",
      secretArn: args.secretArn,
      secretKmsKeyArn: args.secretKmsKeyArn,
      settings: args.settings,
      timeoutSeconds: distribution ? CLOUDFRONT_TIMEOUT_SECONDS : 60,
      environment: {
        LISTENER_RULE_ARNS: pulumi.all(args.listenerRuleArns).apply((arns) => arns.join(",")),
        ...(distribution ? { DISTRIBUTION_ID: distribution.id, ORIGIN_ID: distribution.originId } : {}),
      },
      statements: [
        {
          // DescribeRules has no resource type (Service Authorization Reference, Elastic Load Balancing V2).
          Sid: "ReadListenerRules",
          Effect: "Allow",
          Action: "elasticloadbalancing:DescribeRules",
          Resource: "*",
        },
        {
          Sid: "SetTheHeadersAcceptedValues",
          Effect: "Allow",
          Action: "elasticloadbalancing:ModifyRule",
          Resource: args.listenerRuleArns,
        },
        ...(distribution
          ? [
              {
                Sid: "SwitchTheHeaderCloudFrontSends",
                Effect: "Allow" as const,
                Action: [
                  "cloudfront:GetDistribution",
                  "cloudfront:GetDistributionConfig",
                  "cloudfront:UpdateDistribution",
                ],
                Resource: distribution.arn,
              },
              {
                // An update that carries the distribution's web ACL fails with InvalidWebACLId ("Unable to verify
                // read permissions on Web ACL") unless the caller may read that ACL (aws/aws-sdk-java#2901).
                Sid: "LetCloudFrontVerifyTheWebAcl",
                Effect: "Allow" as const,
                Action: "wafv2:GetWebACL",
                Resource: distribution.webAclArn,
              },
            ]
          : []),
      ],
    },
    opts,
  );
}
