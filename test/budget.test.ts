import { expect } from "chai";
import { ProgramFailed, runStack } from "../offline/harness";
import { isConfigError } from "../config";
import { evaluate, type PolicyDocument } from "./iam-evaluator";
import { GAME_DAY_STACKS, STACKS, json, ofType, prefixOf, single, stackRun, type Statement } from "./helpers";

const BUDGET = "aws:budgets/budget:Budget";
const BUDGETS_SERVICE = "budgets.amazonaws.com";

describe("a budget per stack, alerting the warning topic", () => {
  for (const stack of [...STACKS, ...GAME_DAY_STACKS]) {
    describe(stack, () => {
      it("counts the costs tagged with this stack: forecast above 80 % and actual above 100 % go to the warning topic", async () => {
        const run = await stackRun(stack);
        const budget = single(run, BUDGET);
        expect(budget.inputs).to.include({
          name: `cloudweave-${stack}-monthly`,
          budgetType: "COST",
          timeUnit: "MONTHLY",
          limitUnit: "USD",
        });
        // A primary and its standby share an account: the tag, not the account, tells their costs apart.
        expect(budget.inputs.costFilters).to.deep.equal([{ name: "TagKeyValue", values: [`user:Stack$${stack}`] }]);
        const defaultTags = JSON.parse(run.config["aws:defaultTags"] ?? "{}") as { tags: Record<string, string> };
        expect(defaultTags.tags.Stack, "the stack file's Stack tag, which every resource carries").to.equal(stack);
        const warning = single(run, "aws:sns/topic:Topic", `${prefixOf(stack)}-alerts-warning`);
        expect(budget.inputs.notifications).to.have.deep.members([
          {
            notificationType: "FORECASTED",
            comparisonOperator: "GREATER_THAN",
            threshold: 80,
            thresholdType: "PERCENTAGE",
            subscriberSnsTopicArns: [warning.outputs.arn],
          },
          {
            notificationType: "ACTUAL",
            comparisonOperator: "GREATER_THAN",
            threshold: 100,
            thresholdType: "PERCENTAGE",
            subscriberSnsTopicArns: [warning.outputs.arn],
          },
        ]);
        expect(Number(budget.inputs.limitAmount)).to.be.greaterThan(0);
      });

      it("lets this account's budgets, and only them, publish to the warning topic and use its key", async () => {
        const run = await stackRun(stack);
        const budgetArn = String(single(run, BUDGET).outputs.arn);
        expect(budgetArn).to.equal(`arn:aws:budgets::${run.accountId}:budget/cloudweave-${stack}-monthly`);
        const topicPolicy = (severity: string): PolicyDocument => {
          const topic = single(run, "aws:sns/topic:Topic", `${prefixOf(stack)}-alerts-${severity}`);
          const policy = ofType(run, "aws:sns/topicPolicy:TopicPolicy").find((p) => p.inputs.arn === topic.outputs.arn);
          return json<PolicyDocument>(policy!, "policy");
        };
        const publish = (severity: string, sourceArn: string, sourceAccount: string) =>
          evaluate(
            { identityPolicies: [] },
            {
              principalArn: BUDGETS_SERVICE,
              action: "sns:Publish",
              resource: String(single(run, "aws:sns/topic:Topic", `${prefixOf(stack)}-alerts-${severity}`).outputs.arn),
              context: {
                "aws:SourceArn": sourceArn,
                "aws:SourceAccount": sourceAccount,
                "aws:SecureTransport": "true",
              },
            },
            topicPolicy(severity),
          );
        expect(publish("warning", budgetArn, run.accountId)).to.equal("allow");
        expect(publish("critical", budgetArn, run.accountId), "spending never pages").to.equal("implicit deny");
        const foreign = budgetArn.replace(run.accountId, "999999999999");
        expect(publish("warning", foreign, "999999999999"), "another account's budget").to.equal("implicit deny");

        const alertsKey = single(run, "aws:kms/key:Key", `${prefixOf(stack)}-alerts-key`);
        const keyPolicy = json<{ Statement: Statement[] }>(alertsKey, "policy");
        const grant = keyPolicy.Statement.find((statement) =>
          ([] as string[])
            .concat((statement.Principal?.Service as string | string[] | undefined) ?? [])
            .includes(BUDGETS_SERVICE),
        );
        expect(grant?.Action, "Budgets encrypts what it publishes to the encrypted topic").to.have.members([
          "kms:Decrypt",
          "kms:GenerateDataKey*",
        ]);
      });
    });
  }

  it("refuses a stack file whose Stack tag names another stack, before declaring anything", async () => {
    const error = await runStack("production-dr", {
      configOverrides: {
        "aws:defaultTags": {
          tags: { Project: "cloudweave", Environment: "production", ManagedBy: "pulumi", Stack: "production" },
        },
      },
    }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(ProgramFailed);
    const failed = error as ProgramFailed;
    expect(isConfigError(failed.cause)).to.equal(true);
    expect(failed.message).to.include(
      `aws:defaultTags.tags.Stack = "production": must be this stack's name, production-dr`,
    );
    expect(failed.declared.filter((resource) => resource.custom)).to.deep.equal([]);
  });
});
