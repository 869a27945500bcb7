/** CloudFront and WAF: HTTPS everywhere, a modern TLS floor, a web ACL that logs, private S3 origins. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  TOKENS,
  configStrings,
  list,
  ofKind,
  record,
  records,
  referenced,
  resourcePolicy,
  stackPolicy,
  str,
} from "./support";

const DEFAULT_VIEWER_POLICIES = ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"];

export const viewerHttps = resourcePolicy({
  name: "cloudfront-viewer-https",
  description: "Every CloudFront cache behaviour redirects viewers to HTTPS or accepts HTTPS only.",
  anchors: { checkov: ["CKV_AWS_34"], trivy: ["AVD-AWS-0012"], fsbp: ["CloudFront.3"] },
  severity: "high",
  remediation: 'Set viewerProtocolPolicy to "redirect-to-https" or "https-only" on every behaviour.',
  types: TOKENS.distribution,
  validate: (props, _args, report) => {
    const behaviours = [record(props.defaultCacheBehavior), ...records(props, "orderedCacheBehaviors")];
    for (const behaviour of behaviours) {
      const policy = str(behaviour, "viewerProtocolPolicy");
      if (policy !== "redirect-to-https" && policy !== "https-only") {
        report(`behaviour ${str(behaviour, "pathPattern") ?? "default"} allows ${policy ?? "any protocol"}.`);
      }
    }
  },
});

export const viewerTls = resourcePolicy({
  name: "cloudfront-tls-minimum",
  description: "CloudFront serves its own certificate with a TLS 1.2+ minimum security policy.",
  anchors: { checkov: ["CKV_AWS_174"], trivy: ["AVD-AWS-0013"], fsbp: ["CloudFront.7", "CloudFront.8"] },
  severity: "high",
  remediation:
    'Set viewerCertificate { acmCertificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }.',
  configSchema: {
    properties: {
      allowedPolicies: { type: "array", items: { type: "string" }, default: DEFAULT_VIEWER_POLICIES },
    },
  },
  types: TOKENS.distribution,
  validate: (props, args, report) => {
    const certificate = record(props.viewerCertificate);
    if (certificate.cloudfrontDefaultCertificate === true || !str(certificate, "acmCertificateArn")) {
      report("use an ACM certificate for the site's domain, not the *.cloudfront.net default.");
    }
    const allowed = configStrings(args, "allowedPolicies", DEFAULT_VIEWER_POLICIES);
    const minimum = str(certificate, "minimumProtocolVersion");
    if (!minimum || !allowed.includes(minimum)) {
      report(`minimumProtocolVersion ${minimum ?? "(unset)"} is not one of: ${allowed.join(", ")}.`);
    }
    if (certificate.sslSupportMethod !== undefined && str(certificate, "sslSupportMethod") !== "sni-only") {
      report('sslSupportMethod must be "sni-only".');
    }
  },
});

export const distributionWaf = resourcePolicy({
  name: "cloudfront-waf",
  description: "Every CloudFront distribution is protected by a WAF web ACL.",
  anchors: { checkov: ["CKV_AWS_68"], trivy: ["AVD-AWS-0011"], fsbp: ["CloudFront.6"] },
  severity: "high",
  remediation: "Set webAclId to a CLOUDFRONT-scope WAFv2 web ACL's ARN.",
  types: TOKENS.distribution,
  validate: (props, _args, report) => {
    if (!str(props, "webAclId")) report("webAclId must be set.");
  },
});

export const distributionOrigins = resourcePolicy({
  name: "cloudfront-origins",
  description:
    "CloudFront reads S3 origins through origin access control, custom origins over HTTPS only, and has a default root object.",
  anchors: { checkov: ["CKV2_AWS_46", "CKV_AWS_305"], fsbp: ["CloudFront.1", "CloudFront.13", "CloudFront.9"] },
  severity: "high",
  remediation:
    'Give S3 origins an originAccessControlId, custom origins originProtocolPolicy "https-only", and set defaultRootObject.',
  types: TOKENS.distribution,
  validate: (props, _args, report) => {
    if (!str(props, "defaultRootObject")) report("defaultRootObject must be set.");
    for (const origin of records(props, "origins")) {
      const id = str(origin, "originId") ?? "?";
      const custom = record(origin.customOriginConfig);
      if (Object.keys(custom).length > 0) {
        if (str(custom, "originProtocolPolicy") !== "https-only") report(`origin ${id} must use https-only.`);
        if (list(custom, "originSslProtocols").some((protocol) => protocol !== "TLSv1.2")) {
          report(`origin ${id} must allow TLSv1.2 only.`);
        }
      } else if (!str(origin, "originAccessControlId")) {
        report(`S3 origin ${id} must use origin access control.`);
      }
    }
  },
});

export const distributionLogging: StackValidationPolicy = stackPolicy({
  name: "cloudfront-access-logging",
  description: "Every CloudFront distribution delivers access logs (standard logging v2 or legacy).",
  anchors: { checkov: ["CKV_AWS_86"], trivy: ["AVD-AWS-0010"], fsbp: ["CloudFront.5"] },
  severity: "medium",
  remediation: "Add a CloudWatch LogDeliverySource (ACCESS_LOGS) for the distribution with a delivery to S3.",
  validate: (resources, _args, report) => {
    const sources = ofKind(resources, TOKENS.logDeliverySource);
    for (const distribution of ofKind(resources, TOKENS.distribution)) {
      const v2 = sources.some(
        (source) =>
          str(source.props, "logType") === "ACCESS_LOGS" &&
          referenced(source, "resourceArn").some((target) => target.urn === distribution.urn),
      );
      const legacy = str(record(distribution.props.loggingConfig), "bucket") !== undefined;
      if (!v2 && !legacy) report(`distribution ${distribution.name} keeps no access logs.`, distribution.urn);
    }
  },
});

export const webAclRulesAndLogging: StackValidationPolicy = stackPolicy({
  name: "waf-rules-and-logging",
  description: "Every WAF web ACL has rules and logs its decisions.",
  anchors: { checkov: ["CKV_AWS_175", "CKV_AWS_342", "CKV2_AWS_31"], fsbp: ["WAF.10", "WAF.11"] },
  severity: "medium",
  remediation: "Give the web ACL rules (managed rule groups, a rate limit) and a WebAclLoggingConfiguration.",
  validate: (resources, _args, report) => {
    const logging = ofKind(resources, TOKENS.webAclLogging);
    for (const acl of ofKind(resources, TOKENS.webAcl)) {
      if (records(acl.props, "rules").length === 0 && !str(acl.props, "ruleJson")) {
        report(`web ACL ${acl.name} has no rules.`, acl.urn);
      }
      const logged = logging.some((config) =>
        referenced(config, "resourceArn").some((target) => target.urn === acl.urn),
      );
      if (!logged) report(`web ACL ${acl.name} does not log.`, acl.urn);
    }
  },
});

export const cdnPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  viewerHttps,
  viewerTls,
  distributionWaf,
  distributionOrigins,
  distributionLogging,
  webAclRulesAndLogging,
];
