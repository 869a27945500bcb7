import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AwsAccount } from "../lib/aws-account";
import { Certificate } from "../dns/certificate";
import { EncryptionKey } from "../security/encryption-key";
import { JsonSecret } from "../security/json-secret";
import { rotateHeaderCredential } from "../security/header-rotation";
import type { RotationSettings, SecretRotation } from "../security/secret-rotation";
import { encryptedLogGroup } from "../lib/log-group";
import { LogBucket } from "../storage/log-bucket";
import { denyInsecureTransport, privateBucket } from "../lib/private-bucket";
import { applyTransform, type Transform } from "../lib/transform";

/** Where CloudFront certificates, CLOUDFRONT-scope WAF ACLs and their logs must live, whatever the stack's region. */
export const GLOBAL_REGION = "us-east-1";

/** The header CloudFront adds to every origin request, which the public load balancer's rules require. */
export const ORIGIN_VERIFY_HEADER = "X-Origin-Verify";

/** The name of the origin-verification secret of the Edge named `name`: replicated, a standby reads it by name. */
export function originVerifySecretName(name: string): string {
  return `${name}-origin-verify`;
}

/** AWS-managed CloudFront policies (stable IDs published by AWS). */
const MANAGED = {
  /** Cache nothing: every request goes to the origin (dynamic and authenticated responses). */
  cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
  /** Long-lived caching keyed on the path only, gzip/brotli variants. */
  cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
} as const;

/** The AWS managed rule groups of the web ACL, in evaluation order after the IP reputation list and rate limit. */
const MANAGED_RULE_GROUPS = [
  { name: "AWSManagedRulesAmazonIpReputationList", priority: 0 },
  { name: "AWSManagedRulesCommonRuleSet", priority: 20 },
  { name: "AWSManagedRulesKnownBadInputsRuleSet", priority: 30 },
  { name: "AWSManagedRulesSQLiRuleSet", priority: 40 },
] as const;

/** Arguments of {@link Edge}. */
export interface EdgeArgs {
  /** The account; the stack's region is where the assets bucket lives. */
  account: AwsAccount;
  /** The name viewers browse to; the distribution's alias and the certificate's name. */
  domainName: string;
  /** The public Route 53 hosted zone of `domainName` (validation records and the alias records go there). */
  zoneId: pulumi.Input<string>;
  /** The application origin: a name whose HTTPS certificate the load balancer presents (e.g. `origin.<domain>`). */
  originDomainName: string;
  /**
   * Paths served from the static-assets bucket with long-lived caching; the build's fingerprinted files.
   * @default ["/assets/*"]
   */
  staticPathPatterns?: string[];
  /**
   * Request headers a viewer may never pass to the origin, such as the credential of the load balancers' test rules:
   * CloudFront drops them, whatever a viewer sends.
   * @default []
   */
  strippedHeaders?: string[];
  /** Which edge locations serve viewers. */
  priceClass: "PriceClass_All" | "PriceClass_200" | "PriceClass_100";
  /** The oldest TLS viewers may use. */
  minimumTlsVersion: string;
  /** Requests one client IP may make in any 5 minutes before the WAF blocks it. */
  rateLimitPer5Minutes: number;
  /** ARN of the KMS key (stack region) that encrypts the origin-verification secret in Secrets Manager. */
  secretsKmsKeyArn: pulumi.Input<string>;
  /**
   * Replicate the origin-verification secret to the disaster-recovery region (with that region's key), so a stack
   * restored there can accept this distribution's requests.
   * @default no replica
   */
  originVerifyReplica?: { region: string; kmsKeyArn: pulumi.Input<string> };
  /**
   * WAF and CDN log retention, and the us-east-1 KMS key (its policy must admit CloudWatch Logs) for the WAF log
   * group. Without a key the component creates one in us-east-1.
   */
  logs: { retentionInDays: number; kmsKeyArn?: pulumi.Input<string> };
  /** Tags the component's us-east-1 provider adds to everything it creates (the stack's `aws:defaultTags`). */
  defaultTags?: Record<string, string>;
  /**
   * Protects the log and assets buckets, the WAF log group and a created key from deletion by Pulumi (production).
   * @default false
   */
  protect?: boolean;
  /** Edits to the arguments of the main children (see {@link Transform}). @default none */
  transform?: {
    /** The WAF web ACL. */
    webAcl?: Transform<aws.wafv2.WebAclArgs>;
    /** The CloudFront distribution. */
    distribution?: Transform<aws.cloudfront.DistributionArgs>;
  };
}

/**
 * Everything between viewers and the load balancer: a CloudFront distribution (HTTPS only, HTTP/2 and 3, IPv6,
 * compression, security headers) for the stack's domain, an S3 origin for static assets behind origin access
 * control, a WAFv2 web ACL (AWS managed rules and a per-IP rate limit) with logging, a us-east-1 certificate, the
 * Route 53 alias records, access logs, and the secret origin header the load balancer requires so nothing
 * bypasses the CDN and its WAF.
 */
export class Edge extends pulumi.ComponentResource {
  /** The distribution's id (for invalidations). */
  public readonly distributionId: pulumi.Output<string>;
  /** The distribution's ARN. */
  public readonly distributionArn: pulumi.Output<string>;
  /** The distribution's own `*.cloudfront.net` name. */
  public readonly distributionDomainName: pulumi.Output<string>;
  /** The site's URL. */
  public readonly url: string;
  /** The bucket CI uploads the frontend's static build to. */
  public readonly assetsBucketName: pulumi.Output<string>;
  /** The web ACL's ARN. */
  public readonly webAclArn: pulumi.Output<string>;
  /** The web ACL's name, the `WebACL` dimension of its metrics (in us-east-1). */
  public readonly webAclName: pulumi.Output<string>;
  /**
   * The header CloudFront adds to every origin request; the load balancer's rules require it. The value is a
   * Pulumi secret (also kept in Secrets Manager for rotation).
   */
  public readonly originVerifyHeader: { name: string; value: pulumi.Output<string> };
  /** ARN of the Secrets Manager secret holding the origin-verification value. */
  public readonly originVerifySecretArn: pulumi.Output<string>;
  /** What {@link rotateOriginVerify} needs of the constructor's resources. */
  private readonly originVerify: {
    name: string;
    secretKmsKeyArn: pulumi.Input<string>;
    distribution: {
      id: pulumi.Output<string>;
      arn: pulumi.Output<string>;
      originId: string;
      webAclArn: pulumi.Output<string>;
    };
  };

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:edge:Edge", name, {}, opts);
    const child = { parent: this };

    // CloudFront's certificate, its WAF ACL and the logs of both live in us-east-1.
    const global = new aws.Provider(
      `${name}-${GLOBAL_REGION}`,
      {
        region: GLOBAL_REGION,
        allowedAccountIds: [args.account.accountId],
        defaultTags: { tags: args.defaultTags ?? {} },
      },
      child,
    );
    const inGlobal = { parent: this, provider: global };

    // --- Origin verification: a generated header value only CloudFront and the load balancer know -------------
    const verifyValue = new random.RandomPassword(`${name}-origin-verify`, { length: 48, special: false }, child);
    const originVerifyHeader = { name: ORIGIN_VERIFY_HEADER, value: pulumi.secret(verifyValue.result) };
    const verifySecret = new JsonSecret(
      originVerifySecretName(name),
      {
        description: `Header value CloudFront sends to the load balancer of ${args.domainName} (rotates: ADR 23)`,
        value: pulumi.secret(verifyValue.result.apply((value) => ({ header: originVerifyHeader.name, value }))),
        kmsKeyArn: args.secretsKmsKeyArn,
        rotated: true,
        ...(args.originVerifyReplica ? { replica: args.originVerifyReplica } : {}),
        protect: args.protect,
      },
      child,
    );

    const certificate = new Certificate(`${name}-cdn`, { domainName: args.domainName, zoneId: args.zoneId }, inGlobal);

    // --- Static assets: private bucket, read by this distribution only ----------------------------------------
    // SSE-S3: the files are the public site's build; a customer key would need a policy naming this distribution.
    const {
      bucket: assets,
      publicAccessBlock: assetsPublicAccess,
      versioning: assetsVersioning,
    } = privateBucket(`${name}-assets`, { protect: args.protect }, child);
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-assets`,
      {
        bucket: assets.id,
        rules: [
          {
            id: "expire-old-builds",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { ...child, dependsOn: [assetsVersioning] },
    );
    const accessControl = new aws.cloudfront.OriginAccessControl(
      `${name}-assets`,
      {
        description: `CloudFront reads ${args.domainName}'s static assets with signed requests`,
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
      },
      child,
    );

    // --- WAF ---------------------------------------------------------------------------------------------------
    const visibility = (metricName: string) => ({
      cloudwatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const metricPrefix = name.replace(/[^A-Za-z0-9]/g, "");
    const webAcl = new aws.wafv2.WebAcl(
      ...applyTransform(
        `${name}-waf`,
        {
          description: `Protects ${args.domainName}: AWS managed rules and a per-IP rate limit`,
          scope: "CLOUDFRONT",
          defaultAction: { allow: {} },
          rules: [
            ...MANAGED_RULE_GROUPS.map((group) => ({
              name: group.name,
              priority: group.priority,
              overrideAction: { none: {} },
              statement: {
                managedRuleGroupStatement: {
                  vendorName: "AWS",
                  name: group.name,
                  // API requests (file imports) may exceed the common rule set's 8 KB body limit; count, not block.
                  ...(group.name === "AWSManagedRulesCommonRuleSet"
                    ? { ruleActionOverrides: [{ name: "SizeRestrictions_BODY", actionToUse: { count: {} } }] }
                    : {}),
                },
              },
              visibilityConfig: visibility(`${metricPrefix}-${group.name}`),
            })),
            {
              name: "RateLimitPerIp",
              priority: 10,
              action: { block: {} },
              statement: {
                rateBasedStatement: {
                  limit: args.rateLimitPer5Minutes,
                  aggregateKeyType: "IP",
                  evaluationWindowSec: 300,
                },
              },
              visibilityConfig: visibility(`${metricPrefix}-RateLimitPerIp`),
            },
          ],
          visibilityConfig: visibility(`${metricPrefix}-waf`),
          tags: { Name: `${name}-waf` },
        },
        inGlobal,
        args.transform?.webAcl,
      ),
    );
    const logsKeyArn =
      args.logs.kmsKeyArn ??
      new EncryptionKey(
        `${name}-edge-logs`,
        {
          description: `CloudWeave edge logs of ${args.domainName} (WAF) in ${GLOBAL_REGION}`,
          account: args.account,
          serviceGrants: ["cloudwatch-logs"],
          protect: args.protect,
        },
        inGlobal,
      ).arn;
    // WAF requires its log groups to be named aws-waf-logs-*.
    const wafLogs = encryptedLogGroup(
      `${name}-waf-logs`,
      `aws-waf-logs-${name}`,
      { kmsKeyArn: logsKeyArn, retentionInDays: args.logs.retentionInDays },
      { ...inGlobal, protect: args.protect },
    );
    new aws.wafv2.WebAclLoggingConfiguration(
      `${name}-waf-logs`,
      {
        resourceArn: webAcl.arn,
        logDestinationConfigs: [wafLogs.arn],
        // Credentials never reach the logs.
        redactedFields: [{ singleHeader: { name: "authorization" } }, { singleHeader: { name: "cookie" } }],
      },
      inGlobal,
    );

    // --- Response headers ----------------------------------------------------------------------------------------
    const headers = new aws.cloudfront.ResponseHeadersPolicy(
      `${name}-security-headers`,
      {
        comment: `Security headers for ${args.domainName}`,
        securityHeadersConfig: {
          strictTransportSecurity: {
            accessControlMaxAgeSec: 63_072_000,
            includeSubdomains: true,
            preload: true,
            override: true,
          },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: "DENY", override: true },
          referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
          xssProtection: { protection: true, modeBlock: true, override: true },
          // Restrictions that cannot break the app: no framing, no plugins, no <base> hijacking.
          contentSecurityPolicy: {
            contentSecurityPolicy: "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
            override: true,
          },
        },
        customHeadersConfig: {
          items: [{ header: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()", override: true }],
        },
        removeHeadersConfig: { items: [{ header: "Server" }, { header: "X-Powered-By" }] },
      },
      child,
    );

    // --- What reaches the origin: every viewer header, cookie and query string, but Host (the origin sees its own
    // name, matching its certificate) and the headers no viewer may pass on. Header behaviour `allExcept`:
    // https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginRequestPolicyHeadersConfig.html
    const originRequests = new aws.cloudfront.OriginRequestPolicy(
      `${name}-origin-requests`,
      {
        comment: `Viewer requests to ${args.domainName}'s application, without Host and private headers`,
        headersConfig: {
          headerBehavior: "allExcept",
          headers: { items: ["Host", ...(args.strippedHeaders ?? [])] },
        },
        cookiesConfig: { cookieBehavior: "all" },
        queryStringsConfig: { queryStringBehavior: "all" },
      },
      child,
    );

    // --- The distribution ----------------------------------------------------------------------------------------
    const appOrigin = "app";
    const assetsOrigin = "assets";
    const distribution = new aws.cloudfront.Distribution(
      ...applyTransform(
        `${name}-cdn`,
        {
          comment: `CloudWeave ${args.domainName}`,
          enabled: true,
          aliases: [args.domainName],
          httpVersion: "http2and3",
          isIpv6Enabled: true,
          priceClass: args.priceClass,
          defaultRootObject: "index.html",
          webAclId: webAcl.arn,
          viewerCertificate: {
            acmCertificateArn: certificate.arn,
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: args.minimumTlsVersion,
          },
          restrictions: { geoRestriction: { restrictionType: "none", locations: [] } },
          origins: [
            {
              originId: appOrigin,
              domainName: args.originDomainName,
              customOriginConfig: {
                httpPort: 80,
                httpsPort: 443,
                originProtocolPolicy: "https-only",
                originSslProtocols: ["TLSv1.2"],
                originReadTimeout: 30,
                originKeepaliveTimeout: 5,
              },
              customHeaders: [originVerifyHeader],
            },
            {
              originId: assetsOrigin,
              domainName: assets.bucketRegionalDomainName,
              originAccessControlId: accessControl.id,
              s3OriginConfig: { originAccessIdentity: "" },
            },
          ],
          // The app and its API: never cached (responses may be per user), everything the app needs forwarded.
          defaultCacheBehavior: {
            targetOriginId: appOrigin,
            viewerProtocolPolicy: "redirect-to-https",
            allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
            cachedMethods: ["GET", "HEAD"],
            cachePolicyId: MANAGED.cachingDisabled,
            originRequestPolicyId: originRequests.id,
            responseHeadersPolicyId: headers.id,
            compress: true,
          },
          orderedCacheBehaviors: (args.staticPathPatterns ?? ["/assets/*"]).map((pathPattern) => ({
            pathPattern,
            targetOriginId: assetsOrigin,
            viewerProtocolPolicy: "redirect-to-https",
            allowedMethods: ["GET", "HEAD", "OPTIONS"],
            cachedMethods: ["GET", "HEAD"],
            cachePolicyId: MANAGED.cachingOptimized,
            responseHeadersPolicyId: headers.id,
            compress: true,
          })),
          tags: { Name: `${name}-cdn` },
        },
        // The origin-verify header's value is the rotation's after the first (rotateOriginVerify).
        { ...child, ignoreChanges: ["origins[*].customHeaders[*].value"] },
        args.transform?.distribution,
      ),
    );

    new aws.s3.BucketPolicy(
      `${name}-assets`,
      {
        bucket: assets.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            denyInsecureTransport(assets.arn, pulumi.interpolate`${assets.arn}/*`),
            {
              Sid: "ThisDistributionReads",
              Effect: "Allow",
              Principal: { Service: "cloudfront.amazonaws.com" },
              Action: "s3:GetObject",
              Resource: pulumi.interpolate`${assets.arn}/*`,
              Condition: { StringEquals: { "AWS:SourceArn": distribution.arn } },
            },
          ],
        }),
      },
      { ...child, dependsOn: [assetsPublicAccess] },
    );

    // --- Access logs (CloudFront standard logging v2 into an S3 bucket, no ACLs needed) ------------------------
    const logBucket = new LogBucket(
      `${name}-cdn-logs`,
      {
        account: args.account,
        writers: [{ service: "log-delivery", prefix: "cloudfront", sourceRegion: GLOBAL_REGION }],
        retentionInDays: args.logs.retentionInDays,
        protect: args.protect,
      },
      inGlobal,
    );
    const logSource = new aws.cloudwatch.LogDeliverySource(
      `${name}-cdn-logs`,
      // Generated names (60 characters at most), so a replaced distribution's source never collides with the old one.
      { logType: "ACCESS_LOGS", resourceArn: distribution.arn },
      inGlobal,
    );
    const logDestination = new aws.cloudwatch.LogDeliveryDestination(
      `${name}-cdn-logs`,
      {
        outputFormat: "parquet",
        deliveryDestinationConfiguration: { destinationResourceArn: pulumi.interpolate`${logBucket.arn}/cloudfront` },
      },
      inGlobal,
    );
    new aws.cloudwatch.LogDelivery(
      `${name}-cdn-logs`,
      { deliverySourceName: logSource.name, deliveryDestinationArn: logDestination.arn },
      inGlobal,
    );

    // --- DNS -----------------------------------------------------------------------------------------------------
    for (const type of ["A", "AAAA"]) {
      new aws.route53.Record(
        `${name}-${type.toLowerCase()}`,
        {
          zoneId: args.zoneId,
          name: args.domainName,
          type,
          aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }],
        },
        child,
      );
    }

    this.distributionId = distribution.id;
    this.distributionArn = distribution.arn;
    this.distributionDomainName = distribution.domainName;
    this.url = `https://${args.domainName}`;
    this.assetsBucketName = assets.bucket;
    this.webAclArn = webAcl.arn;
    this.webAclName = webAcl.name;
    this.originVerifyHeader = originVerifyHeader;
    this.originVerifySecretArn = verifySecret.arn;
    this.originVerify = {
      name,
      secretKmsKeyArn: args.secretsKmsKeyArn,
      distribution: { id: distribution.id, arn: distribution.arn, originId: appOrigin, webAclArn: webAcl.arn },
    };
    this.registerOutputs({
      distributionId: this.distributionId,
      distributionArn: this.distributionArn,
      distributionDomainName: this.distributionDomainName,
      url: this.url,
      assetsBucketName: this.assetsBucketName,
      webAclArn: this.webAclArn,
      webAclName: this.webAclName,
      originVerifySecretArn: this.originVerifySecretArn,
    });
  }
  /**
   * Rotates the origin-verify header on a schedule without a moment of refused requests: the load balancer rules that
   * require it (created after the Edge, by the services) accept the old and the new value while CloudFront switches
   * and deploys, then the new one only (functions/rotation/header.ts).
   */
  public rotateOriginVerify(args: {
    listenerRuleArns: pulumi.Input<string>[];
    settings: Omit<RotationSettings, "network">;
  }): SecretRotation {
    return rotateHeaderCredential(
      `${this.originVerify.name}-origin-verify-rotation`,
      {
        secretArn: this.originVerifySecretArn,
        secretKmsKeyArn: this.originVerify.secretKmsKeyArn,
        listenerRuleArns: args.listenerRuleArns,
        distribution: this.originVerify.distribution,
        settings: args.settings,
      },
      { parent: this },
    );
  }
}
