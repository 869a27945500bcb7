import { expect } from "chai";
import type { StackConfig } from "../config";
import { readStackSettings, runStack, type StackRun } from "../offline/harness";
import { type DeclaredResource } from "../offline/mocks";
import {
  STACKS,
  prefixOf,
  byArn,
  json,
  ofType,
  revealed,
  single,
  stackRun,
  stackConfig,
  type Statement,
} from "./helpers";

interface Behavior {
  pathPattern?: string;
  targetOriginId: string;
  viewerProtocolPolicy: string;
  allowedMethods: string[];
  cachePolicyId: string;
  originRequestPolicyId?: string;
  responseHeadersPolicyId: string;
  compress: boolean;
}

const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6";

describe("edge on the stacks that have one", () => {
  // A standby has no edge: the primary's distribution reaches it (test/disaster-recovery.test.ts).
  for (const stack of STACKS.filter((name) => stackConfig(name).disasterRecovery?.role !== "standby")) {
    describe(stack, () => {
      let run: StackRun;
      let config: StackConfig;
      let distribution: DeclaredResource;
      before(async () => {
        run = await stackRun(stack);
        config = stackConfig(stack);
        distribution = single(run, "aws:cloudfront/distribution:Distribution");
      });

      const edgeName = () => `${prefixOf(stack)}-edge`;
      /**
       * The region of the explicit provider a resource was created with. Resources on the default provider report
       * so: the stacks run in us-east-1 too, and a global resource must not depend on that.
       */
      const regionOf = (resource: DeclaredResource): string => {
        if (!resource.provider) return `the default provider (${config.region})`;
        const providerUrn = resource.provider.split("::").slice(0, -1).join("::");
        const provider = run.resources.find((candidate) => candidate.urn === providerUrn);
        return String(provider?.inputs.region);
      };
      const behaviors = (): Behavior[] => [
        distribution.inputs.defaultCacheBehavior as Behavior,
        ...(distribution.inputs.orderedCacheBehaviors as Behavior[]),
      ];

      it("serves the stack's domain over HTTPS only, TLS 1.2+ with a us-east-1 certificate, HTTP/2 and 3, IPv6", () => {
        const certificate = single(run, "aws:acm/certificate:Certificate", `${edgeName()}-cdn-certificate`);
        const validation = single(
          run,
          "aws:acm/certificateValidation:CertificateValidation",
          `${edgeName()}-cdn-validation`,
        );
        expect(certificate.inputs).to.include({ domainName: config.domain.name, validationMethod: "DNS" });
        expect(regionOf(certificate)).to.equal("us-east-1");
        expect(regionOf(validation)).to.equal("us-east-1");
        expect(distribution.inputs).to.deep.include({
          aliases: [config.domain.name],
          enabled: true,
          httpVersion: "http2and3",
          isIpv6Enabled: true,
          priceClass: config.edge.priceClass,
          viewerCertificate: {
            acmCertificateArn: validation.outputs.certificateArn,
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: "TLSv1.2_2021",
          },
        });
        for (const behavior of behaviors()) {
          expect(behavior.viewerProtocolPolicy, behavior.pathPattern ?? "default").to.be.oneOf([
            "redirect-to-https",
            "https-only",
          ]);
          expect(behavior.compress).to.equal(true);
        }
      });

      it("never caches the app and its API, forwards what the app needs, and caches static assets from S3", () => {
        const [app, ...assets] = behaviors();
        expect(app).to.deep.include({ targetOriginId: "app", cachePolicyId: CACHING_DISABLED });
        // Every viewer header reaches the app but Host (the origin's certificate names origin.<domain>) and the
        // test-traffic credential: a viewer cannot reach the green tasks by sending it.
        const forwarding = single(run, "aws:cloudfront/originRequestPolicy:OriginRequestPolicy");
        expect(app?.originRequestPolicyId).to.equal(forwarding.id);
        expect(forwarding.inputs.headersConfig).to.deep.equal({
          headerBehavior: "allExcept",
          headers: { items: ["Host", "X-CloudWeave-Test-Traffic"] },
        });
        const testRules = ofType(run, "aws:lb/listenerRule:ListenerRule").filter((rule) => rule.name.endsWith("-test"));
        for (const rule of testRules) {
          const names = (revealed(rule.inputs.conditions) as { httpHeader?: { httpHeaderName: string } }[])
            .map((condition) => condition.httpHeader?.httpHeaderName)
            .filter((name) => name !== undefined && name !== "X-Origin-Verify");
          expect(names, `${rule.name} selects by a header the edge strips`).to.deep.equal([
            "X-CloudWeave-Test-Traffic",
          ]);
        }
        expect(app?.allowedMethods).to.include.members(["GET", "POST", "PUT", "PATCH", "DELETE"]);
        expect(assets.map((behavior) => behavior.pathPattern)).to.deep.equal(["/assets/*"]);
        for (const behavior of assets) {
          expect(behavior).to.deep.include({ targetOriginId: "assets", cachePolicyId: CACHING_OPTIMIZED });
          expect(behavior.allowedMethods).to.deep.equal(["GET", "HEAD", "OPTIONS"]);
        }
      });

      it("reaches the load balancer over HTTPS with the secret origin header, and S3 through origin access control", () => {
        const origins = revealed(distribution.inputs.origins) as {
          originId: string;
          domainName: string;
          customOriginConfig?: { originProtocolPolicy: string; originSslProtocols: string[] };
          customHeaders?: { name: string; value: string }[];
          originAccessControlId?: string;
        }[];
        const app = origins.find((origin) => origin.originId === "app");
        expect(app?.domainName).to.equal(`origin.${config.domain.name}`);
        expect(app?.customOriginConfig).to.deep.include({
          originProtocolPolicy: "https-only",
          originSslProtocols: ["TLSv1.2"],
        });
        const secret = single(run, "random:index/randomPassword:RandomPassword", `${edgeName()}-origin-verify`);
        expect(app?.customHeaders).to.deep.equal([{ name: "X-Origin-Verify", value: revealed(secret.outputs.result) }]);
        expect(JSON.stringify(distribution.inputs.origins), "the header value is a Pulumi secret").to.not.include(
          String(revealed(secret.outputs.result)),
        );

        const bucket = single(run, "aws:s3/bucket:Bucket", `${edgeName()}-assets`);
        const accessControl = single(run, "aws:cloudfront/originAccessControl:OriginAccessControl");
        const assets = origins.find((origin) => origin.originId === "assets");
        expect(assets?.domainName).to.equal(bucket.outputs.bucketRegionalDomainName);
        expect(assets?.originAccessControlId).to.equal(accessControl.id);
        expect(accessControl.inputs).to.include({
          originAccessControlOriginType: "s3",
          signingBehavior: "always",
          signingProtocol: "sigv4",
        });
      });

      it("adds HSTS and the usual security headers to every response", () => {
        const policy = single(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy");
        for (const behavior of behaviors()) expect(behavior.responseHeadersPolicyId).to.equal(policy.id);
        const headers = policy.inputs.securityHeadersConfig as Record<string, Record<string, unknown>>;
        expect(headers.strictTransportSecurity).to.deep.include({ includeSubdomains: true, preload: true });
        expect(headers.strictTransportSecurity?.accessControlMaxAgeSec).to.be.at.least(31_536_000);
        expect(headers.contentTypeOptions).to.deep.equal({ override: true });
        expect(headers.frameOptions).to.deep.include({ frameOption: "DENY" });
        expect(headers.referrerPolicy).to.deep.include({ referrerPolicy: "strict-origin-when-cross-origin" });
        expect(String(headers.contentSecurityPolicy?.contentSecurityPolicy)).to.include("frame-ancestors 'none'");
      });

      it("keeps the assets bucket private, encrypted, versioned and readable by this distribution only", () => {
        const bucket = single(run, "aws:s3/bucket:Bucket", `${edgeName()}-assets`);
        const forBucket = (type: string) => {
          const matches = ofType(run, type).filter((resource) => resource.inputs.bucket === bucket.id);
          expect(matches, type).to.have.length(1);
          return matches[0] as DeclaredResource;
        };
        expect(forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.include({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        expect(forBucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).to.deep.equal({
          objectOwnership: "BucketOwnerEnforced",
        });
        expect(
          forBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
            .rules,
        ).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
        expect(forBucket("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration).to.deep.equal({
          status: "Enabled",
        });
        const statements = json<{ Statement: Statement[] }>(
          forBucket("aws:s3/bucketPolicy:BucketPolicy"),
          "policy",
        ).Statement;
        expect(statements).to.have.length(2);
        expect(statements[0]).to.deep.include({
          Effect: "Deny",
          Principal: "*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        expect(statements[1]).to.deep.equal({
          Sid: "ThisDistributionReads",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: `${String(bucket.outputs.arn)}/*`,
          Condition: { StringEquals: { "AWS:SourceArn": distribution.outputs.arn } },
        });
        expect(bucket.protect).to.equal(stack === "production");
      });

      it("attaches a CLOUDFRONT-scope WAF with the AWS managed rules and the configured per-IP rate limit", () => {
        const webAcl = single(run, "aws:wafv2/webAcl:WebAcl");
        expect(distribution.inputs.webAclId).to.equal(webAcl.outputs.arn);
        expect(webAcl.inputs).to.deep.include({ scope: "CLOUDFRONT", defaultAction: { allow: {} } });
        expect(regionOf(webAcl)).to.equal("us-east-1");
        const rules = webAcl.inputs.rules as {
          name: string;
          priority: number;
          action?: unknown;
          overrideAction?: unknown;
          statement: {
            managedRuleGroupStatement?: { vendorName: string; name: string };
            rateBasedStatement?: { limit: number; aggregateKeyType: string };
          };
        }[];
        const byPriority = [...rules].sort((a, b) => a.priority - b.priority);
        expect(byPriority.map((rule) => rule.name)).to.deep.equal([
          "AWSManagedRulesAmazonIpReputationList",
          "RateLimitPerIp",
          "AWSManagedRulesCommonRuleSet",
          "AWSManagedRulesKnownBadInputsRuleSet",
          "AWSManagedRulesSQLiRuleSet",
        ]);
        for (const rule of rules.filter((r) => r.statement.managedRuleGroupStatement)) {
          expect(rule.statement.managedRuleGroupStatement?.vendorName).to.equal("AWS");
          expect(rule.overrideAction, rule.name).to.deep.equal({ none: {} });
        }
        const rate = rules.find((rule) => rule.name === "RateLimitPerIp");
        expect(rate?.action).to.deep.equal({ block: {} });
        expect(rate?.statement.rateBasedStatement).to.deep.include({
          limit: config.edge.rateLimitPer5Minutes,
          aggregateKeyType: "IP",
        });
      });

      it("logs the WAF to an encrypted us-east-1 log group, redacting credentials", () => {
        const logging = single(run, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration");
        const webAcl = single(run, "aws:wafv2/webAcl:WebAcl");
        expect(logging.inputs.resourceArn).to.equal(webAcl.outputs.arn);
        const logGroup = byArn(run, (logging.inputs.logDestinationConfigs as string[])[0]);
        expect(logGroup.inputs.name).to.equal(`aws-waf-logs-${edgeName()}`);
        expect(regionOf(logGroup)).to.equal("us-east-1");
        expect(logGroup.inputs.retentionInDays).to.equal(config.logs.retentionInDays);
        expect(logGroup.inputs.kmsKeyId).to.equal((run.outputs.kmsKeyArns as Record<string, string>).logs);
        expect(logging.inputs.redactedFields).to.deep.equal([
          { singleHeader: { name: "authorization" } },
          { singleHeader: { name: "cookie" } },
        ]);
      });

      it("delivers CloudFront access logs to an encrypted, private bucket that admits only this account's delivery", () => {
        const source = single(run, "aws:cloudwatch/logDeliverySource:LogDeliverySource");
        expect(source.inputs).to.include({ logType: "ACCESS_LOGS", resourceArn: distribution.outputs.arn });
        const destination = single(run, "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination");
        const delivery = single(run, "aws:cloudwatch/logDelivery:LogDelivery");
        expect(delivery.inputs).to.include({
          deliverySourceName: source.outputs.name,
          deliveryDestinationArn: destination.outputs.arn,
        });
        const bucket = single(run, "aws:s3/bucket:Bucket", `${edgeName()}-cdn-logs-bucket`);
        expect(
          (destination.inputs.deliveryDestinationConfiguration as { destinationResourceArn: string })
            .destinationResourceArn,
        ).to.equal(`${String(bucket.outputs.arn)}/cloudfront`);
        for (const resource of [source, destination, delivery, bucket])
          expect(regionOf(resource)).to.equal("us-east-1");
        const policy = ofType(run, "aws:s3/bucketPolicy:BucketPolicy").find((p) => p.inputs.bucket === bucket.id);
        const writer = json<{ Statement: Statement[] }>(policy!, "policy").Statement.find(
          (statement) => statement.Sid === "VendedLogDelivery",
        );
        expect(writer?.Principal).to.deep.equal({ Service: "delivery.logs.amazonaws.com" });
        expect(writer?.Condition?.StringEquals).to.deep.equal({ "aws:SourceAccount": run.accountId });
        expect(writer?.Resource).to.equal(`${String(bucket.outputs.arn)}/cloudfront/*`);
        const encryption = ofType(
          run,
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        ).find((candidate) => candidate.inputs.bucket === bucket.id);
        expect(encryption?.inputs.rules).to.deep.equal([
          { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ]);
      });

      it("points the domain at the distribution with A and AAAA alias records", () => {
        const records = ["a", "aaaa"].map((type) => single(run, "aws:route53/record:Record", `${edgeName()}-${type}`));
        expect(records.map((record) => record.inputs.type)).to.deep.equal(["A", "AAAA"]);
        for (const record of records) {
          expect(record.inputs.name).to.equal(config.domain.name);
          expect(record.inputs.aliases).to.deep.equal([
            {
              name: distribution.outputs.domainName,
              zoneId: distribution.outputs.hostedZoneId,
              evaluateTargetHealth: false,
            },
          ]);
        }
        expect(run.outputs.url).to.equal(`https://${config.domain.name}`);
      });

      it("lets nothing but CloudFront, and the release checks through the stack's NAT, reach the public load balancer", () => {
        const groups = run.outputs.securityGroupIds as Record<string, string>;
        const ingress = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
          (rule) => rule.inputs.securityGroupId === groups.alb,
        );
        expect(
          ingress.map((rule) => [rule.inputs.prefixListId, rule.inputs.fromPort, rule.inputs.cidrIpv4]),
        ).to.have.deep.members([
          ["pl-3b927c52", 443, undefined],
          ...(run.outputs.natPublicIps as string[]).map((address) => [undefined, 443, `${address}/32`]),
        ]);
        // Every rule on the public listener demands the header only CloudFront (and the release checks) send.
        const publicAlb = single(run, "aws:lb/loadBalancer:LoadBalancer", `${prefixOf(stack)}-public-alb`);
        const listeners = ofType(run, "aws:lb/listener:Listener").filter(
          (listener) => listener.inputs.loadBalancerArn === publicAlb.outputs.arn,
        );
        expect(listeners.map((listener) => listener.inputs.port)).to.deep.equal([443]);
        const rules = ofType(run, "aws:lb/listenerRule:ListenerRule").filter(
          (rule) => rule.inputs.listenerArn === listeners[0]?.outputs.arn,
        );
        expect(rules).to.have.length(2);
        const secret = single(run, "random:index/randomPassword:RandomPassword", `${edgeName()}-origin-verify`);
        for (const rule of rules) {
          expect(revealed(rule.inputs.conditions), rule.name).to.deep.include({
            httpHeader: { httpHeaderName: "X-Origin-Verify", values: [revealed(secret.outputs.result)] },
          });
        }
        const secretResource = byArn(run, (run.outputs.cdn as Record<string, string>).originVerifySecretArn);
        expect(secretResource.inputs.kmsKeyId).to.equal((run.outputs.kmsKeyArns as Record<string, string>).secrets);
      });
    });
  }

  it("creates the hosted zone when the stack asks for it, and puts every record in it", async () => {
    const domain = { ...(readStackSettings("production")["cloudweave:domain"] as object), createHostedZone: true };
    const run = await runStack("production", { configOverrides: { "cloudweave:domain": domain } });
    const zone = ofType(run, "aws:route53/zone:Zone").find((candidate) => !candidate.inputs.vpcs)!;
    expect(zone.inputs.name).to.equal("cloudweave.io");
    expect(zone.protect).to.equal(true);
    const privateZone = ofType(run, "aws:route53/zone:Zone").find((candidate) => candidate.inputs.vpcs)!;
    const records = ofType(run, "aws:route53/record:Record").filter(
      (record) => record.inputs.zoneId !== privateZone.outputs.zoneId,
    );
    expect(records.length).to.be.greaterThan(0);
    for (const record of records) expect(record.inputs.zoneId, record.name).to.equal(zone.outputs.zoneId);
  });
});
