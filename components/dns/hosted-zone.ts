import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link HostedZone}. */
export interface HostedZoneArgs {
  /** The zone's domain, e.g. `cloudweave.io`. */
  zoneName: string;
  /**
   * Create the public zone (a new account; delegate to its `nameServers` at the registrar) instead of looking up
   * the existing one. Stacks sharing a zone look it up.
   * @default false
   */
  create?: boolean;
  /** Protects a created zone from deletion by Pulumi (production). @default false */
  protect?: boolean;
}

/** The public Route 53 hosted zone a stack's names live in: looked up, or created when asked. */
export class HostedZone extends pulumi.ComponentResource {
  /** The zone's id. */
  public readonly zoneId: pulumi.Output<string>;
  /** The zone's name servers (to delegate a created zone). */
  public readonly nameServers: pulumi.Output<string[]>;

  constructor(name: string, args: HostedZoneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:dns:HostedZone", name, {}, opts);
    if (args.create) {
      const zone = new aws.route53.Zone(
        `${name}-zone`,
        { name: args.zoneName, comment: `CloudWeave: ${args.zoneName}`, tags: { Name: args.zoneName } },
        { parent: this, protect: args.protect },
      );
      this.zoneId = zone.zoneId;
      this.nameServers = zone.nameServers;
    } else {
      const zone = aws.route53.getZoneOutput({ name: args.zoneName, privateZone: false }, { parent: this });
      this.zoneId = zone.zoneId;
      this.nameServers = zone.nameServers;
    }
    this.registerOutputs({ zoneId: this.zoneId, nameServers: this.nameServers });
  }
}
