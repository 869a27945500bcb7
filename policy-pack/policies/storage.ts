/** S3 buckets: private, versioned, TLS-only, their access recorded. */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { TOKENS, bool, ofKind, record, referenced, stackPolicy, statementsOf, str, strings } from "./support";

/** The resources of `kinds` that configure `bucket` (through their `bucket` property). */
function configuring(resources: PolicyResource[], kinds: readonly string[], bucket: PolicyResource): PolicyResource[] {
  return ofKind(resources, kinds).filter((candidate) =>
    referenced(candidate, "bucket").some((target) => target.urn === bucket.urn),
  );
}

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export const bucketPublicAccessBlocked = stackPolicy({
  name: "s3-public-access-blocked",
  description: "Every S3 bucket blocks public access with all four settings.",
  anchors: {
    checkov: ["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"],
    trivy: ["AVD-AWS-0086", "AVD-AWS-0087", "AVD-AWS-0091", "AVD-AWS-0093", "AVD-AWS-0094"],
    fsbp: ["S3.8"],
  },
  severity: "critical",
  remediation: "Add a BucketPublicAccessBlock for the bucket with all four flags true.",
  validate: (resources, _args, report) => {
    for (const bucket of ofKind(resources, TOKENS.bucket)) {
      const blocks = configuring(resources, TOKENS.bucketPublicAccessBlock, bucket);
      const missing = PUBLIC_ACCESS_FLAGS.filter((flag) => !blocks.some((block) => bool(block.props, flag) === true));
      if (missing.length > 0) report(`bucket ${bucket.name} does not set ${missing.join(", ")}.`, bucket.urn);
    }
  },
});

export const bucketVersioned = stackPolicy({
  name: "s3-versioning",
  description: "Every S3 bucket keeps object versions.",
  anchors: { checkov: ["CKV_AWS_21"], trivy: ["AVD-AWS-0090"], fsbp: ["S3.14"] },
  severity: "medium",
  remediation: 'Add a BucketVersioning with status "Enabled" (and a lifecycle that expires old versions).',
  validate: (resources, _args, report) => {
    for (const bucket of ofKind(resources, TOKENS.bucket)) {
      // The deprecated inline form (`versioning: { enabled: true }`) counts too.
      const enabled =
        configuring(resources, TOKENS.bucketVersioning, bucket).some(
          (versioning) => str(record(versioning.props.versioningConfiguration), "status") === "Enabled",
        ) || record(bucket.props.versioning).enabled === true;
      if (!enabled) report(`bucket ${bucket.name} is not versioned.`, bucket.urn);
    }
  },
});

export const bucketAclsDisabled = stackPolicy({
  name: "s3-acls-disabled",
  description: "Every S3 bucket disables ACLs (object ownership: bucket owner enforced).",
  anchors: { checkov: ["CKV2_AWS_65"], fsbp: ["S3.12"] },
  severity: "medium",
  remediation: 'Add BucketOwnershipControls with objectOwnership "BucketOwnerEnforced".',
  validate: (resources, _args, report) => {
    for (const bucket of ofKind(resources, TOKENS.bucket)) {
      const enforced = configuring(resources, TOKENS.bucketOwnershipControls, bucket).some(
        (controls) => str(record(controls.props.rule), "objectOwnership") === "BucketOwnerEnforced",
      );
      if (!enforced) report(`bucket ${bucket.name} still honours ACLs.`, bucket.urn);
    }
  },
});

export const bucketTlsOnly = stackPolicy({
  name: "s3-tls-only",
  description: "Every S3 bucket policy denies requests that are not made over TLS.",
  anchors: { fsbp: ["S3.5"] },
  severity: "high",
  remediation: 'Add a Deny statement for s3:* when "aws:SecureTransport" is "false" (denyInsecureTransport()).',
  validate: (resources, _args, report) => {
    for (const bucket of ofKind(resources, TOKENS.bucket)) {
      const denies = configuring(resources, TOKENS.bucketPolicy, bucket).some((policy) =>
        statementsOf(policy.props.policy).some(
          (statement) =>
            statement.Effect === "Deny" &&
            String(record(record(statement.Condition).Bool)["aws:SecureTransport"]) === "false",
        ),
      );
      if (!denies) report(`bucket ${bucket.name} accepts plain-HTTP requests.`, bucket.urn);
    }
  },
});

export const bucketAccessLogged = stackPolicy({
  name: "s3-access-logging",
  description:
    "S3 buckets record access: server access logging, or they are log destinations themselves, or they are only read through a logged CloudFront distribution.",
  anchors: { checkov: ["CKV_AWS_18"], trivy: ["AVD-AWS-0089"], fsbp: ["S3.9"] },
  enforcementLevel: "advisory",
  severity: "low",
  remediation:
    "Add a BucketLogging to a log bucket, or serve the bucket only through a CloudFront distribution with logs.",
  validate: (resources, _args, report) => {
    // Log buckets: load balancers' access-log targets and vended-log destinations.
    const logBuckets = new Set<string>();
    for (const lb of ofKind(resources, TOKENS.loadBalancer)) {
      for (const target of [...referenced(lb, "accessLogs"), ...referenced(lb, "connectionLogs")]) {
        logBuckets.add(target.urn);
      }
    }
    for (const destination of ofKind(resources, ["aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"])) {
      for (const target of referenced(destination, "deliveryDestinationConfiguration")) logBuckets.add(target.urn);
    }
    // Origins of distributions whose access is logged.
    const loggedDistributions = new Set(
      ofKind(resources, TOKENS.logDeliverySource).flatMap((source) =>
        referenced(source, "resourceArn").map((target) => target.urn),
      ),
    );
    const cdnOrigins = new Set<string>();
    for (const distribution of ofKind(resources, TOKENS.distribution)) {
      const logged =
        loggedDistributions.has(distribution.urn) || Object.keys(record(distribution.props.loggingConfig)).length > 0;
      if (!logged) continue;
      for (const target of referenced(distribution, "origins")) cdnOrigins.add(target.urn);
    }
    for (const bucket of ofKind(resources, TOKENS.bucket)) {
      const logged = configuring(resources, TOKENS.bucketLogging, bucket).length > 0;
      if (!logged && !logBuckets.has(bucket.urn) && !cdnOrigins.has(bucket.urn)) {
        report(`bucket ${bucket.name} records no access.`, bucket.urn);
      }
    }
  },
});

/** Buckets whose policy grants access to `*` without conditions (a public bucket by policy). */
export const bucketPolicyNotPublic = stackPolicy({
  name: "s3-policy-not-public",
  description: "No bucket policy allows everyone (`*`) without a condition.",
  anchors: { checkov: ["CKV_AWS_70"], fsbp: ["S3.2", "S3.3"] },
  severity: "critical",
  remediation: "Grant named principals (a service with aws:SourceArn, an account) instead of *.",
  validate: (resources, _args, report) => {
    for (const policy of ofKind(resources, TOKENS.bucketPolicy)) {
      for (const statement of statementsOf(policy.props.policy)) {
        const principal = statement.Principal;
        const everyone = principal === "*" || strings(record(principal).AWS).includes("*");
        if (statement.Effect === "Allow" && everyone && statement.Condition === undefined) {
          report(`${policy.name} allows everyone: ${JSON.stringify(statement.Action)}.`, policy.urn);
        }
      }
    }
  },
});

export const storagePolicies: StackValidationPolicy[] = [
  bucketPublicAccessBlocked,
  bucketVersioned,
  bucketAclsDisabled,
  bucketTlsOnly,
  bucketAccessLogged,
  bucketPolicyNotPublic,
];
