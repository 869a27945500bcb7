import { expect } from "chai";
import { readStackSettings, runStack, stackNames, type StackRun } from "../offline/harness";
import { MOCK_ACCOUNT_ID } from "../offline/mocks";
import { STACKS, byArn, json, ofType, single } from "./helpers";

describe("whole stacks on mocks", () => {
  it("covers every stack file in the project", () => {
    expect(stackNames()).to.deep.equal([...STACKS].sort());
  });

  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      before(async () => (run = await runStack(stack)));

      it("runs index.ts to completion as one stack", () => {
        expect(run.project).to.equal("cloudweave");
        const root = single(run, "pulumi:pulumi:Stack");
        expect(root.name).to.equal(`cloudweave-${stack}`);
        expect(run.resources.filter((resource) => resource.parent === undefined)).to.deep.equal([root]);
      });

      it("declares every cloud resource inside a cloudweave component, named after it", () => {
        const components = new Map(
          run.resources.filter((resource) => !resource.custom && resource.parent).map((c) => [c.urn, c]),
        );
        for (const component of components.values()) {
          expect(component.type, component.name).to.match(/^cloudweave:[a-z]+:[A-Z][A-Za-z]+$/);
          expect(component.name.startsWith(`cloudweave-${stack}`), component.name).to.equal(true);
        }
        for (const resource of run.resources.filter((r) => r.custom)) {
          const parent = components.get(resource.parent ?? "");
          expect(parent, `${resource.type} ${resource.name} has a component parent`).to.not.equal(undefined);
          expect(resource.name.startsWith(`${parent?.name}-`), resource.name).to.equal(true);
        }
      });

      it("encrypts the flow logs with the stack's rotating customer-managed logs key", () => {
        const key = single(run, "aws:kms/key:Key");
        expect(key.inputs).to.include({ enableKeyRotation: true, deletionWindowInDays: 30 });
        const statements = json<{
          Statement: { Sid: string; Principal: Record<string, string>; Condition?: unknown }[];
        }>(key, "policy").Statement;
        expect(statements.map((statement) => statement.Principal)).to.deep.equal([
          { AWS: `arn:aws:iam::${MOCK_ACCOUNT_ID}:root` },
          { Service: "logs.us-east-1.amazonaws.com" },
        ]);
        expect(statements[1]?.Condition).to.deep.equal({
          ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:us-east-1:${MOCK_ACCOUNT_ID}:log-group:*` },
        });
        const flowLog = single(run, "aws:ec2/flowLog:FlowLog");
        expect(byArn(run, flowLog.inputs.logDestination).inputs.kmsKeyId).to.equal(key.outputs.arn);
      });

      it("takes the flow-log retention from the stack file", () => {
        const configured = (readStackSettings(stack)["cloudweave:vpc"] as { flowLogs: { retentionInDays: number } })
          .flowLogs.retentionInDays;
        expect(single(run, "aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays).to.equal(configured);
      });

      it(stack === "production" ? "protects stateful resources from deletion" : "leaves resources unprotected", () => {
        const protectedTypes = run.resources.filter((resource) => resource.protect).map((resource) => resource.type);
        expect(protectedTypes.sort()).to.deep.equal(
          stack === "production" ? ["aws:cloudwatch/logGroup:LogGroup", "aws:ec2/vpc:Vpc", "aws:kms/key:Key"] : [],
        );
      });

      it("exports the network's ids for the other tiers and operators", () => {
        const vpc = single(run, "aws:ec2/vpc:Vpc");
        expect(run.outputs.vpcId).to.equal(vpc.id);
        expect(run.outputs.environment).to.equal(stack);
        for (const key of ["publicSubnetIds", "privateSubnetIds", "databaseSubnetIds"]) {
          expect(run.outputs[key], key).to.have.length(3);
        }
        expect(run.outputs.natPublicIps).to.have.length(stack === "production" ? 3 : 1);
        expect(Object.keys(run.outputs.securityGroupIds as object).sort()).to.deep.equal([
          "alb",
          "backend",
          "cache",
          "database",
          "frontend",
        ]);
        expect(
          ofType(run, "aws:ec2/securityGroup:SecurityGroup")
            .map((group) => group.id)
            .sort(),
        ).to.deep.equal(Object.values(run.outputs.securityGroupIds as object).sort());
      });
    });
  }
});
