import * as pulumi from "@pulumi/pulumi";

/**
 * The confused-deputy condition keys each AWS service sends when it assumes a role, as the service's documentation of
 * that role shows them. A key a service does not send would make the role fail at its first use — long after
 * `pulumi up` succeeded — so a service documented without them gets a plain trust policy.
 */
const DOCUMENTED_KEYS: Readonly<Record<string, { sourceArn: boolean; source: string }>> = {
  "vpc-flow-logs.amazonaws.com": {
    sourceArn: true,
    source: "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
  },
  "ecs-tasks.amazonaws.com": {
    sourceArn: true,
    source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
  },
  "fis.amazonaws.com": {
    sourceArn: true,
    source: "https://docs.aws.amazon.com/fis/latest/userguide/getting-started-iam-service-role.html",
  },
  "ssm.amazonaws.com": {
    sourceArn: true,
    source: "https://docs.aws.amazon.com/systems-manager/latest/userguide/hybrid-multicloud-service-role.html",
  },
};

/**
 * Services whose role documentation shows a trust policy without condition keys (so they may not send them):
 * ECS's infrastructure role for load balancers
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/infrastructure_IAM_role.html), AppConfig's alarm
 * role (https://docs.aws.amazon.com/appconfig/latest/userguide/getting-started-with-appconfig-cloudwatch-alarms-permissions.html),
 * AWS Backup's service role (https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html), AWS
 * Chatbot's channel role (https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html), S3
 * replication's role (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html)
 * and a Lambda function's execution role (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html).
 */
const UNCONDITIONED = [
  "ecs.amazonaws.com",
  "appconfig.amazonaws.com",
  "backup.amazonaws.com",
  "chatbot.amazonaws.com",
  "s3.amazonaws.com",
  "lambda.amazonaws.com",
];

/**
 * The trust policy of a role an AWS service assumes on this account's behalf: the service principal, with
 * confused-deputy protection (`aws:SourceAccount`, and `aws:SourceArn` when the caller's resources can be named) for
 * the services whose documentation shows them sending those keys, and none for the others.
 */
export function serviceTrustPolicy(
  service: string,
  accountId: pulumi.Input<string>,
  sourceArn?: pulumi.Input<string>,
): pulumi.Output<string> {
  const documented = DOCUMENTED_KEYS[service];
  if (!documented && !UNCONDITIONED.includes(service)) {
    throw new Error(`${service}: look up which condition keys it sends and add it to components/lib/service-trust.ts`);
  }
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(documented
          ? {
              Condition: {
                StringEquals: { "aws:SourceAccount": accountId },
                ...(sourceArn && documented.sourceArn ? { ArnLike: { "aws:SourceArn": sourceArn } } : {}),
              },
            }
          : {}),
      },
    ],
  });
}
