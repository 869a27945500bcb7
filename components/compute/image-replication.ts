import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { ImageRepository } from "./image-repository";

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
   * repositories (`repositoryNames`) are created here, before any image is pushed: ECR would otherwise create them
   * itself on the first replicated push, unencrypted by our key and mutable, in the way of any stack that creates them
   * later.
   */
  repositoryPrefix: string;
  /** The names of the repositories to create in `region` (each must start with `repositoryPrefix`). */
  repositoryNames: string[];
  /** The customer key the destination repositories encrypt with, in `region` (the images key's replica). */
  kmsKeyArn: pulumi.Input<string>;
  /** Tags of the provider in `region` (the stack's default tags). */
  defaultTags: Record<string, string>;
  /** Protects the destination repositories from deletion (production). @default false */
  protect?: boolean;
}

/**
 * ECR cross-region replication of this stack's repositories to its standby's region (ADR 24), with the destination
 * repositories: every image pushed here is copied there within minutes, into repositories as hardened as the
 * source ones, so the standby's services start from images already in their region. The standby reads them by name.
 *
 * The registry has one replication configuration per region and account (PutReplicationConfiguration replaces it),
 * so one stack per account owns it: the primary.
 */
export class ImageReplication extends pulumi.ComponentResource {
  /** The destination repositories, by name. */
  public readonly repositories: Record<string, ImageRepository>;

  constructor(name: string, args: ImageReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:compute:ImageReplication", name, {}, opts);
    const prefix = args.repositoryPrefix;
    if (prefix.length < 2 || prefix.length > 256 || !REPOSITORY_FILTER.test(prefix)) {
      throw new Error(`${name}: ECR refuses the repository filter "${prefix}" (API_RepositoryFilter)`);
    }
    const outside = args.repositoryNames.filter((repository) => !repository.startsWith(prefix));
    if (outside.length > 0) throw new Error(`${name}: ${outside.join(", ")} do not start with ${prefix}`);

    const standby = new aws.Provider(
      `${name}-${args.region}`,
      { region: args.region, allowedAccountIds: [args.accountId], defaultTags: { tags: args.defaultTags } },
      { parent: this },
    );
    this.repositories = Object.fromEntries(
      args.repositoryNames.map((repositoryName) => [
        repositoryName,
        new ImageRepository(
          `${name}-${repositoryName.slice(prefix.length).replace(/[^a-z0-9-]/g, "-")}`,
          { repositoryName, kmsKeyArn: args.kmsKeyArn, ...(args.protect ? { protect: true } : {}) },
          { parent: this, provider: standby },
        ),
      ]),
    );
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
      // Only once the destinations exist, so no replicated push creates them first.
      { parent: this, dependsOn: Object.values(this.repositories) },
    );
    this.registerOutputs({ repositories: this.repositories });
  }
}
