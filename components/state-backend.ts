import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "./aws-account";
import { serviceTrustPolicy } from "./service-trust";
import { EncryptionKey } from "./encryption-key";
import { denyInsecureTransport, privateBucket, type PrivateBucket } from "./private-bucket";

/** Arguments of {@link StateBackend}. */
export interface StateBackendArgs {
  /** The account and the region of the backend. */
  account: AwsAccount;
  /** The second region: a replica of the state bucket and of the secrets key, for a recovery there. */
  drRegion: string;
  /** Days old versions of state files are kept (each update writes a new version). */
  versionRetentionDays: number;
  /** Roles (ARN patterns) that encrypt and decrypt stack secrets with the secrets key. */
  secretsKeyUsers: pulumi.Input<string>[];
  /** Tags of the component's second-region provider. */
  defaultTags?: Record<string, string>;
  /** Protects the buckets and keys from deletion by Pulumi. @default true */
  protect?: boolean;
}

/**
 * Pulumi's self-managed state backend: a versioned, KMS-encrypted, private S3 bucket (state files per stack under
 * `.pulumi/`, lock files beside them) replicated to a second region, and a multi-Region KMS key for the `awskms://`
 * secrets provider, replicated there too.
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
  /** `--secrets-provider` for the stacks. */
  public readonly secretsProvider: pulumi.Output<string>;
  /** `--secrets-provider` with the replica key in the second region. */
  public readonly drSecretsProvider: pulumi.Output<string>;
  /** ARNs of the keys a CI role needs: the state key and the secrets key. */
  public readonly keyArns: { state: pulumi.Output<string>; secrets: pulumi.Output<string> };

  constructor(name: string, args: StateBackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:delivery:StateBackend", name, {}, opts);
    const child = { parent: this };
    const protect = args.protect ?? true;
    const { accountId, region } = args.account;

    const stateKey = new EncryptionKey(
      `${name}-state`,
      { description: "CloudWeave Pulumi state files", account: args.account, viaServices: ["s3"], protect },
      child,
    );
    const secretsKey = new EncryptionKey(
      "cloudweave-pulumi-secrets",
      {
        description: "CloudWeave Pulumi stack secrets (awskms:// secrets provider)",
        account: args.account,
        directPrincipalArns: args.secretsKeyUsers,
        multiRegion: true,
        protect,
      },
      child,
    );
    const state = privateBucket(`${name}-state`, { protect, kmsKeyArn: stateKey.arn }, child);
    this.lifecycle(`${name}-state`, state.bucket, state.versioning, args.versionRetentionDays);
    this.tlsOnly(`${name}-state`, state, child);

    // --- The second region: a replica bucket and replica keys --------------------------------------------------
    const dr = new aws.Provider(
      `${name}-${args.drRegion}`,
      {
        region: args.drRegion,
        allowedAccountIds: [args.account.accountId],
        defaultTags: { tags: args.defaultTags ?? {} },
      },
      child,
    );
    const inDr = { parent: this, provider: dr };
    const replicaStateKey = new EncryptionKey(
      `${name}-state-replica`,
      {
        description: `CloudWeave Pulumi state files (replica in ${args.drRegion})`,
        account: { ...args.account, region: args.drRegion },
        viaServices: ["s3"],
        protect,
      },
      inDr,
    );
    const replicaSecretsKey = new aws.kms.ReplicaKey(
      `${name}-secrets-replica`,
      {
        description: `CloudWeave Pulumi stack secrets (replica in ${args.drRegion})`,
        primaryKeyArn: secretsKey.arn,
        policy: secretsKey.policy,
        deletionWindowInDays: 30,
      },
      { ...inDr, protect },
    );
    const replica = privateBucket(`${name}-state-replica`, { protect, kmsKeyArn: replicaStateKey.arn }, inDr);
    this.lifecycle(`${name}-state-replica`, replica.bucket, replica.versioning, args.versionRetentionDays, dr);
    this.tlsOnly(`${name}-state-replica`, replica, inDr);

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
    this.backendUrl = pulumi.interpolate`s3://${state.bucket.bucket}?region=${region}&awssdk=v2`;
    this.drBackendUrl = pulumi.interpolate`s3://${replica.bucket.bucket}?region=${args.drRegion}&awssdk=v2`;
    this.secretsProvider = pulumi.interpolate`awskms://${secretsKey.aliasName}?region=${region}`;
    this.drSecretsProvider = pulumi.interpolate`awskms://${replicaSecretsKey.arn}?region=${args.drRegion}`;
    this.keyArns = { state: stateKey.arn, secrets: secretsKey.arn };
    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      backendUrl: this.backendUrl,
      drBackendUrl: this.drBackendUrl,
      secretsProvider: this.secretsProvider,
      drSecretsProvider: this.drSecretsProvider,
      keyArns: this.keyArns,
    });
  }

  /** A bucket policy that refuses every request not made over TLS. */
  private tlsOnly(resourceName: string, bucket: PrivateBucket, opts: pulumi.CustomResourceOptions): void {
    new aws.s3.BucketPolicy(
      resourceName,
      {
        bucket: bucket.bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [denyInsecureTransport(bucket.bucket.arn, pulumi.interpolate`${bucket.bucket.arn}/*`)],
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
