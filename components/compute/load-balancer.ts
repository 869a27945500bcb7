import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName } from "../lib/aws-names";
import { applyTransform, type Transform } from "../lib/transform";

/**
 * TLS 1.3 and TLS 1.2 with forward-secret AEAD ciphers only: AWS's recommended policy. TLS 1.3-only
 * (`ELBSecurityPolicy-TLS13-1-3-2021-06`) would shut out clients and origins that stop at TLS 1.2.
 */
export const DEFAULT_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06";

/** Arguments of {@link LoadBalancer}. */
export interface LoadBalancerArgs {
  /**
   * An internal load balancer gets private addresses only and no HTTP listener; an internet-facing one lives in
   * public subnets and redirects HTTP to HTTPS.
   * @default false
   */
  internal?: boolean;
  /** Subnets, one per AZ: public subnets for an internet-facing load balancer, private ones for an internal one. */
  subnetIds: pulumi.Input<string>[];
  /** The load balancer's security group. */
  securityGroupId: pulumi.Input<string>;
  /** ARN of the (issued) ACM certificate the HTTPS listener presents. */
  certificateArn: pulumi.Input<string>;
  /** The HTTPS listener's security policy. @default {@link DEFAULT_TLS_POLICY} */
  tlsPolicy?: string;
  /**
   * Adds a port-80 listener that redirects to HTTPS. Pointless when only CloudFront (HTTPS-only to its origins)
   * may connect.
   * @default true for an internet-facing load balancer, false for an internal one
   */
  httpRedirect?: boolean;
  /**
   * Where access and connection logs go: a bucket whose policy admits ELB log delivery under `prefix`.
   * The load balancer writes to `<prefix>/access` and `<prefix>/connection`.
   */
  logs: { bucketName: pulumi.Input<string>; prefix: string };
  /** Seconds an idle connection stays open. @default 60 */
  idleTimeoutSeconds?: number;
  /** Refuses deletion of the load balancer until switched off (production). @default false */
  deletionProtection?: boolean;
  /**
   * DNS names to point at the load balancer (Route 53 alias A records) in the given public hosted zone.
   * @default no records
   */
  dnsAliases?: {
    zoneId: pulumi.Input<string>;
    names: string[];
  };
  /** Edits to the arguments of the main children (see {@link Transform}). @default none */
  transform?: {
    /** The load balancer. */
    loadBalancer?: Transform<aws.lb.LoadBalancerArgs>;
    /** The HTTPS listener. */
    httpsListener?: Transform<aws.lb.ListenerArgs>;
  };
}

/**
 * An Application Load Balancer with an HTTPS listener (TLS 1.3 policy; requests that match no service's rule get a
 * 404), optionally HTTP redirected to HTTPS, invalid header fields dropped, defensive desync mitigation, and access
 * and connection logs. Services attach their own listener rules to `httpsListenerArn`.
 */
export class LoadBalancer extends pulumi.ComponentResource {
  /** The load balancer's ARN. */
  public readonly arn: pulumi.Output<string>;
  /** The ARN suffix CloudWatch uses as the `LoadBalancer` metric dimension. */
  public readonly arnSuffix: pulumi.Output<string>;
  /** The load balancer's own DNS name. */
  public readonly dnsName: pulumi.Output<string>;
  /** The hosted zone of the load balancer's DNS name, for alias records. */
  public readonly zoneId: pulumi.Output<string>;
  /** The HTTPS (443) listener that services add their rules to. */
  public readonly httpsListenerArn: pulumi.Output<string>;
  /** The DNS names pointed at the load balancer (`dnsAliases.names`). */
  public readonly hostnames: string[];

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:compute:LoadBalancer", name, {}, opts);
    const child = { parent: this };
    const internal = args.internal ?? false;

    // ELB names are at most 32 characters, too short for "<logical name>-<random>": an explicit name that changes
    // with the inputs that replace a load balancer, so a replacement never collides with the one it replaces.
    const loadBalancerType = "application";
    const loadBalancer = new aws.lb.LoadBalancer(
      ...applyTransform(
        `${name}-alb`,
        {
          name: physicalName("aws:lb/loadBalancer:LoadBalancer", `${name}-alb`, [internal, loadBalancerType]),
          loadBalancerType,
          internal,
          subnets: args.subnetIds,
          securityGroups: [args.securityGroupId],
          ipAddressType: "ipv4",
          dropInvalidHeaderFields: true,
          desyncMitigationMode: "defensive",
          enableDeletionProtection: args.deletionProtection ?? false,
          idleTimeout: args.idleTimeoutSeconds ?? 60,
          enableHttp2: true,
          xffHeaderProcessingMode: "append",
          accessLogs: { enabled: true, bucket: args.logs.bucketName, prefix: `${args.logs.prefix}/access` },
          connectionLogs: { enabled: true, bucket: args.logs.bucketName, prefix: `${args.logs.prefix}/connection` },
          tags: { Name: name },
        },
        child,
        args.transform?.loadBalancer,
      ),
    );

    const https = new aws.lb.Listener(
      ...applyTransform(
        `${name}-https`,
        {
          loadBalancerArn: loadBalancer.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: args.tlsPolicy ?? DEFAULT_TLS_POLICY,
          certificateArn: args.certificateArn,
          defaultActions: [
            {
              type: "fixed-response",
              fixedResponse: { statusCode: "404", contentType: "text/plain", messageBody: "Not found" },
            },
          ],
          tags: { Name: `${name}-https` },
        },
        child,
        args.transform?.httpsListener,
      ),
    );

    if (args.httpRedirect ?? !internal) {
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: loadBalancer.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
          tags: { Name: `${name}-http` },
        },
        child,
      );
    }

    const aliases = args.dnsAliases ?? { zoneId: "", names: [] };
    for (const hostname of aliases.names) {
      new aws.route53.Record(
        `${name}-${hostname}`,
        {
          zoneId: aliases.zoneId,
          name: hostname,
          type: "A",
          aliases: [{ name: loadBalancer.dnsName, zoneId: loadBalancer.zoneId, evaluateTargetHealth: true }],
          allowOverwrite: false,
        },
        child,
      );
    }

    this.arn = loadBalancer.arn;
    this.arnSuffix = loadBalancer.arnSuffix;
    this.dnsName = loadBalancer.dnsName;
    this.zoneId = loadBalancer.zoneId;
    this.httpsListenerArn = https.arn;
    this.hostnames = aliases.names;
    this.registerOutputs({
      arn: this.arn,
      arnSuffix: this.arnSuffix,
      dnsName: this.dnsName,
      zoneId: this.zoneId,
      httpsListenerArn: this.httpsListenerArn,
      hostnames: this.hostnames,
    });
  }
}
