/**
 * The bootstrap program: what the CloudWeave stacks of one AWS account need before their first `pulumi up` — the
 * state backend and a secrets key per stack, the GitHub OIDC roles CI assumes, and each environment's permissions
 * boundary. One bootstrap stack per account (`Pulumi.<account>.yaml`): docs/delivery.md.
 */
import * as aws from "../components/lib/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ALL_LOCKS_KEY,
  BACKEND_META_KEY,
  PREVIEW_ROLE_NAME,
  STACKS_PROJECT,
  STATE_BACKEND_NAME,
  deployRoleName,
  flagsEnvironment,
  stackStateKeys,
} from "../components/lib/delivery";
import { GitHubOidcRoles } from "./components/github-oidc-roles";
import { StateBackend } from "./components/state-backend";
import { parseBootstrapConfig } from "./config";

/** Provider settings the program reads besides its own namespace. */
const PROVIDER_KEYS = ["aws:region", "aws:allowedAccountIds", "aws:defaultTags"];
const settings = Object.fromEntries(
  Object.entries(pulumi.runtime.allConfig())
    .filter(([key]) => key.startsWith("cloudweave-bootstrap:") || PROVIDER_KEYS.includes(key))
    .map(([key, text]) => {
      try {
        return [key, JSON.parse(text) as unknown];
      } catch {
        return [key, text];
      }
    }),
);
const config = parseBootstrapConfig(settings);

const account = {
  accountId: config.accountId,
  partition: aws.getPartitionOutput().partition,
};
// The CI roles are named in advance: the keys' and the bucket's policies name them before they exist.
const roleArn = (name: string) => pulumi.interpolate`arn:${account.partition}:iam::${account.accountId}:role/${name}`;
const previewRole = roleArn(PREVIEW_ROLE_NAME);

const backend = new StateBackend(STATE_BACKEND_NAME, {
  region: config.region,
  account,
  drRegion: config.drRegion,
  versionRetentionDays: config.stateVersionRetentionDays,
  // A stack's secrets: its deploy role, the previews, and the people who run pulumi by hand.
  stacks: config.stacks.map((stack) => ({
    ...stack,
    secretsKeyUsers: [roleArn(deployRoleName(stack.name)), previewRole, ...config.operatorRoleArnPatterns],
  })),
  // Each deploy role reads and writes its own stack's state objects only; previews write lock files only.
  confinedPrincipals: [
    ...config.stacks.map((stack) => {
      const keys = stackStateKeys(STACKS_PROJECT, stack.name);
      return {
        principalArn: roleArn(deployRoleName(stack.name)),
        read: [BACKEND_META_KEY],
        write: [...keys.state, keys.locks],
      };
    }),
    { principalArn: previewRole, read: ["*"], write: [ALL_LOCKS_KEY] },
  ],
  defaultTags: config.defaultTags,
});

const ci = new GitHubOidcRoles("cloudweave-ci", {
  account,
  github: config.github,
  stacks: config.stacks,
  project: STACKS_PROJECT,
  state: {
    bucketArn: backend.bucketArn,
    stateKeyArn: backend.stateKeyArn,
    secretsKeyArns: Object.fromEntries(
      Object.entries(backend.secrets).map(([stack, secrets]) => [stack, secrets.keyArn]),
    ),
  },
});

/** `pulumi login <backendUrl>` for this account's stacks. */
export const backendUrl = backend.backendUrl;
/** The replica, for a recovery in the second region (docs/runbook-restore.md). */
export const drBackendUrl = backend.drBackendUrl;
/** `pulumi stack init <stack> --secrets-provider <secretsProviders[stack]>`, and the replica key's. */
export const secretsProviders = Object.fromEntries(
  Object.entries(backend.secrets).map(([stack, secrets]) => [stack, secrets.secretsProvider]),
);
export const drSecretsProviders = Object.fromEntries(
  Object.entries(backend.secrets).map(([stack, secrets]) => [stack, secrets.drSecretsProvider]),
);
export const previewRoleArn = ci.previewRoleArn;
export const deployRoleArns = ci.deployRoleArns;
export const flagsRoleArns = ci.flagsRoleArns;
export const permissionsBoundaryArns = ci.permissionsBoundaryArns;

/** Suffix of a stack's repository variables: `production-dr` → `PRODUCTION_DR`. */
const variableSuffix = (stack: string) => stack.toUpperCase().replace(/-/g, "_");
/**
 * What to set in GitHub (docs/delivery.md): each stack's environment gets the deploy role and the backend, and its
 * flags environment the flags role; the repository gets each stack's preview role and backend, which pull requests
 * (no environment) read.
 */
export const githubVariables = {
  environments: Object.fromEntries(
    config.stacks.flatMap((stack): [string, Record<string, pulumi.Input<string> | undefined>][] => [
      [stack.name, { AWS_DEPLOY_ROLE_ARN: ci.deployRoleArns[stack.name], PULUMI_BACKEND_URL: backend.backendUrl }],
      [flagsEnvironment(stack.name), { AWS_FLAGS_ROLE_ARN: ci.flagsRoleArns[stack.name] }],
    ]),
  ),
  repository: Object.fromEntries(
    config.stacks.flatMap((stack) => [
      [`AWS_PREVIEW_ROLE_ARN_${variableSuffix(stack.name)}`, ci.previewRoleArn],
      [`PULUMI_BACKEND_URL_${variableSuffix(stack.name)}`, backend.backendUrl],
    ]),
  ),
};
