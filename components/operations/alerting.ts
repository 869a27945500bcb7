import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { serviceTrustPolicy } from "../lib/service-trust";

/** How urgent an alarm is: `critical` pages someone now, `warning` is looked at in working hours. */
export type Severity = "critical" | "warning";

export const SEVERITIES: readonly Severity[] = ["critical", "warning"];

/** The topic AWS Budgets may publish to (a stack's budget alerts it): spending is for working hours. */
export const BUDGET_SEVERITY: Severity = "warning";

/**
 * Where AWS Chatbot's API lives: one of the four regions that serve it, and the one its console uses
 * (https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html). Its channels subscribe to topics anywhere.
 */
export const CHATBOT_REGION = "us-east-2";

/**
 * The form of a PagerDuty "Amazon CloudWatch" integration's endpoint
 * (https://support.pagerduty.com/main/docs/amazon-cloudwatch-integration-guide).
 */
const PAGERDUTY_URL = /^https:\/\/events\.pagerduty\.com\/integration\/[A-Za-z0-9]+\/enqueue$/;

/** Who hears of one severity's alarms besides its SNS topic. */
export interface AlertRecipients {
  /** E-mail addresses subscribed to the topic; each confirms once from the message SNS sends it. @default [] */
  emails?: readonly string[];
  /** A Slack channel AWS Chatbot posts the alarms to (the workspace authorised once in Chatbot). @default none */
  slack?: { workspaceId: string; channelId: string };
}

/** Arguments of {@link Alerting}. */
export interface AlertingArgs {
  /** The account; the topics accept messages from this account's alarms, vaults and rules only. */
  account: AwsAccount;
  /** ARN of the customer-managed KMS key that encrypts the topics (its policy must admit the publishing services). */
  kmsKeyArn: pulumi.Input<string>;
  /** Who receives each severity's alarms besides its topic. */
  recipients: Record<Severity, AlertRecipients>;
  /**
   * PagerDuty's CloudWatch integration, subscribed to the critical topic: critical alarms page.
   * @default no paging
   */
  pagerDuty?: {
    /** The integration URL (a secret). */
    integrationUrl: pulumi.Input<string>;
    /** The Secrets Manager secret the URL was read from, named when it holds something else. */
    secretName: string;
  };
  /** Why critical alarms page no one; repeated as a preview warning. Required without `pagerDuty`. */
  unpagedReason?: string;
}

/**
 * One encrypted SNS topic per severity, the destination of every alarm and AWS Backup event, and the people behind
 * each: e-mail subscriptions, a Slack channel through AWS Chatbot, and PagerDuty for critical alarms.
 */
export class Alerting extends pulumi.ComponentResource {
  /** The topic of each severity, for alarm actions and event targets. */
  public readonly topicArns: Record<Severity, pulumi.Output<string>>;
  /** Whether critical alarms page someone. */
  public readonly paging: boolean;
  /** Who receives each severity, in words (PagerDuty, e-mail addresses, Slack channels). */
  public readonly routing: Record<Severity, string[]>;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:operations:Alerting", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const region = regionOf(this);

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
              // Each publisher with the condition keys its documentation shows it sends; a key a service does not send
              // would block it silently.
              {
                // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
                // (confused deputy prevention: aws:SourceArn of the alarm, aws:SourceAccount).
                Sid: "ThisAccountsAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: {
                  ArnLike: {
                    "aws:SourceArn": pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*`,
                  },
                  StringEquals: { "aws:SourceAccount": accountId },
                },
              },
              {
                // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
                // (aws:SourceArn of the rule).
                Sid: "ThisAccountsRulesPublish",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: {
                  ArnLike: {
                    "aws:SourceArn": pulumi.interpolate`arn:${partition}:events:${region}:${accountId}:rule/*`,
                  },
                },
              },
              {
                // https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-service-confused-deputy-prevention.html
                // (aws:SourceArn of the vault, aws:SourceAccount).
                Sid: "ThisAccountsVaultsPublish",
                Effect: "Allow",
                Principal: { Service: "backup.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: {
                  ArnLike: {
                    "aws:SourceArn": pulumi.interpolate`arn:${partition}:backup:${region}:${accountId}:backup-vault:*`,
                  },
                  StringEquals: { "aws:SourceAccount": accountId },
                },
              },
              // Budgets alerts on spending, which is for working hours: only the warning topic takes them.
              ...(severity === BUDGET_SEVERITY
                ? [
                    {
                      // https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
                      // (aws:SourceArn of the account's budgets, aws:SourceAccount; budget ARNs carry no region).
                      Sid: "ThisAccountsBudgetsPublish",
                      Effect: "Allow",
                      Principal: { Service: "budgets.amazonaws.com" },
                      Action: "sns:Publish",
                      Resource: topic.arn,
                      Condition: {
                        ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition}:budgets::${accountId}:*` },
                        StringEquals: { "aws:SourceAccount": accountId },
                      },
                    },
                  ]
                : []),
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

    const routing: Record<Severity, string[]> = { critical: [], warning: [] };
    if (args.pagerDuty !== undefined) {
      const { secretName } = args.pagerDuty;
      const endpoint = pulumi.secret(
        pulumi.output(args.pagerDuty.integrationUrl).apply((url) => {
          if (!PAGERDUTY_URL.test(url)) {
            throw new Error(
              `${name}: the PagerDuty secret ${secretName} does not hold a CloudWatch integration URL (https://events.pagerduty.com/integration/<key>/enqueue): put the URL of the PagerDuty service's Amazon CloudWatch integration in it`,
            );
          }
          return url;
        }),
      );
      new aws.sns.TopicSubscription(
        `${name}-pagerduty`,
        // PagerDuty confirms the subscription itself.
        { topic: topics.critical.arn, protocol: "https", endpoint, endpointAutoConfirms: true },
        child,
      );
      routing.critical.push("PagerDuty (pages the on-call)");
    } else {
      void pulumi.log.warn(
        `critical alarms page no one: ${args.unpagedReason ?? "no PagerDuty integration (cloudweave:alerting.critical.pagerDuty)"}`,
        this,
      );
    }

    let chatbotRole: aws.iam.Role | undefined;
    for (const severity of SEVERITIES) {
      const recipients = args.recipients[severity];
      for (const email of recipients.emails ?? []) {
        new aws.sns.TopicSubscription(
          `${name}-${severity}-${email.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
          { topic: topics[severity].arn, protocol: "email", endpoint: email },
          child,
        );
        routing[severity].push(`e-mail ${email}`);
      }
      if (recipients.slack) {
        chatbotRole ??= this.chatbotRole(name, args.account);
        new aws.chatbot.SlackChannelConfiguration(
          `${name}-${severity}-slack`,
          {
            configurationName: `${name}-${severity}`,
            region: CHATBOT_REGION,
            iamRoleArn: chatbotRole.arn,
            slackTeamId: recipients.slack.workspaceId,
            slackChannelId: recipients.slack.channelId,
            snsTopicArns: [topics[severity].arn],
            // Whatever a channel member's own permissions, the channel can read CloudWatch and nothing else.
            guardrailPolicyArns: [
              pulumi.interpolate`arn:${args.account.partition}:iam::aws:policy/CloudWatchReadOnlyAccess`,
            ],
            loggingLevel: "ERROR",
          },
          // A fixed name, unique in the account: a replacement removes the old channel configuration first.
          { ...child, deleteBeforeReplace: true },
        );
        routing[severity].push(`Slack ${recipients.slack.workspaceId}/${recipients.slack.channelId}`);
      }
    }

    this.topicArns = { critical: topics.critical.arn, warning: topics.warning.arn };
    this.paging = args.pagerDuty !== undefined;
    this.routing = routing;
    this.registerOutputs({ topicArns: this.topicArns, paging: this.paging, routing: this.routing });
  }

  /**
   * The role AWS Chatbot's channels act with: it reads the alarms and metrics a notification shows, nothing else
   * (the "Notification permissions" policy template of
   * https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html).
   */
  private chatbotRole(name: string, account: AwsAccount): aws.iam.Role {
    const role = new aws.iam.Role(
      `${name}-chatbot`,
      {
        permissionsBoundary: account.permissionsBoundaryArn,
        description: `AWS Chatbot posts the alarms of ${name} to Slack`,
        assumeRolePolicy: serviceTrustPolicy("chatbot.amazonaws.com", account.accountId),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-chatbot`,
      {
        role: role.name,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              // CloudWatch's read actions have no resource-level permissions.
              Sid: "ReadAlarmsForNotifications",
              Effect: "Allow",
              Action: ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
              Resource: "*",
            },
          ],
        }),
      },
      { parent: this },
    );
    return role;
  }
}
