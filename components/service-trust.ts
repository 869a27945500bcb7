import * as pulumi from "@pulumi/pulumi";

/**
 * The trust policy of a role an AWS service assumes on this account's behalf: the service principal, with
 * confused-deputy protection (`aws:SourceAccount`, and `aws:SourceArn` when the caller's resources can be named).
 */
export function serviceTrustPolicy(
  service: string,
  accountId: pulumi.Input<string>,
  sourceArn?: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ...(sourceArn ? { ArnLike: { "aws:SourceArn": sourceArn } } : {}),
        },
      },
    ],
  });
}
