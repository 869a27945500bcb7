import * as aws from "../../components/lib/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../../components/lib/aws-account";
import {
  ALL_LOCKS_KEY,
  BACKEND_META_KEY,
  BOOTSTRAP_TAG,
  CI_ROLE_PREFIX,
  ENVIRONMENT_TAG,
  PREVIEW_ROLE_NAME,
  deployRoleName,
  environmentRolePrefix,
  flagsEnvironment,
  flagsRoleName,
  permissionsBoundaryName,
  stackStateKeys,
} from "../../components/lib/delivery";

const GITHUB_OIDC = "token.actions.githubusercontent.com";

/** A stack CI deploys from this account. */
export interface CiStack {
  /** The stack's name, which is also the name of the GitHub environment that deploys it. */
  name: string;
  /** Its `cloudweave:environment`: the `Environment` tag of its resources and the prefix of its roles. */
  environment: string;
}

/** Arguments of {@link GitHubOidcRoles}. */
export interface GitHubOidcRolesArgs {
  account: AwsAccount;
  /** The repository whose workflows may assume the roles. */
  github: { owner: string; repository: string };
  /** The stacks CI deploys into this account; each gets a deploy role, assumable only from its GitHub environment. */
  stacks: CiStack[];
  /** The Pulumi project of the stacks: their state objects are under its name. */
  project: string;
  /** The state backend: its bucket, the key of its objects, and each stack's secrets key by stack name. */
  state: {
    bucketArn: pulumi.Input<string>;
    stateKeyArn: pulumi.Input<string>;
    secretsKeyArns: Record<string, pulumi.Input<string>>;
  };
  /** Longest session of a deploy role, in seconds (a production update with a blue/green bake runs long). @default 7200 */
  maxSessionSeconds?: number;
}

/**
 * Keyless CI: GitHub's OIDC provider and the roles its workflows assume — one read-mostly role for pull-request
 * previews, one deploy role per stack that only that stack's GitHub environment (with its protection rules) can
 * assume — and the permissions boundary of each environment. No long-lived AWS keys exist anywhere.
 *
 * A deploy role holds `PowerUserAccess` and IAM rights over its environment's roles only, fenced by guardrails that
 * hold even where stacks share an account: it acts on no resource tagged with another `Environment` and tags none
 * so; it creates roles only with its environment's permissions boundary (which carries the same fence), so nothing
 * it creates can do more; and it changes nothing the bootstrap program made. Its state objects and secrets key are
 * its own stack's only (the state bucket's policy and the keys' policies, in {@link StateBackend}).
 */
export class GitHubOidcRoles extends pulumi.ComponentResource {
  /** The preview role's ARN. */
  public readonly previewRoleArn: pulumi.Output<string>;
  /** Each stack's deploy role ARN, by stack name. */
  public readonly deployRoleArns: Record<string, pulumi.Output<string>>;
  /** Each stack's flags role ARN (AppConfig deployments of flag values only), by stack name. */
  public readonly flagsRoleArns: Record<string, pulumi.Output<string>>;
  /** Each environment's permissions boundary (managed policy ARN), by environment. */
  public readonly permissionsBoundaryArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: GitHubOidcRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:delivery:GitHubOidcRoles", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const repository = `${args.github.owner}/${args.github.repository}`;
    const iamArn = (kind: "role" | "policy", resource: string) =>
      pulumi.interpolate`arn:${partition}:iam::${accountId}:${kind}/${resource}`;
    const objects = (keys: string[]) => keys.map((key) => pulumi.interpolate`${args.state.bucketArn}/${key}`);

    const provider = new aws.iam.OpenIdConnectProvider(
      `${name}-github`,
      { url: `https://${GITHUB_OIDC}`, clientIdLists: ["sts.amazonaws.com"], tags: { Name: "github-actions" } },
      child,
    );
    const trust = (subject: string) =>
      pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: provider.arn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { [`${GITHUB_OIDC}:aud`]: "sts.amazonaws.com", [`${GITHUB_OIDC}:sub`]: subject },
            },
          },
        ],
      });
    const useKeys = (sid: string, keyArns: pulumi.Input<string>[]) => ({
      Sid: sid,
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: keyArns,
    });
    const listState = {
      Sid: "ListState",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetBucketLocation"],
      Resource: args.state.bucketArn,
    };

    // --- Previews: read everything, write lock files only -------------------------------------------------------
    const preview = new aws.iam.Role(
      `${name}-preview`,
      {
        name: PREVIEW_ROLE_NAME,
        description: `Pull-request previews of ${repository}: reads the account and the state, changes nothing`,
        assumeRolePolicy: trust(`repo:${repository}:pull_request`),
        maxSessionDuration: 3600,
      },
      child,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-preview-read-only`,
      { role: preview.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/ReadOnlyAccess` },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-preview-state`,
      {
        role: preview.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            listState,
            { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: objects(["*"]) },
            {
              Sid: "WriteLocks",
              Effect: "Allow",
              Action: ["s3:PutObject", "s3:DeleteObject"],
              Resource: objects([ALL_LOCKS_KEY]),
            },
            useKeys("StateAndSecretsKeys", [args.state.stateKeyArn, ...Object.values(args.state.secretsKeyArns)]),
          ],
        }),
      },
      child,
    );

    // --- Each environment's permissions boundary ---------------------------------------------------------------
    this.permissionsBoundaryArns = {};
    for (const environment of [...new Set(args.stacks.map((stack) => stack.environment))]) {
      const boundary = new aws.iam.Policy(
        `${name}-boundary-${environment}`,
        {
          name: permissionsBoundaryName(environment),
          description: `The most any role of the ${environment} stacks may do; every such role carries it`,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "EverythingButIdentityManagement",
                Effect: "Allow",
                NotAction: ["iam:*", "organizations:*", "account:*"],
                Resource: "*",
              },
              {
                // e.g. the fault-injection agent hands its managed-instance role to Systems Manager.
                Sid: "PassTheEnvironmentsOwnRoles",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: iamArn("role", `${environmentRolePrefix(environment)}*`),
              },
              ...environmentGuardrails(environment, "all"),
            ],
          }),
        },
        child,
      );
      this.permissionsBoundaryArns[environment] = boundary.arn;
    }

    // --- One deploy role per stack ----------------------------------------------------------------------------
    this.deployRoleArns = {};
    for (const stack of args.stacks) {
      const ownRoles = iamArn("role", `${environmentRolePrefix(stack.environment)}*`);
      const ownPolicies = iamArn("policy", `${environmentRolePrefix(stack.environment)}*`);
      const boundaryArn = iamArn("policy", permissionsBoundaryName(stack.environment));
      const keys = stackStateKeys(args.project, stack.name);
      const role = new aws.iam.Role(
        `${name}-deploy-${stack.name}`,
        {
          name: deployRoleName(stack.name),
          description: `Deploys the ${stack.name} stack of ${repository} from its GitHub environment`,
          assumeRolePolicy: trust(`repo:${repository}:environment:${stack.name}`),
          maxSessionDuration: args.maxSessionSeconds ?? 7200,
        },
        child,
      );
      // Everything but IAM and Organizations; IAM below, limited to the environment's own roles.
      new aws.iam.RolePolicyAttachment(
        `${name}-deploy-${stack.name}-power-user`,
        { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/PowerUserAccess` },
        child,
      );
      new aws.iam.RolePolicy(
        `${name}-deploy-${stack.name}`,
        {
          role: role.name,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              listState,
              {
                Sid: "ReadTheBackendAndItsOwnState",
                Effect: "Allow",
                Action: "s3:GetObject",
                Resource: objects([BACKEND_META_KEY, ...keys.state, keys.locks]),
              },
              {
                Sid: "WriteItsOwnState",
                Effect: "Allow",
                Action: ["s3:PutObject", "s3:DeleteObject"],
                Resource: objects([...keys.state, keys.locks]),
              },
              useKeys("StateAndItsOwnSecretsKey", [
                args.state.stateKeyArn,
                args.state.secretsKeyArns[stack.name] ?? missing(stack.name),
              ]),
              {
                // Only roles that carry the environment's boundary (CreateRole and PutRolePermissionsBoundary
                // take the iam:PermissionsBoundary condition key: Service Authorization Reference, IAM).
                Sid: "CreateRolesWithinTheBoundary",
                Effect: "Allow",
                Action: ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
                Resource: ownRoles,
                Condition: { StringEquals: { "iam:PermissionsBoundary": boundaryArn } },
              },
              {
                Sid: "ManageTheEnvironmentsOwnRoles",
                Effect: "Allow",
                Action: [
                  "iam:DeleteRole",
                  "iam:UpdateRole",
                  "iam:UpdateRoleDescription",
                  "iam:UpdateAssumeRolePolicy",
                  "iam:TagRole",
                  "iam:UntagRole",
                  "iam:PutRolePolicy",
                  "iam:DeleteRolePolicy",
                  "iam:AttachRolePolicy",
                  "iam:DetachRolePolicy",
                  "iam:PassRole",
                  "iam:CreatePolicy",
                  "iam:DeletePolicy",
                  "iam:CreatePolicyVersion",
                  "iam:DeletePolicyVersion",
                  "iam:TagPolicy",
                  "iam:UntagPolicy",
                ],
                Resource: [ownRoles, ownPolicies],
              },
              {
                Sid: "ReadIam",
                Effect: "Allow",
                Action: [
                  "iam:GetRole",
                  "iam:GetRolePolicy",
                  "iam:GetPolicy",
                  "iam:GetPolicyVersion",
                  "iam:ListRolePolicies",
                  "iam:ListAttachedRolePolicies",
                  "iam:ListRoleTags",
                  "iam:ListInstanceProfilesForRole",
                  "iam:ListPolicyVersions",
                ],
                Resource: "*",
              },
              {
                Sid: "ServiceLinkedRoles",
                Effect: "Allow",
                Action: "iam:CreateServiceLinkedRole",
                Resource: "*",
                Condition: {
                  StringEquals: {
                    "iam:AWSServiceName": [
                      "ecs.amazonaws.com",
                      "elasticloadbalancing.amazonaws.com",
                      "rds.amazonaws.com",
                      "elasticache.amazonaws.com",
                      "ecs.application-autoscaling.amazonaws.com",
                      "backup.amazonaws.com",
                    ],
                  },
                },
              },
              ...environmentGuardrails(stack.environment, "bootstrap-data-plane"),
              {
                Sid: "KeepEveryBoundary",
                Effect: "Deny",
                Action: "iam:DeleteRolePermissionsBoundary",
                Resource: "*",
              },
              {
                Sid: "LeaveCiRolesAndBoundariesAlone",
                Effect: "Deny",
                Action: IAM_WRITES,
                Resource: [iamArn("role", `${CI_ROLE_PREFIX}*`), iamArn("policy", `${CI_ROLE_PREFIX}*`)],
              },
            ],
          }),
        },
        child,
      );
      this.deployRoleArns[stack.name] = role.arn;
    }

    // --- One flags role per stack: deploys feature-flag values to the stack's AppConfig environment -----------
    this.flagsRoleArns = {};
    for (const stack of args.stacks) {
      const role = new aws.iam.Role(
        `${name}-flags-${stack.name}`,
        {
          name: flagsRoleName(stack.name),
          description: `Deploys the feature-flag values of the ${stack.name} stack of ${repository} (npm run flags)`,
          assumeRolePolicy: trust(`repo:${repository}:environment:${flagsEnvironment(stack.name)}`),
          maxSessionDuration: args.maxSessionSeconds ?? 7200,
        },
        child,
      );
      const appconfigArn = (resource: string) =>
        pulumi.interpolate`arn:${partition}:appconfig:*:${accountId}:${resource}`;
      new aws.iam.RolePolicy(
        `${name}-flags-${stack.name}`,
        {
          role: role.name,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                // Both list actions have no resource type: "*" only (Service Authorization Reference, AWS AppConfig).
                Sid: "FindTheFlags",
                Effect: "Allow",
                Action: ["appconfig:ListApplications", "appconfig:ListDeploymentStrategies"],
                Resource: "*",
              },
              {
                // What scripts/flags.ts calls: new hosted versions and deployments of them; no create or delete of
                // applications, environments, profiles or strategies (the stack's), no StopDeployment.
                Sid: "DeployFlagValues",
                Effect: "Allow",
                Action: [
                  "appconfig:ListEnvironments",
                  "appconfig:ListConfigurationProfiles",
                  "appconfig:ListDeployments",
                  "appconfig:GetDeployment",
                  "appconfig:ListHostedConfigurationVersions",
                  "appconfig:GetHostedConfigurationVersion",
                  "appconfig:CreateHostedConfigurationVersion",
                  "appconfig:StartDeployment",
                ],
                Resource: [appconfigArn("application/*"), appconfigArn("deploymentstrategy/*")],
              },
              // The application, environment, profile and strategy carry the stack's Environment tag.
              ...environmentGuardrails(stack.environment, "all"),
            ],
          }),
        },
        child,
      );
      this.flagsRoleArns[stack.name] = role.arn;
    }

    this.previewRoleArn = preview.arn;
    this.registerOutputs({
      previewRoleArn: this.previewRoleArn,
      deployRoleArns: this.deployRoleArns,
      flagsRoleArns: this.flagsRoleArns,
      permissionsBoundaryArns: this.permissionsBoundaryArns,
    });
  }
}

/** IAM actions that change a role or a policy. */
const IAM_WRITES = [
  "iam:Create*",
  "iam:Delete*",
  "iam:Put*",
  "iam:Update*",
  "iam:Attach*",
  "iam:Detach*",
  "iam:Set*",
  "iam:Tag*",
  "iam:Untag*",
  "iam:PassRole",
];

/**
 * What the bootstrap program's resources stay open to for CI: the state objects (locks and checkpoints) and
 * encryption with the keys. Everything else on them (bucket policy, key policy, deletion, tags) is refused.
 */
const BOOTSTRAP_DATA_PLANE = [
  "s3:ListBucket",
  "s3:GetBucketLocation",
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:PutObject",
  "s3:DeleteObject",
  "kms:Decrypt",
  "kms:Encrypt",
  "kms:GenerateDataKey*",
  "kms:DescribeKey",
];

/**
 * The deny statements that keep an environment's principals to their own environment's resources:
 * - nothing tagged with another `Environment` (`aws:ResourceTag`), and no tagging anything so (`aws:RequestTag`);
 * - nothing the bootstrap program made, and no marking anything as made by it. `bootstrap-data-plane` leaves its
 *   state objects and keys usable for data (deploy roles read and write their state), `all` refuses even that.
 *
 * The tag conditions pair `StringNotEquals` with `Null: false`: a negated operator is true when the key is absent
 * from the request (IAM User Guide, "Condition operators"), which would refuse every untagged resource and every
 * action of a service that sends no tags. With the `Null` check, only resources that carry the tag are judged.
 */
function environmentGuardrails(environment: string, bootstrap: "all" | "bootstrap-data-plane"): object[] {
  const tagged = (key: string) => ({ Null: { [key]: "false" } });
  return [
    {
      Sid: "NoOtherEnvironmentsResources",
      Effect: "Deny",
      Action: "*",
      Resource: "*",
      Condition: {
        StringNotEquals: { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: environment },
        ...tagged(`aws:ResourceTag/${ENVIRONMENT_TAG}`),
      },
    },
    {
      Sid: "NoTaggingForOtherEnvironments",
      Effect: "Deny",
      Action: "*",
      Resource: "*",
      Condition: {
        StringNotEquals: { [`aws:RequestTag/${ENVIRONMENT_TAG}`]: environment },
        ...tagged(`aws:RequestTag/${ENVIRONMENT_TAG}`),
      },
    },
    {
      Sid: "NoChangesToTheBootstrapResources",
      Effect: "Deny",
      ...(bootstrap === "all" ? { Action: "*" } : { NotAction: BOOTSTRAP_DATA_PLANE }),
      Resource: "*",
      Condition: { StringEquals: { [`aws:ResourceTag/${BOOTSTRAP_TAG.key}`]: BOOTSTRAP_TAG.value } },
    },
    {
      Sid: "NoTaggingAsBootstrap",
      Effect: "Deny",
      Action: "*",
      Resource: "*",
      Condition: { ...tagged(`aws:RequestTag/${BOOTSTRAP_TAG.key}`) },
    },
  ];
}

function missing(stack: string): never {
  throw new Error(`GitHubOidcRoles: no secrets key for stack "${stack}" in state.secretsKeyArns`);
}
