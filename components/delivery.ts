/**
 * What the bootstrap program (one per AWS account) and the CloudWeave stacks agree on: the names of the state
 * bucket, the secrets key's alias, the CI roles and the permissions boundary, and where Pulumi's DIY backend keeps a
 * stack's files. Both sides import these, so the deploy role's policy and the stack's roles cannot drift apart.
 */

/** The Pulumi project of the CloudWeave stacks (`name` in the root `Pulumi.yaml`). */
export const STACKS_PROJECT = "cloudweave";

/** Prefix of the roles the bootstrap program creates for CI (the preview role, each stack's deploy role). */
export const CI_ROLE_PREFIX = "cloudweave-ci-";

/** The alias of each account's secrets key, in its region and in the second region (on the multi-Region replica). */
export const SECRETS_KEY_ALIAS = "alias/cloudweave-pulumi-secrets";

/**
 * The state bucket of an account in a region. Named after both, so a stack file, the runbook and CI can name the
 * backend of an account without reading the bootstrap program's state (which a regional outage may make
 * unreachable), and so the name is unique in S3's global namespace. At most 63 characters: 24 + 12 + 1 + region.
 */
export function stateBucketName(accountId: string, region: string): string {
  return `cloudweave-pulumi-state-${accountId}-${region}`;
}

/** `pulumi login` URL of a state bucket (the CLI's S3 backend, AWS SDK v2 credentials chain). */
export function backendUrl(bucket: string, region: string): string {
  return `s3://${bucket}?region=${region}&awssdk=v2`;
}

/** `--secrets-provider` of the stacks whose state lives in `region`: the account's secrets key there, by alias. */
export function secretsProviderUrl(region: string): string {
  return `awskms://${SECRETS_KEY_ALIAS}?region=${region}`;
}

/** Name of the managed policy every role of an environment's stacks carries as its permissions boundary. */
export function permissionsBoundaryName(environment: string): string {
  return `${CI_ROLE_PREFIX}boundary-${environment}`;
}

/**
 * Object keys (S3 patterns, relative to the bucket) of one stack's files in a DIY backend with project-scoped
 * stacks, as the Pulumi CLI writes them (pulumi/pulumi pkg/backend/diy: store.go `StackBasePath`, `HistoryDir`,
 * `BackupDir` under `.pulumi/{stacks,history,backups}/<project>/<stack>`; lock.go `stackLockDir` under
 * `.pulumi/locks/` + the fully qualified name `organization/<project>/<stack>`). The checkpoint may be written
 * gzip- or zstd-compressed, with a `.bak` beside it, hence `<stack>.json*`.
 */
export function stackStateKeys(project: string, stack: string): { state: string[]; locks: string } {
  return {
    state: [
      `.pulumi/stacks/${project}/${stack}.json*`,
      `.pulumi/history/${project}/${stack}/*`,
      `.pulumi/backups/${project}/${stack}/*`,
    ],
    locks: `.pulumi/locks/organization/${project}/${stack}/*`,
  };
}

/** The backend's version marker, read by every CLI that logs in (pulumi/pulumi pkg/backend/diy/meta.go). */
export const BACKEND_META_KEY = ".pulumi/meta.yaml";
