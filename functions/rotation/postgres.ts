/**
 * PostgreSQL credentials: the application's roles, created once at deploy time, and two rotation strategies.
 *
 * - The application's objects belong to a NOLOGIN owner role (`cloudweave_app`) in a schema of its own. Two login
 *   roles (`cloudweave_user` and `cloudweave_user_clone`, AWS's naming for the alternating-users strategy) are members
 *   that switch to the owner as they connect (`ALTER ROLE ... SET role`), so whatever either creates, the other can
 *   use. None may create roles or databases, and none has any privilege outside the application's schema.
 * - **Alternating users** for the application: each rotation gives the *other* login role a new password, so the
 *   credentials in use keep working until the rotation after next
 *   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html#rotating-secrets-two-users).
 * - **Single user** for the master user, which only the rotation functions and people in an emergency use.
 *
 * Passwords reach the server as SCRAM-SHA-256 verifiers, never in clear text, so no statement log can hold one.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { Client } from "pg";
import { newPassword, type RotationStrategy } from "./protocol";

/** The connection document every PostgreSQL secret holds; the backend reads the application's. */
export interface DatabaseConnection {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
}

/** How the application's roles are laid out in its database. */
export interface ApplicationRoles {
  /** NOLOGIN role that owns the schema and every object in it. */
  owner: string;
  /** The schema the application's objects live in (the login roles' `search_path`). */
  schema: string;
  /** The login role the first credentials name; its alternate is `<user>_clone`. */
  user: string;
}

/** `verify-full` (RDS: the Lambda runtime's CA bundle holds the RDS CAs) or, for local tests only, `disable`. */
export type TlsMode = "verify-full" | "disable";

/** The alternating partner of a login role: `x` <-> `x_clone`. */
export function alternateUser(roles: ApplicationRoles, username: string): string {
  const clone = `${roles.user}_clone`;
  if (username === roles.user) return clone;
  if (username === clone) return roles.user;
  throw new Error(`${username} is neither ${roles.user} nor ${clone}`);
}

/** A connected client; the caller ends it. */
export async function connect(connection: DatabaseConnection, tls: TlsMode): Promise<Client> {
  const client = new Client({
    host: connection.host,
    port: connection.port,
    user: connection.username,
    password: connection.password,
    database: connection.database,
    ssl: tls === "verify-full" ? { rejectUnauthorized: true } : false,
    connectionTimeoutMillis: 10_000,
    application_name: "cloudweave-rotation",
  });
  await client.connect();
  return client;
}

/** Runs `work` on a fresh connection and closes it. */
export async function withConnection<T>(
  connection: DatabaseConnection,
  tls: TlsMode,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(connection, tls);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The instance a function serves: where it connects, whatever host a stored document names. A standby's master
 * secret is the primary's replica (ADR 24), so its documents name the primary's instance until the standby's own
 * rotation rewrites them; the application's secret is always the stack's own.
 */
export interface Endpoint {
  host: string;
  port: number;
}

/** `credentials` at `endpoint`, in `database`. */
export function at(
  credentials: DatabaseConnection,
  endpoint: Endpoint,
  database = credentials.database,
): DatabaseConnection {
  return { ...credentials, host: endpoint.host, port: endpoint.port, database };
}

/**
 * Failures that mean the server does not take connections yet, rather than that it refuses these credentials: the
 * socket errors of a host that is rebooting (a read replica being promoted restarts, USER_ReadRepl.Promote.html) and
 * PostgreSQL's 57P03 cannot_connect_now (starting up).
 */
const NOT_READY = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P03",
]);

/** Whether a connection failure is the server's not being ready (retry) rather than a refusal (give up). */
export function notReady(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  if (code !== undefined) return NOT_READY.has(code);
  // node-postgres reports its own connect timeout without a code.
  return error instanceof Error && /timeout/i.test(error.message);
}

/**
 * `attempt` until it succeeds, retrying only while the server is not ready, every `pauseMs`, until `deadline`
 * (epoch ms): the bootstrap right after a promotion, which reboots the instance.
 */
export async function whenReady<T>(
  attempt: () => Promise<T>,
  options: { deadline: number; pauseMs?: number; now?: () => number; sleep?: (ms: number) => Promise<void> },
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pause = options.pauseMs ?? 5_000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!notReady(error) || now() + pause > options.deadline) throw error;
      await sleep(pause);
    }
  }
}

/** PostgreSQL's SQLSTATE for a rejected password (and for a role that may not log in with one). */
const INVALID_PASSWORD = "28P01";

/** Whether these credentials log in; `false` only when the server rejects the password, other failures throw. */
export async function canLogIn(connection: DatabaseConnection, tls: TlsMode): Promise<boolean> {
  try {
    await withConnection(connection, tls, () => Promise.resolve());
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === INVALID_PASSWORD) return false;
    throw error;
  }
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677; the format of `pg_authid.rolpassword`,
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`). Sent instead of the password, the server stores it
 * as is. 4096 iterations is PostgreSQL's default (`scram_iterations`).
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Sets a role's password (as a verifier). */
export async function setPassword(client: Client, role: string, password: string): Promise<void> {
  await client.query(
    `ALTER ROLE ${client.escapeIdentifier(role)} WITH PASSWORD ${client.escapeLiteral(scramVerifier(password))}`,
  );
}

async function roleExists(client: Client, role: string): Promise<boolean> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
  return rowCount === 1;
}

/**
 * Creates what is missing of the application's roles and schema, and (re)states their privileges; run as the master
 * user, connected to the application's database. Idempotent: a second run creates nothing and changes no catalog row.
 * @returns the roles and schema it created
 */
export async function ensureApplicationRoles(client: Client, roles: ApplicationRoles): Promise<string[]> {
  const id = (name: string) => client.escapeIdentifier(name);
  const created: string[] = [];
  const owner = id(roles.owner);
  if (!(await roleExists(client, roles.owner))) {
    await client.query(`CREATE ROLE ${owner} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT`);
    created.push(roles.owner);
  }
  // PostgreSQL 15 lets a CREATEROLE user (the RDS master) hand a schema to a role it is a member of only.
  const member = await client.query<{ member: boolean }>("SELECT pg_has_role(current_user, $1, 'MEMBER') AS member", [
    roles.owner,
  ]);
  if (!member.rows[0]?.member) await client.query(`GRANT ${owner} TO CURRENT_USER`);

  const schema = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [roles.schema]);
  if (schema.rowCount === 0) {
    await client.query(`CREATE SCHEMA ${id(roles.schema)} AUTHORIZATION ${owner}`);
    created.push(roles.schema);
  }

  // Only the application's roles may connect to its database; nobody but the owner may create in `public`.
  const { rows } = await client.query<{ database: string }>("SELECT current_database() AS database");
  const database = id(rows[0]!.database);
  await client.query(`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`);
  await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${owner}`);
  await client.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");

  for (const user of [roles.user, `${roles.user}_clone`]) {
    if (!(await roleExists(client, user))) {
      // No password: the role cannot log in until a rotation gives it one.
      await client.query(
        `CREATE ROLE ${id(user)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT IN ROLE ${owner}`,
      );
      created.push(user);
    }
    const inRole = await client.query(
      "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = $1 AND u.rolname = $2",
      [roles.owner, user],
    );
    if (inRole.rowCount === 0) await client.query(`GRANT ${owner} TO ${id(user)}`);
    // Sessions act as the owner, so objects either login role creates belong to the owner.
    await client.query(`ALTER ROLE ${id(user)} SET role = ${client.escapeLiteral(roles.owner)}`);
    await client.query(`ALTER ROLE ${id(user)} SET search_path = ${id(roles.schema)}`);
  }
  return created;
}

/**
 * The master user's credentials a rotation function may log in with: its secret's current value and, while the master
 * user's own rotation is between `setSecret` and `finishSecret`, its pending one.
 */
export type MasterSource = () => Promise<DatabaseConnection[]>;

/**
 * Alternating users: the pending credentials name the other login role with a new password; `setSecret` sets it as
 * the master user (creating the roles if a first rotation finds them missing).
 */
export function alternatingUsers(options: {
  roles: ApplicationRoles;
  master: MasterSource;
  tls: TlsMode;
}): RotationStrategy<DatabaseConnection> {
  return {
    parse: parseConnection,
    create: (current) => ({
      ...current,
      username: alternateUser(options.roles, current.username),
      password: newPassword(),
    }),
    async set({ pending }) {
      if (await canLogIn(pending, options.tls)) return;
      let master: DatabaseConnection | undefined;
      for (const candidate of await options.master()) {
        // The master's credentials on the instance the application's secret names (this stack's own).
        const connection = at(candidate, pending, pending.database);
        if (await canLogIn(connection, options.tls)) {
          master = connection;
          break;
        }
      }
      if (!master) throw new Error("none of the master user's stored passwords logs in");
      await withConnection(master, options.tls, async (client) => {
        await ensureApplicationRoles(client, options.roles);
        await setPassword(client, pending.username, pending.password);
      });
    },
    async test(pending) {
      await withConnection(pending, options.tls, async (client) => {
        const { rows } = await client.query<{ role: string }>("SELECT current_user AS role");
        if (rows[0]?.role !== options.roles.owner) {
          throw new Error(`${pending.username} acts as ${rows[0]?.role}, not ${options.roles.owner}`);
        }
      });
    },
  };
}

/**
 * Single user (the master): the user changes its own password, logged in with whichever stored one still works, on
 * `instance`; a new version names `instance` (so a standby's promoted copy of the primary's secret comes to name the
 * standby's own instance at its first rotation).
 */
export function singleUser(options: { tls: TlsMode; instance: Endpoint }): RotationStrategy<DatabaseConnection> {
  const here = (connection: DatabaseConnection) => at(connection, options.instance);
  return {
    parse: parseConnection,
    create: (current) => ({ ...here(current), password: newPassword() }),
    async set({ pending, current, previous }) {
      if (await canLogIn(here(pending), options.tls)) return;
      for (const stored of [current, await previous()]) {
        const candidate = stored && here(stored);
        if (candidate && (await canLogIn(candidate, options.tls))) {
          await withConnection(candidate, options.tls, (client) =>
            setPassword(client, pending.username, pending.password),
          );
          return;
        }
      }
      throw new Error(`neither the current nor the previous password of ${pending.username} logs in`);
    },
    async test(pending) {
      await withConnection(here(pending), options.tls, (client) => client.query("SELECT 1"));
    },
  };
}

/**
 * The deploy-time step (`aws.lambda.Invocation`): creates the application's roles and gives the login role its
 * first password, unless it already logs in with it. A rerun changes nothing. It connects as the master to the
 * instance the application's secret names, waiting until `deadline` while that instance is not ready (a standby's,
 * just promoted).
 */
export async function bootstrap(options: {
  roles: ApplicationRoles;
  master: DatabaseConnection;
  application: DatabaseConnection;
  tls: TlsMode;
  deadline?: number;
  pauseMs?: number;
}): Promise<{ created: string[]; passwordSet: boolean }> {
  const master = at(options.master, options.application, options.application.database);
  const client = await whenReady(() => connect(master, options.tls), {
    deadline: options.deadline ?? Date.now(),
    ...(options.pauseMs !== undefined ? { pauseMs: options.pauseMs } : {}),
  });
  try {
    const created = await ensureApplicationRoles(client, options.roles);
    if (await canLogIn(options.application, options.tls)) return { created, passwordSet: false };
    await setPassword(client, options.application.username, options.application.password);
    return { created, passwordSet: true };
  } finally {
    await client.end();
  }
}

/** Reads a connection document, naming the first missing or mistyped field. */
export function parseConnection(text: string): DatabaseConnection {
  const value = JSON.parse(text) as Record<string, unknown>;
  for (const field of ["host", "username", "password", "database"] as const) {
    if (typeof value[field] !== "string" || value[field] === "")
      throw new Error(`the secret's ${field} is not a string`);
  }
  if (typeof value.port !== "number") throw new Error("the secret's port is not a number");
  return value as unknown as DatabaseConnection;
}
