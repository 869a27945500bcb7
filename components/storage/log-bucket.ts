import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { denyInsecureTransport, privateBucket } from "../lib/private-bucket";

/** An AWS service that writes logs into the bucket, and under which prefix. */
export type LogWriter =
  /** Elastic Load Balancing access and connection logs, each load balancer under `<prefix>/<lb>/...`. */
  | { service: "elb"; prefix: string }
  /** CloudWatch Logs vended-log delivery (CloudFront standard logs v2), from delivery sources in `sourceRegion`. */
  | { service: "log-delivery"; prefix: string; sourceRegion: string };

/** Arguments of {@link LogBucket}. */
export interface LogBucketArgs {
  /** The account; the bucket admits log delivery for this account only. */
  account: AwsAccount;
  /**
   * The services that write into the bucket, each only under its prefix (no leading or trailing `/`) and only for
   * this account.
   */
  writers: LogWriter[];
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
 * An S3 bucket for AWS service logs: private (all four public-access blocks, ACLs disabled), encrypted, versioned,
 * TLS-only, expiring logs after the retention period, writable only by the listed services for this account.
 *
 * Encryption is SSE-S3 (AES-256): it is the only server-side encryption ELB access-log delivery supports.
 */
export class LogBucket extends pulumi.ComponentResource {
  /**
   * The bucket's name. It resolves once the bucket policy is in place, so a writer that takes it waits for the
   * policy (ELB validates its write access when access logging is switched on).
   */
  public readonly bucketName: pulumi.Output<string>;
  /** The bucket's ARN. It too resolves once the bucket policy is in place. */
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: LogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:storage:LogBucket", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const region = regionOf(this);

    const { bucket, publicAccessBlock, versioning } = privateBucket(`${name}-bucket`, { protect: args.protect }, child);
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

    const statements: unknown[] = [denyInsecureTransport(bucket.arn, pulumi.interpolate`${bucket.arn}/*`)];
    for (const writer of args.writers) {
      if (writer.service === "elb") {
        const elbAccount = aws.elb.getServiceAccountOutput({ region }, child);
        statements.push({
          Sid: "LoadBalancerLogDelivery",
          Effect: "Allow",
          Principal: { AWS: elbAccount.arn },
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${bucket.arn}/${writer.prefix}/*/AWSLogs/${accountId}/*`,
        });
      } else {
        statements.push({
          Sid: "VendedLogDelivery",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${bucket.arn}/${writer.prefix}/*`,
          // Confused-deputy protection: only this account's delivery sources may write.
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId },
            ArnLike: {
              "aws:SourceArn": pulumi.interpolate`arn:${partition}:logs:${writer.sourceRegion}:${accountId}:delivery-source:*`,
            },
          },
        });
      }
    }
    const policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket: bucket.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
      // S3 rejects a policy with an Allow statement while the public-access block is still being applied.
      { ...child, dependsOn: [publicAccessBlock] },
    );

    this.bucketName = pulumi.all([bucket.bucket, policy.id]).apply(([bucketName]) => bucketName);
    this.arn = pulumi.all([bucket.arn, policy.id]).apply(([arn]) => arn);
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}
