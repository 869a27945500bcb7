import { expect } from "chai";
import { Alerting, type AlertingArgs } from "../components/operations/alerting";
import { ProgramFailed, readStackSettings, runProgram, type StackRun } from "../offline/harness";
import { AwsMocks, MOCK_ACCOUNT_ID, SecretValue, type DeclaredResource } from "../offline/mocks";
import { renderAlertRouting } from "../offline/plan";
import { STACKS, prefixOf, stackConfig, json, ofType, single, stackRun, type Statement } from "./helpers";

const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const SLACK = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration";

function topicOf(run: StackRun, severity: "critical" | "warning"): DeclaredResource {
  return single(run, "aws:sns/topic:Topic", `${prefixOf(run.stack)}-alerts-${severity}`);
}

function subscriptionsOf(run: StackRun, topic: DeclaredResource): DeclaredResource[] {
  return ofType(run, SUBSCRIPTION).filter((subscription) => subscription.inputs.topic === topic.outputs.arn);
}

/** An Alerting component's arguments with an e-mail recipient per severity, no paging. */
function alertingArgs(): AlertingArgs {
  return {
    account: { accountId: MOCK_ACCOUNT_ID, partition: "aws" },
    kmsKeyArn: `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/alerts`,
    recipients: { critical: { emails: ["oncall@cloudweave.io"] }, warning: { emails: ["platform@cloudweave.io"] } },
  };
}

describe("alerts reach people", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      before(async () => (run = await stackRun(stack)));

      it("subscribes someone to every severity's topic", () => {
        for (const severity of ["critical", "warning"] as const) {
          const receivers = [
            ...subscriptionsOf(run, topicOf(run, severity)),
            ...ofType(run, SLACK).filter((slack) =>
              (slack.inputs.snsTopicArns as unknown[]).includes(topicOf(run, severity).outputs.arn),
            ),
          ];
          expect(receivers, `${severity} alarms reach someone`).to.not.deep.equal([]);
          for (const email of receivers.filter((receiver) => receiver.inputs.protocol === "email")) {
            expect(String(email.inputs.endpoint)).to.match(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
          }
        }
      });

      it("lets only this account's alarms, rules and vaults publish, each with the keys its service sends", () => {
        const region = stackConfig(stack).region;
        for (const severity of ["critical", "warning"] as const) {
          const topic = topicOf(run, severity);
          const policy = ofType(run, "aws:sns/topicPolicy:TopicPolicy").find((p) => p.inputs.arn === topic.outputs.arn);
          const statements = json<{ Statement: Statement[] }>(policy!, "policy").Statement;
          const of = (service: string) =>
            statements.find((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: service }));
          expect(of("cloudwatch.amazonaws.com")?.Condition).to.deep.equal({
            ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${region}:${run.accountId}:alarm:*` },
            StringEquals: { "aws:SourceAccount": run.accountId },
          });
          expect(of("events.amazonaws.com")?.Condition).to.deep.equal({
            ArnLike: { "aws:SourceArn": `arn:aws:events:${region}:${run.accountId}:rule/*` },
          });
          expect(of("backup.amazonaws.com")?.Condition).to.deep.equal({
            ArnLike: { "aws:SourceArn": `arn:aws:backup:${region}:${run.accountId}:backup-vault:*` },
            StringEquals: { "aws:SourceAccount": run.accountId },
          });
          expect(statements).to.deep.include({
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "sns:Publish",
            Resource: topic.outputs.arn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          });
        }
      });

      it("shows who hears of each severity in the plan", () => {
        const routing = renderAlertRouting(run);
        expect(routing).to.match(/^ {2}critical .*email \S+@cloudweave\.io/m);
        expect(routing).to.match(/^ {2}warning .*email \S+@cloudweave\.io/m);
        expect(routing).to.not.include("NO ONE");
      });
    });
  }

  it("pages production's on-call through PagerDuty, with the URL from Secrets Manager as a secret", async () => {
    const run = await stackRun("production");
    const secretName = (
      readStackSettings("production")["cloudweave:alerting"] as {
        critical: { pagerDuty: { integrationUrlSecret: string } };
      }
    ).critical.pagerDuty.integrationUrlSecret;
    const paging = subscriptionsOf(run, topicOf(run, "critical")).filter((s) => s.inputs.protocol === "https");
    expect(paging).to.have.length(1);
    expect(paging[0]?.inputs.endpointAutoConfirms).to.equal(true);
    const endpoint = paging[0]?.inputs.endpoint;
    expect(endpoint).to.be.instanceOf(SecretValue);
    expect(new URL(String((endpoint as SecretValue).value)).host).to.equal("events.pagerduty.com");
    expect(JSON.stringify(run.outputs)).to.not.include("integration/");
    expect((run.outputs.operations as { paging: boolean }).paging).to.equal(true);
    expect(run.warnings.join("\n")).to.not.include("page no one");
    expect(secretName).to.match(/^cloudweave\/production\//);
    expect(renderAlertRouting(run)).to.match(/^ {2}critical .*https events\.pagerduty\.com \[secret\]/m);
  });

  it("says so when staging's critical alarms page no one", async () => {
    const run = await stackRun("staging");
    expect(subscriptionsOf(run, topicOf(run, "critical")).map((s) => s.inputs.protocol)).to.deep.equal(["email"]);
    expect(run.warnings.join("\n")).to.include("critical alarms page no one");
    expect((run.outputs.operations as { paging: boolean }).paging).to.equal(false);
  });

  it("lets production deploy without paging only with a reason, which the preview repeats", async () => {
    // The schema requires the reason in production (config.test); the component repeats it as a preview warning.
    const run = await runProgram("production", () => {
      new Alerting("cloudweave-production-alerts", {
        ...alertingArgs(),
        unpagedReason: "the PagerDuty service for CloudWeave is being set up (ticket OPS-142)",
      });
    });
    expect(subscriptionsOf(run, topicOf(run, "critical")).map((s) => s.inputs.protocol)).to.deep.equal(["email"]);
    expect(run.warnings.join("\n")).to.include(
      "critical alarms page no one: the PagerDuty service for CloudWeave is being set up (ticket OPS-142)",
    );
  });

  it("posts to Slack through AWS Chatbot, in a region Chatbot serves, with a read-only guardrail", async () => {
    const run = await runProgram("staging", () => {
      const args = alertingArgs();
      new Alerting("cloudweave-staging-alerts", {
        ...args,
        recipients: {
          ...args.recipients,
          warning: { emails: [], slack: { workspaceId: "T07ABCDE12", channelId: "C07PLATFORM" } },
        },
      });
    });
    const slack = single(run, SLACK);
    expect(slack.region).to.equal("us-east-2");
    expect(slack.inputs).to.include({ slackTeamId: "T07ABCDE12", slackChannelId: "C07PLATFORM" });
    expect(slack.inputs.snsTopicArns).to.deep.equal([topicOf(run, "warning").outputs.arn]);
    expect(slack.inputs.guardrailPolicyArns).to.deep.equal(["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]);
    const role = run.resources.find((resource) => resource.outputs.arn === slack.inputs.iamRoleArn)!;
    expect(json<{ Statement: Statement[] }>(role, "assumeRolePolicy").Statement).to.deep.equal([
      { Effect: "Allow", Principal: { Service: "chatbot.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const policy = ofType(run, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.outputs.name)!;
    const actions = json<{ Statement: Statement[] }>(policy, "policy").Statement.flatMap((s) => s.Action);
    expect(actions.every((action) => /^cloudwatch:(Describe|Get|List)\*$/.test(String(action)))).to.equal(true);
    expect(renderAlertRouting(run)).to.match(/^ {2}warning .*Slack T07ABCDE12\/C07PLATFORM/m);
  });

  it("fails the deployment when the PagerDuty secret holds something else, without repeating it", async () => {
    const failure = await runProgram("staging", () => {
      new Alerting("cloudweave-staging-alerts", {
        account: { accountId: MOCK_ACCOUNT_ID, partition: "aws" },
        kmsKeyArn: `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/alerts`,
        recipients: { critical: { emails: ["oncall@cloudweave.io"] }, warning: { emails: ["oncall@cloudweave.io"] } },
        pagerDuty: {
          integrationUrl: "https://hooks.example.com/services/very-secret-token",
          secretName: "cloudweave/staging/pagerduty-integration-url",
        },
      });
    }).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(ProgramFailed);
    const message = (failure as ProgramFailed).message;
    expect(message).to.include(
      "the PagerDuty secret cloudweave/staging/pagerduty-integration-url does not hold a CloudWatch integration URL",
    );
    expect(message).to.not.include("very-secret-token");
  });

  it("rejects a Chatbot channel in a region the Chatbot API does not serve", () => {
    const mocks = new AwsMocks("us-east-1");
    mocks.newResource({
      type: SLACK,
      name: "alerts-slack",
      inputs: { configurationName: "alerts", slackTeamId: "T1", slackChannelId: "C1", iamRoleArn: "arn" },
      custom: true,
    });
    expect(mocks.rejections).to.have.length(1);
    expect(mocks.rejections[0]).to.include("created in us-east-1, but the AWS Chatbot API is served in us-east-2");
  });

  it("names a topic no one receives in the plan", async () => {
    const run = await stackRun("staging");
    const silenced = { ...run, resources: run.resources.filter((resource) => resource.type !== SUBSCRIPTION) };
    expect(renderAlertRouting(silenced)).to.match(/^ {2}warning +NO ONE/m);
  });
});
