/** Mandatory encryption at rest and in transit, with customer-managed keys wherever AWS allows one. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { TOKENS, bool, list, ofKind, record, records, referenced, resourcePolicy, stackPolicy, str } from "./support";

export const rdsStorageEncrypted = resourcePolicy({
  name: "rds-storage-encrypted",
  description: "RDS instances encrypt their storage with a customer-managed KMS key.",
  anchors: { checkov: ["CKV_AWS_16"], trivy: ["AVD-AWS-0080"], fsbp: ["RDS.3"] },
  severity: "high",
  remediation: "Set storageEncrypted: true and kmsKeyId to a customer-managed key (the stack's database key).",
  types: TOKENS.dbInstance,
  validate: (props, _args, report) => {
    if (bool(props, "storageEncrypted") !== true) report("storageEncrypted must be true.");
    if (!str(props, "kmsKeyId")) report("kmsKeyId must name a customer-managed KMS key, not the AWS-managed aws/rds.");
  },
});

export const rdsPerformanceInsightsEncrypted = resourcePolicy({
  name: "rds-performance-insights-encrypted",
  description: "RDS Performance Insights data is encrypted with a customer-managed KMS key.",
  anchors: { checkov: ["CKV_AWS_353", "CKV_AWS_354"], trivy: ["AVD-AWS-0133", "AVD-AWS-0078"] },
  severity: "medium",
  remediation: "Set performanceInsightsKmsKeyId to the database key whenever performanceInsightsEnabled is true.",
  types: TOKENS.dbInstance,
  validate: (props, _args, report) => {
    if (bool(props, "performanceInsightsEnabled") === true && !str(props, "performanceInsightsKmsKeyId")) {
      report("performanceInsightsKmsKeyId must name a customer-managed KMS key.");
    }
  },
});

export const elastiCacheEncrypted = resourcePolicy({
  name: "elasticache-encrypted",
  description:
    "ElastiCache replication groups encrypt at rest with a customer key, require TLS in transit and authenticate clients (an auth token or RBAC user groups).",
  anchors: {
    checkov: ["CKV_AWS_29", "CKV_AWS_191", "CKV_AWS_30", "CKV_AWS_31"],
    trivy: ["AVD-AWS-0045", "AVD-AWS-0051"],
    fsbp: ["ElastiCache.4", "ElastiCache.5", "ElastiCache.6"],
  },
  severity: "high",
  remediation:
    "Set atRestEncryptionEnabled: true with kmsKeyId, transitEncryptionEnabled: true (mode required) and an authToken (or user groups).",
  types: TOKENS.replicationGroup,
  validate: (props, _args, report) => {
    if (bool(props, "atRestEncryptionEnabled") !== true) report("atRestEncryptionEnabled must be true.");
    if (!str(props, "kmsKeyId")) report("kmsKeyId must name a customer-managed KMS key.");
    if (bool(props, "transitEncryptionEnabled") !== true) report("transitEncryptionEnabled must be true.");
    if (str(props, "transitEncryptionMode") === "preferred") {
      report('transitEncryptionMode must be "required": "preferred" still accepts plaintext clients.');
    }
    if (!str(props, "authToken") && list(props, "userGroupIds").length === 0) {
      report("set an authToken (or RBAC userGroupIds): clients must authenticate.");
    }
  },
});

export const logGroupEncrypted = resourcePolicy({
  name: "log-group-encrypted",
  description: "CloudWatch log groups are encrypted with a customer-managed KMS key.",
  anchors: { checkov: ["CKV_AWS_158"], trivy: ["AVD-AWS-0017"] },
  severity: "medium",
  remediation: "Create the log group with kmsKeyId set to the stack's logs key (components/lib/log-group.ts does).",
  types: TOKENS.logGroup,
  validate: (props, _args, report) => {
    if (!str(props, "kmsKeyId")) report("kmsKeyId must name a customer-managed KMS key.");
  },
});

export const topicEncrypted = resourcePolicy({
  name: "sns-topic-encrypted",
  description: "SNS topics are encrypted with a KMS key.",
  anchors: { checkov: ["CKV_AWS_26"], trivy: ["AVD-AWS-0095", "AVD-AWS-0136"], fsbp: ["SNS.1"] },
  severity: "medium",
  remediation: "Set kmsMasterKeyId to a customer-managed key.",
  types: TOKENS.topic,
  validate: (props, _args, report) => {
    const key = str(props, "kmsMasterKeyId");
    if (!key) report("kmsMasterKeyId must be set.");
    else if (key === "alias/aws/sns") report("use a customer-managed key, not alias/aws/sns (CKV_AWS_26).");
  },
});

export const repositoryEncrypted = resourcePolicy({
  name: "ecr-repository-encrypted",
  description: "ECR repositories encrypt images with a customer-managed KMS key.",
  anchors: { checkov: ["CKV_AWS_136"], trivy: ["AVD-AWS-0033"] },
  severity: "medium",
  remediation: 'Set encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: <images key ARN> }].',
  types: TOKENS.repository,
  validate: (props, _args, report) => {
    const configuration = records(props, "encryptionConfigurations")[0] ?? {};
    if (str(configuration, "encryptionType") !== "KMS" || !str(configuration, "kmsKey")) {
      report("encryptionConfigurations must use KMS with a customer-managed key.");
    }
  },
});

export const secretCustomerKey = resourcePolicy({
  name: "secret-customer-key",
  description: "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
  anchors: { checkov: ["CKV_AWS_149"], trivy: ["AVD-AWS-0098"] },
  severity: "medium",
  remediation: "Set kmsKeyId to the stack's secrets key.",
  types: TOKENS.secret,
  validate: (props, _args, report) => {
    if (!str(props, "kmsKeyId")) report("kmsKeyId must name a customer-managed KMS key, not aws/secretsmanager.");
  },
});

export const kmsKeyRotation = resourcePolicy({
  name: "kms-key-rotation",
  description: "Symmetric customer-managed KMS keys rotate automatically.",
  anchors: { checkov: ["CKV_AWS_7"], trivy: ["AVD-AWS-0065"], fsbp: ["KMS.4"] },
  severity: "medium",
  remediation: "Set enableKeyRotation: true.",
  types: TOKENS.kmsKey,
  validate: (props, _args, report) => {
    const spec = str(props, "customerMasterKeySpec") ?? str(props, "keySpec") ?? "SYMMETRIC_DEFAULT";
    if (spec === "SYMMETRIC_DEFAULT" && bool(props, "enableKeyRotation") !== true) {
      report("enableKeyRotation must be true.");
    }
  },
});

/** The encryption algorithm a bucket's default-encryption configuration sets. */
function sseAlgorithm(configuration: { props: Record<string, unknown> }): string | undefined {
  const rule = records(configuration.props, "rules")[0] ?? {};
  return str(record(rule.applyServerSideEncryptionByDefault), "sseAlgorithm");
}

export const bucketEncrypted: StackValidationPolicy = stackPolicy({
  name: "s3-bucket-encrypted",
  description: "Every S3 bucket has default encryption (SSE-KMS, or SSE-S3 where the writing service requires it).",
  anchors: { checkov: ["CKV_AWS_19", "CKV_AWS_145"], trivy: ["AVD-AWS-0132"] },
  severity: "high",
  remediation:
    "Add a BucketServerSideEncryptionConfiguration for the bucket (components/lib/private-bucket.ts does). Set requireKms in the pack config to refuse SSE-S3.",
  configSchema: {
    properties: { requireKms: { type: "boolean", default: false } },
  },
  validate: (resources, args, report) => {
    const requireKms = record(args.getConfig<Record<string, unknown>>()).requireKms === true;
    const configurations = ofKind(resources, TOKENS.bucketEncryption);
    for (const bucket of ofKind(resources, TOKENS.bucket)) {
      const inline = record(records(bucket.props, "serverSideEncryptionConfiguration")[0]);
      const configuration = configurations.find((candidate) =>
        referenced(candidate, "bucket").some((target) => target.urn === bucket.urn),
      );
      const algorithm = configuration ? sseAlgorithm(configuration) : sseAlgorithm({ props: inline });
      if (!algorithm) {
        report(`bucket ${bucket.name} has no default encryption.`, bucket.urn);
      } else if (requireKms && algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") {
        report(`bucket ${bucket.name} uses ${algorithm}; this stack's pack config requires SSE-KMS.`, bucket.urn);
      }
    }
  },
});

export const encryptionPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  rdsStorageEncrypted,
  rdsPerformanceInsightsEncrypted,
  elastiCacheEncrypted,
  logGroupEncrypted,
  topicEncrypted,
  repositoryEncrypted,
  secretCustomerKey,
  kmsKeyRotation,
  bucketEncrypted,
];
