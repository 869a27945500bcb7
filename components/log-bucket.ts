import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "./aws-account";

/** Arguments of {@link LogBucket}. */
export interface LogBucketArgs {
  /** The account and region; the bucket admits log delivery for this account only. */
  account: AwsAccount;
  /**
   * The prefix (no leading or trailing `/`) under which Elastic Load Balancing writes access and connection logs,
   * each load balancer in a sub-prefix of its own (`<prefix>/<lb>/access`); the bucket policy lets the region's ELB
   * log-delivery account write this account's logs there and nowhere else.
   */
  loadBalancerLogPrefix: string;
  /** Days to keep each log object. */
  retentionInDays: number;
  /**
   * Days to keep object versions that were overwritten or deleted (versioning guards logs against tampering).
   * @default 30
   */
  noncurrentVersionRetentionInDays?: number;
  /**
   * Protects the bucket from deletion by Pulumi, and keeps `pulumi destroy` from emptying it (production).
   * @default false
   */
  protect?: boolean;
}

/**
 * An S3 bucket for load-balancer access logs: private (all four public-access blocks, ACLs disabled), encrypted,
 * versioned, TLS-only, expiring logs after the retention period, writable only by the region's ELB log delivery.
 *
 * Encryption is SSE-S3 (AES-256): it is the only server-side encryption ELB access-log delivery supports.
 */
export class LogBucket extends pulumi.ComponentResource {
  /**
   * The bucket's name. It resolves once the bucket policy is in place, so a load balancer that takes it waits for
   * the policy (ELB validates its write access when access logging is switched on).
   */
  public readonly bucketName: pulumi.Output<string>;
  /** The bucket's ARN. */
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: LogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:storage:LogBucket", name, {}, opts);
    const child = { parent: this };
    const { accountId, region } = args.account;

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { forceDestroy: !args.protect, tags: { Name: name } },
      { ...child, protect: args.protect },
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      child,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: args.retentionInDays },
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionRetentionInDays ?? 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { ...child, dependsOn: [versioning] },
    );

    const elbAccount = aws.elb.getServiceAccountOutput({ region }, child);
    const policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
              Sid: "LoadBalancerAccessLogDelivery",
              Effect: "Allow",
              Principal: { AWS: elbAccount.arn },
              Action: "s3:PutObject",
              Resource: pulumi.interpolate`${bucket.arn}/${args.loadBalancerLogPrefix}/*/AWSLogs/${accountId}/*`,
            },
          ],
        }),
      },
      // S3 rejects a policy with an Allow statement while the public-access block is still being applied.
      { ...child, dependsOn: [publicAccess] },
    );

    this.bucketName = pulumi.all([bucket.bucket, policy.id]).apply(([bucketName]) => bucketName);
    this.arn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}
