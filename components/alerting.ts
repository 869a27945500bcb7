import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "./aws-account";

/** How urgent an alarm is: `critical` pages someone now, `warning` is looked at in working hours. */
export type Severity = "critical" | "warning";

export const SEVERITIES: readonly Severity[] = ["critical", "warning"];

/** Arguments of {@link Alerting}. */
export interface AlertingArgs {
  /** The account; the topics accept messages from this account's alarms, vaults and rules only. */
  account: AwsAccount;
  /** ARN of the customer-managed KMS key that encrypts the topics (its policy must admit the publishing services). */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * The PagerDuty CloudWatch integration URL (a secret) subscribed to the critical topic. Without it the stack
   * still deploys, and a warning says that nothing pages.
   * @default none
   */
  pagerDutyIntegrationUrl?: pulumi.Input<string>;
}

/**
 * One encrypted SNS topic per severity: the destination of every alarm (and AWS Backup's job notifications), with
 * a PagerDuty subscription on the critical topic when configured.
 */
export class Alerting extends pulumi.ComponentResource {
  /** The topic of each severity, for alarm actions. */
  public readonly topicArns: Record<Severity, pulumi.Output<string>>;
  /** Whether critical alarms page someone. */
  public readonly paging: boolean;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:operations:Alerting", name, {}, opts);
    const child = { parent: this };
    const { accountId } = args.account;

    const topics = {} as Record<Severity, aws.sns.Topic>;
    for (const severity of SEVERITIES) {
      const topic = new aws.sns.Topic(
        `${name}-${severity}`,
        { displayName: `CloudWeave ${severity} alerts`, kmsMasterKeyId: args.kmsKeyArn, tags: { Severity: severity } },
        child,
      );
      new aws.sns.TopicPolicy(
        `${name}-${severity}`,
        {
          arn: topic.arn,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "ThisAccountsAlarmsVaultsAndRulesPublish",
                Effect: "Allow",
                Principal: { Service: ["cloudwatch.amazonaws.com", "backup.amazonaws.com", "events.amazonaws.com"] },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
              },
              {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
              },
            ],
          }),
        },
        child,
      );
      topics[severity] = topic;
    }

    if (args.pagerDutyIntegrationUrl !== undefined) {
      new aws.sns.TopicSubscription(
        `${name}-pagerduty`,
        {
          topic: topics.critical.arn,
          protocol: "https",
          endpoint: pulumi.secret(args.pagerDutyIntegrationUrl),
          // PagerDuty confirms the subscription itself.
          endpointAutoConfirms: true,
        },
        child,
      );
    } else {
      void pulumi.log.warn(
        "cloudweave:pagerDutyIntegrationUrl is not set: critical alarms reach the SNS topic but page no one. " +
          "Set it with `pulumi config set --secret cloudweave:pagerDutyIntegrationUrl <url>`.",
        this,
      );
    }

    this.topicArns = { critical: topics.critical.arn, warning: topics.warning.arn };
    this.paging = args.pagerDutyIntegrationUrl !== undefined;
    this.registerOutputs({ topicArns: this.topicArns, paging: this.paging });
  }
}
