/**
 * The kinds of credential the rotation function handles, and the environment each reads. A module of its own, free
 * of imports, so the Pulumi program can check a function's environment without loading the function's SDK clients.
 */
export const ROTATION_KINDS = ["postgres-application", "postgres-master", "redis-user", "jwt-key", "header"] as const;
export type RotationKind = (typeof ROTATION_KINDS)[number];

/** The environment variables each kind needs (beyond `ROTATION_KIND`). */
export const ROTATION_ENVIRONMENT: Record<RotationKind, readonly string[]> = {
  "postgres-application": ["MASTER_SECRET_ARN", "APP_SECRET_ARN", "APP_OWNER_ROLE", "APP_SCHEMA", "APP_USER"],
  // The instance it rotates the master of (a standby's master secret names the primary's until then).
  "postgres-master": ["DATABASE_HOST", "DATABASE_PORT"],
  "redis-user": ["ELASTICACHE_USER_ID"],
  "jwt-key": ["JWT_KEY_BYTES"],
  header: ["LISTENER_RULE_ARNS"],
};
