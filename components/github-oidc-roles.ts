import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "./aws-account";

const GITHUB_OIDC = "token.actions.githubusercontent.com";

/** Arguments of {@link GitHubOidcRoles}. */
export interface GitHubOidcRolesArgs {
  account: AwsAccount;
  /** The repository whose workflows may assume the roles. */
  github: { owner: string; repository: string };
  /** The stacks CI deploys; each gets a deploy role, assumable only from the GitHub environment of that name. */
  stacks: string[];
  /** The state backend: its bucket, and the keys of state files and stack secrets. */
  state: { bucketArn: pulumi.Input<string>; keyArns: pulumi.Input<string>[] };
  /** Longest session of a deploy role, in seconds (a production update with a blue/green bake runs long). @default 7200 */
  maxSessionSeconds?: number;
}

/** The role name of the preview role, and of each stack's deploy role (the secrets key's policy names them). */
export const CI_ROLE_PREFIX = "cloudweave-ci-";

/**
 * Keyless CI: GitHub's OIDC provider and the roles its workflows assume — one read-mostly role for pull-request
 * previews, one deploy role per stack that only that stack's GitHub environment (with its protection rules) can
 * assume. No long-lived AWS keys exist anywhere.
 */
export class GitHubOidcRoles extends pulumi.ComponentResource {
  /** The preview role's ARN (`AWS_PREVIEW_ROLE_ARN` repository variable). */
  public readonly previewRoleArn: pulumi.Output<string>;
  /** Each stack's deploy role ARN (`AWS_DEPLOY_ROLE_ARN` variable of its GitHub environment). */
  public readonly deployRoleArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: GitHubOidcRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:delivery:GitHubOidcRoles", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const repository = `${args.github.owner}/${args.github.repository}`;

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
    const stateAccess = (write: "locks" | "all") => [
      {
        Sid: "ListState",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: args.state.bucketArn,
      },
      {
        Sid: "ReadState",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: pulumi.interpolate`${args.state.bucketArn}/*`,
      },
      {
        Sid: write === "all" ? "WriteState" : "WriteLocks",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:DeleteObject"],
        Resource:
          write === "all"
            ? pulumi.interpolate`${args.state.bucketArn}/*`
            : pulumi.interpolate`${args.state.bucketArn}/.pulumi/locks/*`,
      },
      {
        Sid: "StateAndSecretsKeys",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: args.state.keyArns,
      },
    ];

    const preview = new aws.iam.Role(
      `${name}-preview`,
      {
        name: `${CI_ROLE_PREFIX}preview`,
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
      { role: preview.name, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: stateAccess("locks") }) },
      child,
    );

    this.deployRoleArns = {};
    for (const stack of args.stacks) {
      // Pulumi names the stack's IAM resources after the stack's prefix; the deploy role manages those only.
      const ownRoles = pulumi.interpolate`arn:${partition}:iam::${accountId}:role/cloudweave-${stack}-*`;
      const ownPolicies = pulumi.interpolate`arn:${partition}:iam::${accountId}:policy/cloudweave-${stack}-*`;
      const role = new aws.iam.Role(
        `${name}-deploy-${stack}`,
        {
          name: `${CI_ROLE_PREFIX}deploy-${stack}`,
          description: `Deploys the ${stack} stack of ${repository} from its GitHub environment`,
          assumeRolePolicy: trust(`repo:${repository}:environment:${stack}`),
          maxSessionDuration: args.maxSessionSeconds ?? 7200,
        },
        child,
      );
      // Everything but IAM and Organizations; IAM below, limited to the stack's own roles.
      new aws.iam.RolePolicyAttachment(
        `${name}-deploy-${stack}-power-user`,
        { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/PowerUserAccess` },
        child,
      );
      new aws.iam.RolePolicy(
        `${name}-deploy-${stack}`,
        {
          role: role.name,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              ...stateAccess("all"),
              {
                Sid: "ManageTheStacksOwnRoles",
                Effect: "Allow",
                Action: [
                  "iam:CreateRole",
                  "iam:DeleteRole",
                  "iam:UpdateRole",
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
            ],
          }),
        },
        child,
      );
      this.deployRoleArns[stack] = role.arn;
    }

    this.previewRoleArn = preview.arn;
    this.registerOutputs({ previewRoleArn: this.previewRoleArn, deployRoleArns: this.deployRoleArns });
  }
}
