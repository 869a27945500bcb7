import * as aws from "../../components/lib/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../../components/lib/aws-account";
import {
  ENVIRONMENT_TAG,
  backendUrl,
  secretsKeyAlias,
  secretsProviderUrl,
  stateBucketName,
} from "../../components/lib/delivery";
import { EncryptionKey } from "../../components/security/encryption-key";
import { denyInsecureTransport, privateBucket, type PrivateBucket } from "../../components/lib/private-bucket";
import { serviceTrustPolicy } from "../../components/lib/service-trust";

/** One stack whose state lives in the backend, and who may use its secrets key. */
export interface BackendStack {
  /** The stack's name. */
  name: string;
  /** The stack's environment: its secrets key carries it as its {@link ENVIRONMENT_TAG} tag. */
  environment: string;
  /** Roles (ARN patterns) that encrypt and decrypt the stack's secrets: its CI roles and the operators. */
  secretsKeyUsers: pulumi.Input<string>[];
}

/** A role whose access to the state objects is confined to some keys (the other stacks' state stays out of reach). */
export interface ConfinedPrincipal {
  /** The role's ARN. */
  principalArn: pulumi.Input<string>;
  /** Object keys (S3 patterns, relative to the bucket) it may read, besides those it may write. */
  read: string[];
  /** Object keys it may write and delete. */
  write: string[];
}

/** Arguments of {@link StateBackend}. */
export interface StateBackendArgs {
  /** The account of the backend. Its id names the buckets, so it must be known (not an output). */
  account: AwsAccount & { readonly accountId: string };
  /**
   * The region of the backend: that of the provider the component is created through (`aws:region`). It names the
   * bucket and the `pulumi login` URL, which must be known before anything is deployed, so it is given as text.
   */
  region: string;
  /** The second region: a replica of the state bucket and of every secrets key, for a recovery there. */
  drRegion: string;
  /** Days old versions of state files are kept (each update writes a new version). */
  versionRetentionDays: number;
  /** The stacks kept in this backend; each gets its own multi-Region secrets key. */
  stacks: BackendStack[];
  /** Roles confined, by both buckets' policies, to some of the state objects. @default [] */
  confinedPrincipals?: ConfinedPrincipal[];
  /** Tags of the component's second-region provider. */
  defaultTags?: Record<string, string>;
  /** Protects the buckets and keys from deletion by Pulumi. @default true */
  protect?: boolean;
}

/** What a stack needs to keep its secrets in the backend. */
export interface StackSecretsProvider {
  /** The secrets key's ARN. */
  keyArn: pulumi.Output<string>;
  /** `pulumi stack init --secrets-provider` (and the stack file's `secretsprovider`). */
  secretsProvider: string;
  /** The same with the key's replica in the second region, for a recovery there. */
  drSecretsProvider: string;
}

/**
 * Pulumi's self-managed state backend of one account: a versioned, KMS-encrypted, private S3 bucket (state files per
 * stack under `.pulumi/`, lock files beside them) replicated to a second region, and one multi-Region KMS key per
 * stack for its `awskms://` secrets provider, replicated there too. Names come from {@link stateBucketName} and
 * {@link secretsKeyAlias}, so the runbook and CI can name them without reading this program's state.
 */
export class StateBackend extends pulumi.ComponentResource {
  /** The state bucket's name. */
  public readonly bucketName: pulumi.Output<string>;
  /** The state bucket's ARN. */
  public readonly bucketArn: pulumi.Output<string>;
  /** `pulumi login` URL of the backend. */
  public readonly backendUrl: pulumi.Output<string>;
  /** `pulumi login` URL of the replica in the second region (read it during a recovery there). */
  public readonly drBackendUrl: pulumi.Output<string>;
  /** The key that encrypts the state objects (through S3). */
  public readonly stateKeyArn: pulumi.Output<string>;
  /** Each stack's secrets key and providers, by stack name. */
  public readonly secrets: Record<string, StackSecretsProvider>;

  constructor(name: string, args: StateBackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:delivery:StateBackend", name, {}, opts);
    const child = { parent: this };
    const protect = args.protect ?? true;
    const { accountId } = args.account;
    const region = args.region;

    const dr = new aws.Provider(
      `${name}-${args.drRegion}`,
      {
        region: args.drRegion,
        allowedAccountIds: [accountId],
        defaultTags: { tags: args.defaultTags ?? {} },
      },
      child,
    );
    const inDr = { parent: this, provider: dr };

    // --- One secrets key per stack, replicated, with the same alias in both regions -----------------------------
    this.secrets = {};
    for (const stack of args.stacks) {
      const keyName = `${name}-secrets-${stack.name}`;
      const alias = secretsKeyAlias(stack.name);
      if (alias !== `alias/${keyName}`) {
        throw new Error(`StateBackend "${name}": its secrets keys' aliases would not be ${alias}, the name CI uses`);
      }
      const key = new EncryptionKey(
        keyName,
        {
          description: `CloudWeave Pulumi secrets of the ${stack.name} stack (awskms:// secrets provider)`,
          account: args.account,
          directPrincipalArns: stack.secretsKeyUsers,
          multiRegion: true,
          tags: { [ENVIRONMENT_TAG]: stack.environment },
          protect,
        },
        child,
      );
      const replica = new aws.kms.ReplicaKey(
        `${name}-secrets-${stack.name}-replica`,
        {
          description: `CloudWeave Pulumi secrets of the ${stack.name} stack (replica in ${args.drRegion})`,
          primaryKeyArn: key.arn,
          policy: key.policy,
          deletionWindowInDays: 30,
          tags: { [ENVIRONMENT_TAG]: stack.environment },
        },
        { ...inDr, protect },
      );
      new aws.kms.Alias(`${name}-secrets-${stack.name}-replica`, { name: alias, targetKeyId: replica.keyId }, inDr);
      this.secrets[stack.name] = {
        keyArn: key.arn,
        secretsProvider: secretsProviderUrl(stack.name, region),
        drSecretsProvider: secretsProviderUrl(stack.name, args.drRegion),
      };
    }

    // --- The state bucket and its replica ----------------------------------------------------------------------
    const stateKey = new EncryptionKey(
      `${name}-state`,
      { description: "CloudWeave Pulumi state files", account: args.account, viaServices: ["s3"], protect },
      child,
    );
    const state = privateBucket(
      `${name}-state`,
      { protect, kmsKeyArn: stateKey.arn, bucketName: stateBucketName(accountId, region) },
      child,
    );
    this.lifecycle(`${name}-state`, state.bucket, state.versioning, args.versionRetentionDays);
    this.bucketPolicy(`${name}-state`, state, args.confinedPrincipals ?? [], child);

    const replicaStateKey = new EncryptionKey(
      `${name}-state-replica`,
      {
        description: `CloudWeave Pulumi state files (replica in ${args.drRegion})`,
        account: args.account,
        viaServices: ["s3"],
        protect,
      },
      inDr,
    );
    const replica = privateBucket(
      `${name}-state-replica`,
      { protect, kmsKeyArn: replicaStateKey.arn, bucketName: stateBucketName(accountId, args.drRegion) },
      inDr,
    );
    this.lifecycle(`${name}-state-replica`, replica.bucket, replica.versioning, args.versionRetentionDays, dr);
    this.bucketPolicy(`${name}-state-replica`, replica, args.confinedPrincipals ?? [], inDr);

    const replicationRole = new aws.iam.Role(
      `${name}-replication`,
      {
        description: "S3 replicates the Pulumi state bucket to the second region",
        assumeRolePolicy: serviceTrustPolicy("s3.amazonaws.com", accountId),
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-replication`,
      {
        role: replicationRole.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
              Resource: state.bucket.arn,
            },
            {
              Effect: "Allow",
              Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
              Resource: pulumi.interpolate`${state.bucket.arn}/*`,
            },
            {
              Effect: "Allow",
              Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
              Resource: pulumi.interpolate`${replica.bucket.arn}/*`,
            },
            { Effect: "Allow", Action: "kms:Decrypt", Resource: stateKey.arn },
            { Effect: "Allow", Action: ["kms:Encrypt", "kms:GenerateDataKey"], Resource: replicaStateKey.arn },
          ],
        }),
      },
      child,
    );
    new aws.s3.BucketReplicationConfig(
      `${name}-state`,
      {
        bucket: state.bucket.id,
        role: replicationRole.arn,
        rules: [
          {
            id: "state-to-second-region",
            status: "Enabled",
            filter: {},
            deleteMarkerReplication: { status: "Enabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: {
              bucket: replica.bucket.arn,
              encryptionConfiguration: { replicaKmsKeyId: replicaStateKey.arn },
            },
          },
        ],
      },
      { ...child, dependsOn: [state.versioning, replica.versioning] },
    );

    this.bucketName = state.bucket.bucket;
    this.bucketArn = state.bucket.arn;
    this.backendUrl = state.bucket.bucket.apply((bucket) => backendUrl(bucket, region));
    this.drBackendUrl = replica.bucket.bucket.apply((bucket) => backendUrl(bucket, args.drRegion));
    this.stateKeyArn = stateKey.arn;
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      backendUrl: this.backendUrl,
      drBackendUrl: this.drBackendUrl,
      stateKeyArn: this.stateKeyArn,
      secrets: this.secrets,
    });
  }

  /**
   * A bucket policy that refuses every request not made over TLS, and confines each confined role to its objects:
   * it may read only its `read` and `write` keys and write only its `write` keys, whatever its IAM policies allow.
   */
  private bucketPolicy(
    resourceName: string,
    bucket: PrivateBucket,
    confined: ConfinedPrincipal[],
    opts: pulumi.CustomResourceOptions,
  ): void {
    const objects = (keys: string[]) => keys.map((key) => pulumi.interpolate`${bucket.bucket.arn}/${key}`);
    const confinement = confined.flatMap((principal, index) => [
      {
        Sid: `ConfinedReads${index}`,
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        NotResource: objects([...principal.read, ...principal.write]),
        Condition: { ArnEquals: { "aws:PrincipalArn": principal.principalArn } },
      },
      {
        Sid: `ConfinedWrites${index}`,
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
        NotResource: objects(principal.write),
        Condition: { ArnEquals: { "aws:PrincipalArn": principal.principalArn } },
      },
    ]);
    new aws.s3.BucketPolicy(
      resourceName,
      {
        bucket: bucket.bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            denyInsecureTransport(bucket.bucket.arn, pulumi.interpolate`${bucket.bucket.arn}/*`),
            ...confinement,
          ],
        }),
      },
      { ...opts, dependsOn: [bucket.publicAccessBlock] },
    );
  }

  /** Old state versions expire after the retention; unfinished uploads after a week. */
  private lifecycle(
    resourceName: string,
    bucket: aws.s3.Bucket,
    versioning: aws.s3.BucketVersioning,
    days: number,
    provider?: aws.Provider,
  ): void {
    new aws.s3.BucketLifecycleConfiguration(
      resourceName,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-old-state-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: days },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { parent: this, provider, dependsOn: [versioning] },
    );
  }
}
