import type * as pulumi from "@pulumi/pulumi";
import { EncryptionKey } from "../components/security/encryption-key";
import type { StackContext } from "./context";

/** The stack's customer-managed keys, one per kind of data, each usable only where its policy says. */
export interface StackKeys {
  logs: EncryptionKey;
  database: EncryptionKey;
  cache: EncryptionKey;
  secrets: EncryptionKey;
  alerts: EncryptionKey;
  /** The images key; a standby has none (it pulls the primary's images from repositories the primary keeps). */
  images: EncryptionKey | undefined;
  /**
   * A primary's secrets key in its standby's region (a replica of the multi-Region key): what the secrets the
   * standby needs are replicated under. Unset on other stacks.
   */
  secretsInStandby?: { region: string; kmsKeyArn: pulumi.Output<string> };
  /** A primary's images key in its standby's region: what its images are replicated under there. */
  imagesInStandby?: { region: string; kmsKeyArn: pulumi.Output<string> };
}

/** Security tier: the stack's KMS keys (a primary's secrets key multi-Region, with its replica in the standby's region). */
export function buildKeys({ config, prefix, account, protect, recovery }: StackContext): StackKeys {
  const key = (
    kind: string,
    description: string,
    grants: Omit<ConstructorParameters<typeof EncryptionKey>[1], "description" | "account" | "protect">,
  ) =>
    new EncryptionKey(`${prefix}-${kind}`, {
      description: `CloudWeave ${config.environment}: ${description}`,
      account,
      ...grants,
      protect,
    });
  const primary = recovery.role === "primary" ? recovery : undefined;
  const secrets = key("secrets", "Secrets Manager secrets", {
    viaServices: ["secretsmanager"],
    multiRegion: primary !== undefined,
  });
  const images =
    recovery.role === "standby"
      ? undefined
      : key("images", "ECR container images", { viaServices: ["ecr"], multiRegion: primary !== undefined });
  let inStandby: Pick<StackKeys, "secretsInStandby" | "imagesInStandby"> = {};
  if (primary) {
    const region = primary.standbyRegion;
    inStandby = {
      secretsInStandby: { region, kmsKeyArn: secrets.replicate(region, { ...config.defaultTags }).arn },
      ...(images
        ? { imagesInStandby: { region, kmsKeyArn: images.replicate(region, { ...config.defaultTags }).arn } }
        : {}),
    };
  }
  return {
    logs: key("logs", "CloudWatch log groups", { serviceGrants: ["cloudwatch-logs"] }),
    database: key("database", "RDS storage, snapshots and Performance Insights", { viaServices: ["rds"] }),
    cache: key("cache", "ElastiCache data at rest", { viaServices: ["elasticache"] }),
    secrets,
    alerts: key("alerts", "SNS alert topics", { serviceGrants: ["sns-publishers"], viaServices: ["sns"] }),
    images,
    ...inStandby,
  };
}
