import { expect } from "chai";
import type { StackRun } from "../offline/harness";
import { AwsMocks, SETTING_RULES } from "../offline/mocks";
import { renderReleaseOrder } from "../offline/plan";
import { checkPlan, type CheckPlan } from "../functions/release-checks/hook";
import { evaluate, type PolicyDocument } from "./iam-evaluator";
import {
  STACKS,
  byArn,
  byId,
  canaryRelease,
  json,
  ofType,
  prefixOf,
  revealed,
  single,
  stackConfig,
  stackRun,
} from "./helpers";

interface Hook {
  targetType: string;
  hookTargetArn: string;
  roleArn: string;
  lifecycleStages: string[];
  hookDetails: string;
}

function hooksOf(run: StackRun, prefix: string, service: "frontend" | "backend"): Hook[] {
  const ecsService = single(run, "aws:ecs/service:Service", `${prefix}-${service}-service`);
  return (ecsService.inputs.deploymentConfiguration as { lifecycleHooks: Hook[] }).lifecycleHooks;
}

/** The plan a hook passes, checked as the function checks it at its first invocation. */
function planOf(hook: Hook): CheckPlan {
  return checkPlan(JSON.parse(hook.hookDetails) as Record<string, unknown>);
}

describe("release checks on every stack (ECS lifecycle hooks)", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      const prefix = prefixOf(stack);
      const config = stackConfig(stack);
      before(async () => (run = await stackRun(stack)));

      it("checks each release of both services after the test shift and after the production shift, with the stack's budgets", () => {
        const fn = single(run, "aws:lambda/function:Function", `${prefix}-release-checks-function`);
        for (const service of ["frontend", "backend"] as const) {
          const hooks = hooksOf(run, prefix, service);
          expect(hooks, service).to.have.length(1);
          const [hook] = hooks as [Hook];
          expect(hook.targetType).to.equal("AWS_LAMBDA");
          expect(hook.hookTargetArn).to.equal(fn.outputs.arn);
          expect(hook.lifecycleStages).to.deep.equal(["POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"]);
          expect(planOf(hook).budgetMinutes).to.deep.equal({
            test: config.deployment.checks.testMinutes,
            production: config.deployment.checks.productionMinutes,
          });
        }
      });

      it("tests the frontend's new tasks through the public load balancer's own name, with the origin and test headers", () => {
        const plan = planOf(hooksOf(run, prefix, "frontend")[0] as Hook);
        const publicAlb = single(run, "aws:lb/loadBalancer:LoadBalancer", `${prefix}-public-alb`);
        // The name the certificate and rules answer to, at the addresses of this stack's load balancer.
        expect(plan).to.deep.include({
          suite: "site",
          url: `https://origin.${config.domain.name}`,
          connectTo: publicAlb.outputs.dnsName,
          testCredentialSecretArn: run.outputs.testTrafficSecretArn,
        });
        // The secret of the header the frontend's rules require: the edge's, or a standby's replica of the primary's.
        const cdn = run.outputs.cdn as { originVerifySecretArn: string } | undefined;
        const replica = run.calls.find(
          (call) =>
            call.token === "aws:secretsmanager/getSecret:getSecret" &&
            String(call.inputs.name).includes("origin-verify"),
        );
        expect(plan.requiredCredentialSecretArns).to.deep.equal([cdn?.originVerifySecretArn ?? replica?.outputs.arn]);
        expect(plan.requiredCredentialSecretArns[0]).to.be.a("string");
        const rules = ofType(run, "aws:lb/listenerRule:ListenerRule").filter((rule) =>
          rule.name.startsWith(`${prefix}-frontend-`),
        );
        expect(rules).to.have.length(2);
        for (const rule of rules) {
          const headers = (revealed(rule.inputs.conditions) as { httpHeader?: { httpHeaderName: string } }[]).flatMap(
            (condition) => condition.httpHeader?.httpHeaderName ?? [],
          );
          expect(headers, rule.name).to.include("X-Origin-Verify");
        }
      });

      it("tests the backend's new tasks through the internal API load balancer, whose rules need the test header only", () => {
        const plan = planOf(hooksOf(run, prefix, "backend")[0] as Hook);
        expect(plan).to.deep.include({
          suite: "api",
          url: `https://api.internal.${config.domain.name}`,
          testCredentialSecretArn: run.outputs.testTrafficSecretArn,
          requiredCredentialSecretArns: [],
        });
        expect(plan.connectTo).to.equal(undefined);
      });

      it("lets ECS alone invoke the function, and nothing else, through the hooks' role", () => {
        const fn = single(run, "aws:lambda/function:Function", `${prefix}-release-checks-function`);
        const roleArn = (hooksOf(run, prefix, "backend")[0] as Hook).roleArn;
        const role = byArn(run, roleArn);
        const trust = json<PolicyDocument>(role, "assumeRolePolicy");
        expect([trust.Statement].flat().map((statement) => statement.Principal)).to.deep.equal([
          { Service: "ecs.amazonaws.com" },
        ]);
        const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy")
          .filter((policy) => policy.inputs.role === role.outputs.name)
          .map((policy) => json<PolicyDocument>(policy, "policy"));
        const request = (action: string, resource: string) =>
          evaluate({ identityPolicies: policies }, { principalArn: roleArn, action, resource });
        expect(request("lambda:InvokeFunction", String(fn.outputs.arn))).to.equal("allow");
        const rotation = ofType(run, "aws:lambda/function:Function").find((other) => other.urn !== fn.urn)!;
        expect(request("lambda:InvokeFunction", String(rotation.outputs.arn)), "another function").to.equal(
          "implicit deny",
        );
        expect(request("lambda:UpdateFunctionCode", String(fn.outputs.arn))).to.equal("implicit deny");
      });

      it("runs the function in the private subnets with the release checks' group, reading only the headers it sends", () => {
        const fn = single(run, "aws:lambda/function:Function", `${prefix}-release-checks-function`);
        const groups = run.outputs.securityGroupIds as Record<string, string>;
        expect(fn.inputs.vpcConfig).to.deep.equal({
          subnetIds: run.outputs.privateSubnetIds,
          securityGroupIds: [groups.releaseChecks],
        });
        const role = byArn(run, fn.inputs.role);
        const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy")
          .filter((policy) => policy.inputs.role === role.outputs.name)
          .map((policy) => json<PolicyDocument>(policy, "policy"));
        const read = (secretArn: unknown) =>
          evaluate(
            { identityPolicies: policies },
            {
              principalArn: String(role.outputs.arn),
              action: "secretsmanager:GetSecretValue",
              resource: String(secretArn),
            },
          );
        const plan = planOf(hooksOf(run, prefix, "frontend")[0] as Hook);
        for (const secret of [plan.testCredentialSecretArn, ...plan.requiredCredentialSecretArns])
          expect(read(secret), secret).to.equal("allow");
        for (const secret of Object.values(run.outputs.secretArns as Record<string, string>))
          expect(read(secret), `an application secret: ${secret}`).to.equal("implicit deny");
        // Its group admits nothing and reaches the load balancers (and AWS APIs) on HTTPS only.
        const rules = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        expect(rules.filter((rule) => rule.inputs.securityGroupId === groups.releaseChecks)).to.deep.equal([]);
        const egress = ofType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter(
          (rule) => rule.inputs.securityGroupId === groups.releaseChecks,
        );
        expect(egress.map((rule) => rule.inputs.fromPort)).to.deep.equal([443, 443]);
        expect(byId(run, groups.releaseChecks).inputs.vpcId).to.equal(run.outputs.vpcId);
      });

      it("checks a canary before each production step too", async () => {
        const canary = await stackRun(stack, canaryRelease(stack));
        for (const service of ["frontend", "backend"] as const) {
          expect((hooksOf(canary, prefix, service)[0] as Hook).lifecycleStages, service).to.deep.equal([
            "POST_TEST_TRAFFIC_SHIFT",
            "PRE_PRODUCTION_TRAFFIC_SHIFT",
            "POST_PRODUCTION_TRAFFIC_SHIFT",
          ]);
        }
      });
    });
  }
});

describe("lifecycle hooks ECS or the provider refuse (offline/mocks.ts SETTING_RULES)", () => {
  const rejections = (deploymentConfiguration: Record<string, unknown>) => {
    const mocks = new AwsMocks("us-east-1");
    mocks.newResource({
      type: "aws:ecs/service:Service",
      name: "subject",
      inputs: { name: "subject", deploymentConfiguration },
      custom: true,
    });
    return mocks.rejections.map((rejection) => rejection.replace(/ \(https:.*\)$/, ""));
  };
  const lambda = {
    hookTargetArn: "arn:aws:lambda:us-east-1:111122223333:function:f",
    roleArn: "arn:aws:iam::1:role/r",
  };

  it("accepts Lambda hooks at every stage, and pause hooks before and after the shifts", () => {
    expect(
      rejections({
        strategy: "LINEAR",
        lifecycleHooks: [
          {
            ...lambda,
            lifecycleStages: [
              "RECONCILE_SERVICE",
              "TEST_TRAFFIC_SHIFT",
              "PRE_PRODUCTION_TRAFFIC_SHIFT",
              "PRODUCTION_TRAFFIC_SHIFT",
            ],
            hookDetails: '{"plan":{}}',
          },
          { targetType: "PAUSE", lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT"] },
        ],
      }),
    ).to.deep.equal([]);
  });

  it("refuses unknown stages, pause hooks a rollback would meet, Lambda hooks without a role, and non-object details", () => {
    expect(
      rejections({
        strategy: "BLUE_GREEN",
        lifecycleHooks: [
          { ...lambda, lifecycleStages: ["AFTER_BAKE"], hookDetails: "[1]" },
          { targetType: "PAUSE", lifecycleStages: ["PRODUCTION_TRAFFIC_SHIFT"] },
          { hookTargetArn: lambda.hookTargetArn, lifecycleStages: ["POST_SCALE_UP"] },
        ],
      }),
    ).to.deep.equal([
      'aws:ecs/service:Service "subject": deploymentConfiguration.lifecycleHooks[0]: AFTER_BAKE is not a lifecycle stage (RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRE_PRODUCTION_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT)',
      'aws:ecs/service:Service "subject": deploymentConfiguration.lifecycleHooks[0]: hookDetails is not a JSON object',
      'aws:ecs/service:Service "subject": deploymentConfiguration.lifecycleHooks[1]: a PAUSE hook cannot run at PRODUCTION_TRAFFIC_SHIFT, which a rollback re-invokes',
      'aws:ecs/service:Service "subject": deploymentConfiguration.lifecycleHooks[2]: an AWS_LAMBDA hook needs hookTargetArn and roleArn',
    ]);
    expect(
      rejections({ strategy: "ROLLING", lifecycleHooks: [{ ...lambda, lifecycleStages: ["POST_SCALE_UP"] }] }),
    ).to.deep.equal([
      'aws:ecs/service:Service "subject": lifecycle hooks need a BLUE_GREEN, CANARY or LINEAR deployment, not ROLLING',
    ]);
    expect(SETTING_RULES.map((rule) => rule.type)).to.include("aws:ecs/service:Service");
  });
});

describe("the offline plan's release order (offline/plan.ts renderReleaseOrder)", () => {
  it("lays each service's declared deployment and hooks on ECS's stage order, checks where hooks run", async () => {
    const canary = await stackRun("production", canaryRelease("production"));
    const text = renderReleaseOrder(canary);
    const frontend = text
      .split(/\n {2}(?=\S)/)
      .find((block) => block.startsWith("cloudweave-production-frontend-service"))!;
    const stages = frontend
      .split("\n")
      .slice(1)
      .map((line) =>
        line
          .trim()
          .replace(/^\d+\. /, "")
          .replace(/ {2,}/g, " | "),
      );
    const { checks, bakeTimeMinutes } = stackConfig("production").deployment;
    expect(stages).to.deep.equal([
      "SCALE_UP | ≤20 min | the new tasks start and pass their health checks",
      "TEST_TRAFFIC_SHIFT | the test rule sends test traffic to the new tasks",
      `POST_TEST_TRAFFIC_SHIFT | [hook] | ≤${checks.testMinutes} min | release checks: the smoke suite against the new tasks through the test rule`,
      `PRE_PRODUCTION_TRAFFIC_SHIFT | [hook] | ≤${checks.productionMinutes} min | release checks against the new tasks before 5% of production traffic`,
      "PRODUCTION_TRAFFIC_SHIFT | 5% of production traffic moves to the new tasks",
      "PRODUCTION_TRAFFIC_SHIFT | ≤20 min | bake at 5%: the alarms roll back",
      `PRE_PRODUCTION_TRAFFIC_SHIFT | [hook] | ≤${checks.productionMinutes} min | release checks against the new tasks before 100% of production traffic`,
      "PRODUCTION_TRAFFIC_SHIFT | 100% of production traffic moves to the new tasks",
      `POST_PRODUCTION_TRAFFIC_SHIFT | [hook] | ≤${checks.productionMinutes} min | release checks under production traffic`,
      `BAKE_TIME | ≤${bakeTimeMinutes} min | the old tasks stay up for an instant rollback: the alarms roll back`,
      "CLEAN_UP | the old tasks stop",
    ]);
    // The bounds add up to what pulumi up waits for the service.
    const service = single(canary, "aws:ecs/service:Service", "cloudweave-production-frontend-service");
    const total = [...frontend.matchAll(/≤(\d+) min/g)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(service.customTimeouts.update).to.equal(`${total}m`);
  });

  it("calls out a checked stage no hook runs at", async () => {
    const run = await stackRun("staging");
    const unhooked: StackRun = {
      ...run,
      resources: run.resources.map((resource) =>
        resource.type === "aws:ecs/service:Service"
          ? {
              ...resource,
              inputs: {
                ...resource.inputs,
                deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: "5" },
              },
            }
          : resource,
      ),
    };
    expect(renderReleaseOrder(unhooked)).to.include("POST_TEST_TRAFFIC_SHIFT        [NO HOOK]");
  });
});
