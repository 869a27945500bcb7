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
  /**
   * The zone's id, when known: no lookup at deploy time (Route 53's control plane is homed in us-east-1, so a
   * standby's recovery must not depend on it). @default looked up by `zoneName`
   */
  zoneId?: string;
  /** Protects a created zone from deletion by Pulumi (production). @default false */
  protect?: boolean;
}

/** The public Route 53 hosted zone a stack's names live in: looked up, or created when asked. */
export class HostedZone extends pulumi.ComponentResource {
  /** The zone's id. */
  public readonly zoneId: pulumi.Output<string>;
  /** The zone's name servers (to delegate a created zone); not read when the zone's id is given. */
  public readonly nameServers: pulumi.Output<string[]> | undefined;

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
    } else if (args.zoneId) {
      this.zoneId = pulumi.output(args.zoneId);
      this.nameServers = undefined;
    } else {
      const zone = aws.route53.getZoneOutput({ name: args.zoneName, privateZone: false }, { parent: this });
      this.zoneId = zone.zoneId;
      this.nameServers = zone.nameServers;
    }
    this.registerOutputs({ zoneId: this.zoneId, nameServers: this.nameServers });
  }
}
