/**
 * The bootstrap program: what the CloudWeave stacks need before their first `pulumi up` in a new account — the
 * state backend and secrets key, and the GitHub OIDC roles CI assumes. Run once per account (README: bootstrapping).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CI_ROLE_PREFIX, GitHubOidcRoles } from "../components/github-oidc-roles";
import { StateBackend } from "../components/state-backend";
import { parseBootstrapConfig } from "./config";

const settings = Object.fromEntries(
  Object.entries(pulumi.runtime.allConfig())
    .filter(([key]) => key.startsWith("cloudweave-bootstrap:") || key === "aws:region" || key === "aws:defaultTags")
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
  accountId: aws.getCallerIdentityOutput().accountId,
  partition: aws.getPartitionOutput().partition,
  region: config.region,
};

const backend = new StateBackend("cloudweave-pulumi", {
  account,
  drRegion: config.drRegion,
  versionRetentionDays: config.stateVersionRetentionDays,
  // The CI roles below (named in advance: the key's policy cannot refer to roles that do not exist yet) and the
  // people who run pulumi by hand.
  secretsKeyUsers: [
    pulumi.interpolate`arn:${account.partition}:iam::${account.accountId}:role/${CI_ROLE_PREFIX}*`,
    ...config.operatorRoleArnPatterns,
  ],
  defaultTags: config.defaultTags,
});

const ci = new GitHubOidcRoles("cloudweave-ci", {
  account,
  github: config.github,
  stacks: config.stacks,
  state: { bucketArn: backend.bucketArn, keyArns: [backend.keyArns.state, backend.keyArns.secrets] },
});

/** `pulumi login <backendUrl>` for the CloudWeave stacks; the repository variable PULUMI_BACKEND_URL. */
export const backendUrl = backend.backendUrl;
/** The replica, for a recovery in the second region. */
export const drBackendUrl = backend.drBackendUrl;
/** `pulumi stack init <stack> --secrets-provider <secretsProvider>`. */
export const secretsProvider = backend.secretsProvider;
export const drSecretsProvider = backend.drSecretsProvider;
/** Repository variable AWS_PREVIEW_ROLE_ARN. */
export const previewRoleArn = ci.previewRoleArn;
/** Variable AWS_DEPLOY_ROLE_ARN of each GitHub environment. */
export const deployRoleArns = ci.deployRoleArns;
