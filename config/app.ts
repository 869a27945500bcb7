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
