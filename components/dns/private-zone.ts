import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link PrivateZone}. */
export interface PrivateZoneArgs {
  /** The zone's domain, e.g. `internal.app.cloudweave.io`. */
  zoneName: string;
  /** The VPC that resolves the zone; nothing outside it sees its records. */
  vpcId: pulumi.Input<string>;
}

/**
 * A Route 53 private hosted zone answered only inside the stack's VPC: names whose addresses are private (the
 * internal API load balancer) stay out of public DNS. The VPC resolves it through the Amazon DNS server
 * (`enableDnsSupport` and `enableDnsHostnames`, which the Network turns on).
 */
export class PrivateZone extends pulumi.ComponentResource {
  /** The zone's id, for records. */
  public readonly zoneId: pulumi.Output<string>;
  /** The zone's domain. */
  public readonly zoneName: string;

  constructor(name: string, args: PrivateZoneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:dns:PrivateZone", name, {}, opts);
    const zone = new aws.route53.Zone(
      `${name}-zone`,
      {
        name: args.zoneName,
        comment: `CloudWeave private names of ${args.zoneName}, resolved in its VPC only`,
        vpcs: [{ vpcId: args.vpcId }],
        // Its records are the program's own: deleting the stack deletes them with the zone.
        forceDestroy: true,
        tags: { Name: args.zoneName },
      },
      { parent: this },
    );
    this.zoneId = zone.zoneId;
    this.zoneName = args.zoneName;
    this.registerOutputs({ zoneId: this.zoneId, zoneName: this.zoneName });
  }
}
