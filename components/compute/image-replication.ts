import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * What ECR accepts as a repository filter: 2-256 characters of this pattern
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_RepositoryFilter.html).
 */
const REPOSITORY_FILTER = /^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*\/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$/;

/** Arguments of {@link ImageReplication}. */
export interface ImageReplicationArgs {
  /** The account whose registry replicates (the destination is the same account's registry in `region`). */
  accountId: pulumi.Input<string>;
  /** The region images are copied to: the standby's. */
  region: string;
  /**
   * The repositories replicated: those whose names start with this, e.g. `cloudweave-production/`. The destination
   * stack creates repositories of the same names (encrypted with its own key, immutable tags) before the first push.
   */
  repositoryPrefix: string;
}

/**
 * ECR cross-region replication of this stack's repositories to its standby's region (ADR 24): every image pushed
 * here is copied there within minutes, so the standby's services start from images already in their region.
 *
 * The registry has one replication configuration per region and account (PutReplicationConfiguration replaces it),
 * so one stack per account owns it: the primary.
 */
export class ImageReplication extends pulumi.ComponentResource {
  constructor(name: string, args: ImageReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:compute:ImageReplication", name, {}, opts);
    const prefix = args.repositoryPrefix;
    if (prefix.length < 2 || prefix.length > 256 || !REPOSITORY_FILTER.test(prefix)) {
      throw new Error(`${name}: ECR refuses the repository filter "${prefix}" (API_RepositoryFilter)`);
    }
    // A prefix filter matches repository names that start with it.
    new aws.ecr.ReplicationConfiguration(
      `${name}-replication`,
      {
        replicationConfiguration: {
          rules: [
            {
              destinations: [{ region: args.region, registryId: args.accountId }],
              repositoryFilters: [{ filter: prefix, filterType: "PREFIX_MATCH" }],
            },
          ],
        },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
