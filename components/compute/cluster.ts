import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link Cluster}. */
export interface ClusterArgs {
  /**
   * Container Insights level: `enhanced` adds task- and container-level metrics to the service-level ones.
   * @default "enhanced"
   */
  containerInsights?: "enabled" | "enhanced";
}

/** The ECS cluster the services run in: Fargate (on-demand) capacity and Container Insights. */
export class Cluster extends pulumi.ComponentResource {
  /** The cluster's ARN, for services. */
  public readonly arn: pulumi.Output<string>;
  /** The cluster's name, the `ClusterName` dimension of ECS metrics. */
  public readonly clusterName: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:compute:Cluster", name, {}, opts);

    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      {
        // Named as the component (ECS cluster names are per region): a primary watches its standby's cluster by
        // this name from another region (ADR 24). A cluster is replaced only when renamed.
        name,
        settings: [{ name: "containerInsights", value: args.containerInsights ?? "enhanced" }],
        tags: { Name: name },
      },
      { parent: this },
    );
    new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      {
        clusterName: cluster.name,
        capacityProviders: ["FARGATE"],
        defaultCapacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
      },
      { parent: this },
    );

    this.arn = cluster.arn;
    this.clusterName = cluster.name;
    this.registerOutputs({ arn: this.arn, clusterName: this.clusterName });
  }
}
