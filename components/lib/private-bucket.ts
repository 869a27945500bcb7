import * as aws from "./aws";
import type * as pulumi from "@pulumi/pulumi";

/** The resources of a private bucket that callers attach their own policy and lifecycle to. */
export interface PrivateBucket {
  readonly bucket: aws.s3.Bucket;
  /** Bucket policies with Allow statements must wait for it (S3 refuses them while it is being applied). */
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  /** Lifecycle rules about noncurrent versions must wait for it. */
  readonly versioning: aws.s3.BucketVersioning;
}

/**
 * An S3 bucket no one outside the account can reach: all four public-access blocks, ACLs disabled (bucket owner
 * enforced), SSE-S3 (or SSE-KMS with a given key) encryption by default, versioning, and tag-based access control
 * enabled. Components add their own bucket policy (with a TLS-only statement) and lifecycle. `protect` also keeps `pulumi destroy` from emptying it.
 */
export function privateBucket(
  resourceName: string,
  args: {
    protect?: boolean;
    /** Encrypt with this customer-managed key (SSE-KMS with an S3 bucket key) instead of SSE-S3. */
    kmsKeyArn?: pulumi.Input<string>;
    /** The bucket's name, when others must know it in advance. @default the provider's generated name */
    bucketName?: string;
  },
  opts: pulumi.CustomResourceOptions,
): PrivateBucket {
  const bucket = new aws.s3.Bucket(
    resourceName,
    { bucket: args.bucketName, forceDestroy: !args.protect, tags: { Name: resourceName } },
    { ...opts, protect: args.protect },
  );
  // Tag-based access control on the bucket: S3 evaluates aws:ResourceTag for bucket actions only once it is enabled
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/buckets-tagging-enable-abac.html), and the deploy roles'
  // guardrail refuses to act on a resource tagged with another environment. The provider then manages the bucket's
  // tags with S3 Control's TagResource (pulumi-aws s3.Bucket documentation).
  new aws.s3.BucketAbac(resourceName, { bucket: bucket.bucket, abacStatus: { status: "Enabled" } }, opts);
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    resourceName,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  new aws.s3.BucketOwnershipControls(
    resourceName,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    opts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    resourceName,
    {
      bucket: bucket.id,
      rules: [
        args.kmsKeyArn
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    },
    opts,
  );
  const versioning = new aws.s3.BucketVersioning(
    resourceName,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    opts,
  );
  return { bucket, publicAccessBlock, versioning };
}

/** The bucket-policy statement that refuses every request not made over TLS. */
export function denyInsecureTransport(bucketArn: pulumi.Input<string>, objectsArn: pulumi.Input<string>): object {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, objectsArn],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
