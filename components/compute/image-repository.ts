import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link ImageRepository}. */
export interface ImageRepositoryArgs {
  /** The repository's name, e.g. `cloudweave-production/frontend`. */
  repositoryName: string;
  /** ARN of the customer-managed KMS key that encrypts the image layers (its policy must admit ECR). */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * How many images to keep; older ones expire. Enough to roll back well past the last release.
   * @default 50
   */
  keepImages?: number;
  /**
   * Days after which untagged images (layers of interrupted pushes, superseded manifests) expire.
   * @default 7
   */
  untaggedExpiryDays?: number;
  /**
   * Protects the repository from deletion by Pulumi and keeps it from being deleted while it holds images
   * (production). Unprotected repositories are deleted with their images on `pulumi destroy`.
   * @default false
   */
  protect?: boolean;
}

/**
 * A private ECR repository for one service's images: immutable tags (a tag always names the same build), scan on
 * push, KMS encryption with a customer key, and a lifecycle policy that bounds what it keeps.
 */
export class ImageRepository extends pulumi.ComponentResource {
  /** The repository URL to pull from and push to, `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
  public readonly repositoryUrl: pulumi.Output<string>;
  /** The repository ARN, for pull permissions. */
  public readonly arn: pulumi.Output<string>;
  /** The repository name. */
  public readonly repositoryName: pulumi.Output<string>;

  constructor(name: string, args: ImageRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:compute:ImageRepository", name, {}, opts);

    const repository = new aws.ecr.Repository(
      `${name}-repository`,
      {
        name: args.repositoryName,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
        forceDelete: !args.protect,
        tags: { Name: args.repositoryName },
      },
      // A fixed name (CI pushes to it): a replacement deletes the old repository first, or the two would collide.
      { parent: this, protect: args.protect, deleteBeforeReplace: true },
    );

    const untaggedDays = args.untaggedExpiryDays ?? 7;
    const keepImages = args.keepImages ?? 50;
    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      {
        repository: repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: `Expire untagged images after ${untaggedDays} days`,
              selection: {
                tagStatus: "untagged",
                countType: "sinceImagePushed",
                countUnit: "days",
                countNumber: untaggedDays,
              },
              action: { type: "expire" },
            },
            {
              rulePriority: 2,
              description: `Keep the newest ${keepImages} images`,
              selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
              action: { type: "expire" },
            },
          ],
        }),
      },
      { parent: this },
    );

    this.repositoryUrl = repository.repositoryUrl;
    this.arn = repository.arn;
    this.repositoryName = repository.name;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, arn: this.arn, repositoryName: this.repositoryName });
  }
}
