import { EncryptionKey } from "../components/security/encryption-key";
import type { StackContext } from "./context";

/** The stack's customer-managed keys, one per kind of data, each usable only where its policy says. */
export interface StackKeys {
  logs: EncryptionKey;
  database: EncryptionKey;
  cache: EncryptionKey;
  secrets: EncryptionKey;
  alerts: EncryptionKey;
  images: EncryptionKey;
}

/** Security tier: the stack's KMS keys. */
export function buildKeys({ config, prefix, account, protect }: StackContext): StackKeys {
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
  return {
    logs: key("logs", "CloudWatch log groups", { serviceGrants: ["cloudwatch-logs"] }),
    database: key("database", "RDS storage, snapshots and Performance Insights", { viaServices: ["rds"] }),
    cache: key("cache", "ElastiCache data at rest", { viaServices: ["elasticache"] }),
    secrets: key("secrets", "Secrets Manager secrets", { viaServices: ["secretsmanager"] }),
    alerts: key("alerts", "SNS alert topics", { serviceGrants: ["sns-publishers"], viaServices: ["sns"] }),
    images: key("images", "ECR container images", { viaServices: ["ecr"] }),
  };
}
