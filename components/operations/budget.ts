import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * When the budget speaks: a forecast above 80 % of the month's amount, so someone can act before it is spent, and
 * actual spend above 100 %. Both go to one topic: spending is for working hours, not for paging.
 */
export const BUDGET_NOTIFICATIONS = [
  { notificationType: "FORECASTED", thresholdPercent: 80 },
  { notificationType: "ACTUAL", thresholdPercent: 100 },
] as const;

/** Arguments of {@link Budget}. */
export interface BudgetArgs {
  /**
   * The budget's name, unique in the account (a primary and its standby share one): AWS allows 1-100 characters
   * without `:` or `\` (components/lib/aws-names.ts).
   */
  budgetName: string;
  /** The month's amount in US dollars. */
  monthlyLimitUsd: number;
  /**
   * The cost allocation tag that selects the stack's costs. It counts only once activated in the payer account's
   * Billing console (`aws ce update-cost-allocation-tags-status`, docs/delivery.md).
   */
  costAllocationTag: { key: string; value: string };
  /** The SNS topic every notification goes to; its policy must let `budgets.amazonaws.com` publish (Alerting does). */
  topicArn: pulumi.Input<string>;
}

/** An AWS Budgets cost budget for one stack, alerting a topic on the month's forecast and actual spend. */
export class Budget extends pulumi.ComponentResource {
  /** The budget's name. */
  public readonly budgetName: pulumi.Output<string>;
  /** The budget's ARN (`arn:<partition>:budgets::<account>:budget/<name>`). */
  public readonly budgetArn: pulumi.Output<string>;

  constructor(name: string, args: BudgetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:operations:Budget", name, {}, opts);
    const { key, value } = args.costAllocationTag;
    const budget = new aws.budgets.Budget(
      `${name}-monthly`,
      {
        name: args.budgetName,
        budgetType: "COST",
        timeUnit: "MONTHLY",
        limitAmount: args.monthlyLimitUsd.toFixed(2),
        limitUnit: "USD",
        // A user-defined cost allocation tag is filtered as `user:<key>$<value>`
        // (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Budget.html, CostFilters).
        costFilters: [{ name: "TagKeyValue", values: [`user:${key}$${value}`] }],
        notifications: BUDGET_NOTIFICATIONS.map(({ notificationType, thresholdPercent }) => ({
          notificationType,
          comparisonOperator: "GREATER_THAN",
          threshold: thresholdPercent,
          thresholdType: "PERCENTAGE",
          subscriberSnsTopicArns: [args.topicArn],
        })),
      },
      { parent: this },
    );
    this.budgetName = budget.name;
    this.budgetArn = budget.arn;
    this.registerOutputs({ budgetName: this.budgetName, budgetArn: this.budgetArn });
  }
}
