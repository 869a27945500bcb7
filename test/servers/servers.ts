/**
 * Real PostgreSQL 15 and Redis servers for the tests that exercise SQL and ACLs, started once per test run on
 * loopback at ports chosen at run time, in a temporary directory, and stopped when the process exits.
 *
 * - PostgreSQL refuses to run as root (CI runs as root): as root, the server runs as the unprivileged `postgres`
 *   user Debian's package creates (or `nobody`). Its programs come from `postgresql-15`.
 * - Redis is Debian's `redis-server`. `.ci/test-servers` installs either when it is missing (`.ci/run` runs it).
 *
 * Each server starts when a test file first asks for it, in the background while other tests run.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";

/** A superuser connection to the test cluster. */
export interface PostgresServer {
  host: string;
  port: number;
  superuser: { username: string; password: string };
}

export interface RedisServer {
  host: string;
  port: number;
}

const LOOPBACK = "127.0.0.1";
const children: ChildProcess[] = [];
const directories: string[] = [];
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Polls until `ready` holds (or the child exits, or `seconds` pass). */
async function waitFor(what: string, child: ChildProcess, ready: () => Promise<boolean>, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not start within ${seconds} s`);
}

/** PostgreSQL 15's programs: RDS's major version, so the SQL meets the same rules (16 changed CREATEROLE's). */
function postgresBin(program: string): string {
  const path = join("/usr/lib/postgresql/15/bin", program);
  if (!existsSync(path)) {
    throw new Error(`PostgreSQL 15's ${program} is not installed: run .ci/test-servers as root (.ci/run does)`);
  }
  return path;
}

/** The unprivileged account PostgreSQL runs as when the tests run as root. */
function serverAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    const id = spawnSync("id", ["-u", name], { encoding: "utf8" });
    const group = spawnSync("id", ["-g", name], { encoding: "utf8" });
    if (id.status === 0 && group.status === 0) return { uid: Number(id.stdout), gid: Number(group.stdout) };
  }
  throw new Error("running as root and no unprivileged account (postgres, nobody) to run PostgreSQL as");
}

async function startPostgres(): Promise<PostgresServer> {
  const directory = mkdtempSync(join(tmpdir(), "cloudweave-pg-"));
  directories.push(directory);
  const account = serverAccount();
  const data = join(directory, "data");
  const password = "test-superuser-password";
  writeFileSync(join(directory, "pwfile"), password);
  if (account) chownSync(directory, account.uid, account.gid);
  if (account) chownSync(join(directory, "pwfile"), account.uid, account.gid);
  const asAccount = account ? { uid: account.uid, gid: account.gid } : {};

  // Asynchronously, so the tests already running are not held up for the second it takes.
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const init = spawn(
      postgresBin("initdb"),
      ["-D", data, "-U", "postgres", `--pwfile=${join(directory, "pwfile")}`, "-A", "scram-sha-256", "--no-sync"],
      { ...asAccount, env: { ...process.env, LC_ALL: "C" } },
    );
    init.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    init.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    init.once("error", reject);
    init.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (${code}): ${output}`))));
  });

  const port = await freePort();
  const server = spawn(
    postgresBin("postgres"),
    [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      directory,
      "-c",
      `listen_addresses=${LOOPBACK}`,
      "-c",
      "fsync=off",
      "-c",
      "password_encryption=scram-sha-256",
    ],
    { ...asAccount, stdio: "ignore" },
  );
  server.unref(); // The test process may exit with the server running; the exit hook stops it.
  children.push(server);
  const superuser = { username: "postgres", password };
  await waitFor("PostgreSQL", server, async () => {
    const client = new Client({ host: LOOPBACK, port, user: "postgres", password, database: "postgres" });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  });
  return { host: LOOPBACK, port, superuser };
}

async function startRedis(): Promise<RedisServer> {
  const binary = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((path) => existsSync(path));
  if (!binary) throw new Error("redis-server is not installed: run .ci/test-servers as root (.ci/run does)");
  const port = await freePort();
  const server = spawn(
    binary,
    ["--port", String(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: "ignore" },
  );
  server.unref();
  children.push(server);
  await waitFor("Redis", server, async () => {
    const socket = new Socket();
    return new Promise((resolve) => {
      socket.once("error", () => resolve(false));
      socket.connect(port, LOOPBACK, () => {
        socket.end();
        resolve(true);
      });
    });
  });
  return { host: LOOPBACK, port };
}

let postgres: Promise<PostgresServer> | undefined;
let redis: Promise<RedisServer> | undefined;

/** The run's PostgreSQL server, started on first use. */
export function postgresServer(): Promise<PostgresServer> {
  postgres ??= startPostgres();
  return postgres;
}

/** The run's Redis server, started on first use. */
export function redisServer(): Promise<RedisServer> {
  redis ??= startRedis();
  return redis;
}
