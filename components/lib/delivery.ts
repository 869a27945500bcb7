/**
 * What the bootstrap program (one per AWS account) and the CloudWeave stacks agree on: the names of the state
 * bucket, the secrets key's alias, the CI roles and the permissions boundary, and where Pulumi's DIY backend keeps a
 * stack's files. Both sides import these, so the deploy role's policy and the stack's roles cannot drift apart.
 */

/** The Pulumi project of the CloudWeave stacks (`name` in the root `Pulumi.yaml`). */
export const STACKS_PROJECT = "cloudweave";

/**
 * The tag whose value says which environment a resource belongs to. Every stack tags every resource with it
 * (`aws:defaultTags`, checked against `cloudweave:environment` by config/schema.ts), and the CI roles' guardrails
 * refuse to act on a resource tagged with another environment's value.
 */
export const ENVIRONMENT_TAG = "Environment";

/**
 * The tag whose value names the Pulumi stack a resource belongs to. A primary and its standby share an account and an
 * environment (ADR 24), so the stack's budget counts the costs carrying this tag, once it is activated as a cost
 * allocation tag (docs/delivery.md).
 */
export const STACK_TAG = "Stack";

/** Prefix of the roles and policies the bootstrap program creates for CI; no stack's deploy role may change them. */
export const CI_ROLE_PREFIX = "cloudweave-ci-";

/** The role pull-request previews of every stack in an account assume. */
export const PREVIEW_ROLE_NAME = `${CI_ROLE_PREFIX}preview`;

/** The role a stack's deploy job assumes (only from the GitHub environment of the same name). */
export function deployRoleName(stack: string): string {
  return `${CI_ROLE_PREFIX}deploy-${stack}`;
}

/**
 * The role a stack's flags workflow assumes to deploy feature-flag values (npm run flags), only from the GitHub
 * environment {@link flagsEnvironment}: AppConfig deployments, nothing else.
 */
export function flagsRoleName(stack: string): string {
  return `${CI_ROLE_PREFIX}flags-${stack}`;
}

/** The GitHub environment that deploys a stack's flag values (its own protection rules, not the deploy's). */
export function flagsEnvironment(stack: string): string {
  return `${stack}-flags`;
}

/** Prefix of the IAM role names an environment's stacks create (`cloudweave-<environment>-…`, from index.ts). */
export function environmentRolePrefix(environment: string): string {
  return `cloudweave-${environment}-`;
}

/**
 * The tag the bootstrap program puts on everything it creates. CI roles may use the state bucket and keys it marks
 * (objects, encrypt, decrypt) but change nothing that carries it.
 */
export const BOOTSTRAP_TAG = { key: "cloudweave:bootstrap", value: "true" } as const;

/** The name of the bootstrap program's state backend component: its keys' aliases start with it. */
export const STATE_BACKEND_NAME = "cloudweave-pulumi";

/**
 * The alias of a stack's secrets key, the same in the backend's region and in the second region (on the key's
 * multi-Region replica). One key per stack: where stacks share an account, one stack's roles cannot decrypt another's
 * secrets (the key policy names the stack's own CI roles).
 */
export function secretsKeyAlias(stack: string): string {
  return `alias/${STATE_BACKEND_NAME}-secrets-${stack}`;
}

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

/** `--secrets-provider` of a stack whose secrets key is used in `region`: the key (or its replica) by alias. */
export function secretsProviderUrl(stack: string, region: string): string {
  return `awskms://${secretsKeyAlias(stack)}?region=${region}`;
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

/** Every stack's lock files: what the preview role may write. */
export const ALL_LOCKS_KEY = ".pulumi/locks/*";

/** The backend's version marker, read by every CLI that logs in (pulumi/pulumi pkg/backend/diy/meta.go). */
export const BACKEND_META_KEY = ".pulumi/meta.yaml";
