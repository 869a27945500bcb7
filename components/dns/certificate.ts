import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link Certificate}. */
export interface CertificateArgs {
  /** The certificate's primary name, e.g. `app.cloudweave.io`. */
  domainName: string;
  /** Further names the certificate covers (each must lie in `zoneId`'s zone). @default [] */
  alternativeNames?: string[];
  /** The public Route 53 hosted zone in which ACM's DNS validation records are created. */
  zoneId: pulumi.Input<string>;
  /**
   * The key algorithm; ECDSA P-256 is faster to negotiate and supported by ALB and CloudFront.
   * @default "EC_prime256v1"
   */
  keyAlgorithm?: "RSA_2048" | "EC_prime256v1" | "EC_secp384r1";
}

/**
 * A public ACM certificate validated by DNS in a Route 53 zone. ACM renews it on its own for as long as the
 * validation records stay. Its `arn` resolves only once the certificate is issued, so a listener that takes it
 * waits for validation. Pass a `provider` in `opts` to issue it in another region (CloudFront needs us-east-1).
 */
export class Certificate extends pulumi.ComponentResource {
  /** The issued certificate's ARN. */
  public readonly arn: pulumi.Output<string>;
  /** Every name the certificate covers. */
  public readonly domainNames: string[];

  constructor(name: string, args: CertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:dns:Certificate", name, {}, opts);
    const child = { parent: this };
    const alternativeNames = [...new Set(args.alternativeNames ?? [])].filter((n) => n !== args.domainName);
    const names = [args.domainName, ...alternativeNames];

    const certificate = new aws.acm.Certificate(
      `${name}-certificate`,
      {
        domainName: args.domainName,
        subjectAlternativeNames: alternativeNames,
        validationMethod: "DNS",
        keyAlgorithm: args.keyAlgorithm ?? "EC_prime256v1",
        options: { certificateTransparencyLoggingPreference: "ENABLED" },
        tags: { Name: args.domainName },
      },
      child,
    );

    // One validation record per name. The names are known before the certificate exists, so the records are plain
    // resources (visible in a preview), each picking its own entry from the certificate's validation options.
    const records = names.map((domainName, index) => {
      const option = certificate.domainValidationOptions.apply((options) => {
        const found = options.find((candidate) => candidate.domainName === domainName);
        if (!found) throw new Error(`ACM returned no DNS validation record for ${domainName}`);
        return found;
      });
      return new aws.route53.Record(
        `${name}-validation-${index}`,
        {
          zoneId: args.zoneId,
          name: option.resourceRecordName,
          type: option.resourceRecordType,
          records: [option.resourceRecordValue],
          ttl: 300,
          // Two certificates for the same name share ACM's validation record (a primary's and its standby's, in one
          // account): neither stack deletes it, so destroying one never stops the other's renewals.
          allowOverwrite: true,
        },
        { ...child, retainOnDelete: true },
      );
    });

    const validation = new aws.acm.CertificateValidation(
      `${name}-validation`,
      { certificateArn: certificate.arn, validationRecordFqdns: records.map((record) => record.fqdn) },
      child,
    );

    this.arn = validation.certificateArn;
    this.domainNames = names;
    this.registerOutputs({ arn: this.arn, domainNames: this.domainNames });
  }
}
