import * as aws from "./aws";
import type * as pulumi from "@pulumi/pulumi";

/** Where a component's logs go: the stack's logs key and how long to keep them. */
export interface LogDestination {
  /** ARN of a customer-managed KMS key whose policy admits CloudWatch Logs for this account's log groups. */
  kmsKeyArn: pulumi.Input<string>;
  /** Days to keep the logs; a value CloudWatch Logs accepts. */
  retentionInDays: number;
}

/**
 * A CloudWatch log group encrypted with the stack's logs key and kept for the configured time. Components create
 * their log groups through this (also those an AWS service would otherwise create itself, unencrypted and kept
 * forever), so every log group of the stack is encrypted and expires.
 */
export function encryptedLogGroup(
  resourceName: string,
  logGroupName: string,
  destination: LogDestination,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    resourceName,
    {
      name: logGroupName,
      retentionInDays: destination.retentionInDays,
      kmsKeyId: destination.kmsKeyArn,
      tags: { Name: resourceName },
    },
    opts,
  );
}
