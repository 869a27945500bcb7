/**
 * Facts about the CloudWeave application itself, the same in every stack (so not stack config):
 * the ports its containers and data stores listen on.
 */
export const APP_PORTS = {
  /** nginx serving the React build. */
  frontend: 80,
  /** The Go API. */
  backend: 3001,
  /** PostgreSQL. */
  database: 5432,
  /** Redis. */
  cache: 6379,
} as const;

export type AppPorts = { readonly [Tier in keyof typeof APP_PORTS]: number };

/** What ECS needs to know about each application container; the images are built to this contract (docs/delivery.md). */
export const APP_CONTAINERS = {
  frontend: {
    healthCheckPath: "/health",
    /** The `nginx` user of the official nginx:alpine image. */
    user: "101:101",
    /** nginx's temp files and cache; its pid file goes to /tmp (`pid /tmp/nginx.pid;` in the image's nginx.conf). */
    writablePaths: ["/tmp", "/var/cache/nginx"],
  },
  backend: {
    healthCheckPath: "/api/v1/health",
    /** An unprivileged user the Go image creates and owns its binary with. */
    user: "10001:10001",
    writablePaths: ["/tmp"],
  },
} as const;

/**
 * How the backend's PostgreSQL roles are laid out (functions/rotation/postgres.ts creates them at deploy time): a
 * NOLOGIN owner of the application's schema and its objects, and the login role the backend connects as (the design's
 * `cloudweave_user`; rotation alternates it with `cloudweave_user_clone`). Tables go in the schema (the login roles'
 * `search_path`), not in `public`.
 */
export const APP_DATABASE_ROLES = { owner: "cloudweave_app", schema: "cloudweave", user: "cloudweave_user" } as const;

/** The RDS master user: only the rotation functions and people in an emergency connect as it. */
export const DATABASE_MASTER_USER = "cloudweave_master";

/**
 * The backend's Redis user (ElastiCache RBAC): its user name, the key prefixes the application's keys start with
 * (sessions and cached API responses), and what it may do, as an access string (Redis ACL rule syntax, which
 * ElastiCache's `AccessString` takes: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html).
 * Data commands on those keys, connection and transaction commands; nothing `@dangerous` (FLUSHALL, KEYS, CONFIG,
 * DEBUG, CLIENT KILL, MIGRATE ...), no scripting, no pub/sub. test/servers/redis.test.ts checks each against a real
 * Redis.
 */
const REDIS_KEY_PREFIXES = ["session:", "cache:"] as const;
export const APP_REDIS_USER = {
  userName: "cloudweave",
  keyPrefixes: REDIS_KEY_PREFIXES,
  accessString: [
    "on",
    ...REDIS_KEY_PREFIXES.map((prefix) => `~${prefix}*`),
    "-@all +@read +@write +@connection +@transaction -@dangerous",
  ].join(" "),
} as const;

/** The secrets the backend reads, by the name the stack's secrets are known under. */
export type BackendSecret = "database" | "redis" | "jwt";

/**
 * The backend's secret environment variables: each reads one key of one JSON secret, injected by ECS when the task
 * starts. The names are the application's contract (local development uses the same ones).
 */
export const BACKEND_SECRET_VARIABLES: Readonly<Record<string, { secret: BackendSecret; key: string }>> = {
  DATABASE_HOST: { secret: "database", key: "host" },
  DATABASE_PORT: { secret: "database", key: "port" },
  DATABASE_NAME: { secret: "database", key: "database" },
  DATABASE_USER: { secret: "database", key: "username" },
  DATABASE_PASSWORD: { secret: "database", key: "password" },
  REDIS_HOST: { secret: "redis", key: "endpoint" },
  REDIS_READER_HOST: { secret: "redis", key: "readerEndpoint" },
  REDIS_PORT: { secret: "redis", key: "port" },
  REDIS_USERNAME: { secret: "redis", key: "username" },
  REDIS_PASSWORD: { secret: "redis", key: "password" },
  JWT_SECRET: { secret: "jwt", key: "secret" },
  JWT_EXPIRES_IN: { secret: "jwt", key: "expiresIn" },
  JWT_REFRESH_EXPIRES_IN: { secret: "jwt", key: "refreshExpiresIn" },
};

/**
 * The backend's feature flags (AWS AppConfig, profile `feature-flags`): the names the application reads and what each
 * switches. Which are on is per stack (`cloudweave:featureFlags.enabled`).
 */
export const FEATURE_FLAGS = {
  "new-dashboard": "The redesigned resource dashboard",
  "bulk-import": "Importing cloud accounts in bulk from a CSV file",
  "cost-insights": "Cost anomaly insights on the overview page",
} as const;

export type FeatureFlag = keyof typeof FEATURE_FLAGS;
