import { expect } from "chai";
import { Client } from "pg";
import { rotationHandler, type RotationStep } from "../../functions/rotation/protocol";
import {
  alternatingUsers,
  bootstrap,
  canLogIn,
  scramVerifier,
  singleUser,
  withConnection,
  type ApplicationRoles,
  type DatabaseConnection,
} from "../../functions/rotation/postgres";
import { FakeSecretsManager } from "../support/secrets-manager";
import { postgresServer, type PostgresServer } from "./servers";

// The roles the Database component lays out (components/data/database.ts), in a cluster of their own.
const ROLES: ApplicationRoles = { owner: "cloudweave_app", schema: "cloudweave", user: "cloudweave_user" };
const DATABASE = "cloudweave_test";
const server = postgresServer();

/** The SQLSTATE a statement fails with, or undefined when it succeeds. */
async function sqlState(connection: DatabaseConnection, sql: string): Promise<string | undefined> {
  try {
    await withConnection(connection, "disable", (client) => client.query(sql));
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** Everything the bootstrap could change, read as the cluster's superuser (password verifiers included). */
async function catalog(pg: PostgresServer): Promise<unknown> {
  const client = new Client({
    host: pg.host,
    port: pg.port,
    user: "postgres",
    password: pg.superuser.password,
    database: DATABASE,
  });
  await client.connect();
  try {
    const query = async (sql: string): Promise<unknown[]> => (await client.query<Record<string, unknown>>(sql)).rows;
    return {
      roles: await query(
        "SELECT a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin, a.rolpassword, r.rolconfig FROM pg_authid a JOIN pg_roles r ON r.oid = a.oid WHERE a.rolname LIKE 'cloudweave%' ORDER BY 1",
      ),
      members: await query(
        "SELECT r.rolname AS role, u.rolname AS member FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member ORDER BY 1, 2",
      ),
      schemas: await query("SELECT nspname, nspowner::regrole::text, nspacl::text FROM pg_namespace ORDER BY 1"),
      database: await query(`SELECT datacl::text FROM pg_database WHERE datname = '${DATABASE}'`),
    };
  } finally {
    await client.end();
  }
}

describe("PostgreSQL credentials against a real PostgreSQL 15", function () {
  this.timeout(30_000);
  let pg: PostgresServer;
  let master: DatabaseConnection;
  let application: DatabaseConnection;

  before(async () => {
    pg = await server;
    // RDS's master user is no superuser: it has CREATEROLE and CREATEDB and owns the database it created.
    const admin = new Client({
      host: pg.host,
      port: pg.port,
      user: "postgres",
      password: pg.superuser.password,
      database: "postgres",
    });
    await admin.connect();
    await admin.query(
      `CREATE ROLE cloudweave_master LOGIN CREATEROLE CREATEDB PASSWORD ${admin.escapeLiteral(scramVerifier("master-1"))}`,
    );
    await admin.query(`CREATE DATABASE ${DATABASE} OWNER cloudweave_master`);
    await admin.end();
    master = { host: pg.host, port: pg.port, username: "cloudweave_master", password: "master-1", database: DATABASE };
    application = { ...master, username: ROLES.user, password: "first-application-password" };
  });

  describe("the deploy-time bootstrap", () => {
    it("creates the owner role, the schema and both login roles, and the first credentials log in as the owner", async () => {
      const result = await bootstrap({ roles: ROLES, master, application, tls: "disable" });
      expect(result).to.deep.equal({
        created: ["cloudweave_app", "cloudweave", "cloudweave_user", "cloudweave_user_clone"],
        passwordSet: true,
      });
      const role = await withConnection(application, "disable", (client) =>
        client.query<{ role: string; path: string }>(
          "SELECT current_user AS role, current_setting('search_path') AS path",
        ),
      );
      expect(role.rows[0]).to.deep.equal({ role: "cloudweave_app", path: "cloudweave" });
      // The clone has no password until a rotation gives it one.
      expect(await canLogIn({ ...application, username: "cloudweave_user_clone" }, "disable")).to.equal(false);
    });

    it("is a no-op when run again: nothing created, no password or privilege changed", async () => {
      const before = await catalog(pg);
      expect(await bootstrap({ roles: ROLES, master, application, tls: "disable" })).to.deep.equal({
        created: [],
        passwordSet: false,
      });
      expect(await catalog(pg)).to.deep.equal(before);
    });
  });

  describe("the application role's privileges", () => {
    before(async () => {
      await withConnection(master, "disable", async (client) => {
        await client.query("CREATE SCHEMA billing");
        await client.query("CREATE TABLE billing.invoices (id int)");
        await client.query("CREATE TABLE public.settings (id int)");
      });
    });

    it("cannot create roles or databases", async () => {
      expect(await sqlState(application, "CREATE ROLE intruder LOGIN")).to.equal("42501");
      expect(await sqlState(application, "CREATE DATABASE intruder")).to.equal("42501");
      expect(await sqlState(application, "ALTER ROLE cloudweave_user CREATEROLE")).to.equal("42501");
    });

    it("cannot read or create anything outside its schema", async () => {
      expect(await sqlState(application, "SELECT * FROM billing.invoices")).to.equal("42501");
      expect(await sqlState(application, "SELECT * FROM public.settings")).to.equal("42501");
      expect(await sqlState(application, "CREATE TABLE public.intruder (id int)")).to.equal("42501");
      expect(await sqlState(application, "CREATE SCHEMA intruder")).to.equal("42501");
    });

    it("cannot take on the master's privileges", async () => {
      expect(await sqlState(application, "GRANT cloudweave_master TO cloudweave_user")).to.equal("42501");
      expect(await sqlState(application, "SET ROLE cloudweave_master")).to.equal("42501");
    });

    it("owns what it creates in its schema through the owner role, whichever login role created it", async () => {
      expect(await sqlState(application, "CREATE TABLE sessions (id text PRIMARY KEY)")).to.equal(undefined);
      const owner = await withConnection(master, "disable", (client) =>
        client.query<{ owner: string }>("SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'sessions'"),
      );
      expect(owner.rows[0]?.owner).to.equal("cloudweave_app");
    });
  });

  describe("rotating the application user (alternating users)", () => {
    const secrets = new FakeSecretsManager();
    const APP = "app-secret";
    const MASTER = "master-secret";
    let handler: ReturnType<typeof rotationHandler<DatabaseConnection>>;

    before(() => {
      secrets.create(APP, application);
      secrets.create(MASTER, master);
      const strategy = alternatingUsers({
        roles: ROLES,
        // As the function reads them: the master's current value, then its pending one if a rotation is under way.
        master: () =>
          Promise.resolve(
            [secrets.value<DatabaseConnection>(MASTER), secrets.value<DatabaseConnection>(MASTER, "AWSPENDING")].filter(
              (value): value is DatabaseConnection => value !== undefined,
            ),
          ),
        tls: "disable",
      });
      handler = rotationHandler(secrets.client, strategy);
    });

    it("keeps the current credentials working at every step and the previous ones until the next rotation", async () => {
      const first = secrets.value<DatabaseConnection>(APP)!;
      const seen: Record<string, boolean[]> = {};
      await secrets.rotate(APP, handler, async (step: RotationStep) => {
        seen[step] = [
          await canLogIn(first, "disable"),
          await canLogIn(secrets.value<DatabaseConnection>(APP)!, "disable"),
        ];
      });
      const second = secrets.value<DatabaseConnection>(APP)!;
      expect(second.username).to.equal("cloudweave_user_clone");
      expect(second.password).to.not.equal(first.password);
      // [first credentials, whatever AWSCURRENT holds] after each step: never a moment without working credentials.
      expect(seen).to.deep.equal({
        createSecret: [true, true],
        setSecret: [true, true],
        testSecret: [true, true],
        finishSecret: [true, true],
      });
      expect(secrets.value<DatabaseConnection>(APP, "AWSPREVIOUS")).to.deep.equal(first);

      // The next rotation changes the first user's password: the credentials of two rotations ago stop working,
      // the previous ones (still held by clients that have not refreshed) keep working.
      await secrets.rotate(APP, handler);
      const third = secrets.value<DatabaseConnection>(APP)!;
      expect(third.username).to.equal("cloudweave_user");
      expect(await canLogIn(third, "disable")).to.equal(true);
      expect(await canLogIn(second, "disable")).to.equal(true);
      expect(await canLogIn(first, "disable")).to.equal(false);
    });

    it("lets either login role use the tables the other created", async () => {
      const current = secrets.value<DatabaseConnection>(APP)!;
      const previous = secrets.value<DatabaseConnection>(APP, "AWSPREVIOUS")!;
      expect([current.username, previous.username].sort()).to.deep.equal(["cloudweave_user", "cloudweave_user_clone"]);
      expect(await sqlState(previous, "INSERT INTO sessions VALUES ('a')")).to.equal(undefined);
      expect(await sqlState(current, "ALTER TABLE sessions ADD COLUMN expires timestamptz")).to.equal(undefined);
      expect(await sqlState(current, "DELETE FROM sessions")).to.equal(undefined);
    });

    it("changes nothing when Secrets Manager retries a step of a rotation in progress or finished", async () => {
      const token = secrets.startRotation(APP);
      const step = (Step: RotationStep) => handler({ Step, SecretId: APP, ClientRequestToken: token });
      await step("createSecret");
      const pending = secrets.value<DatabaseConnection>(APP, "AWSPENDING");
      await step("createSecret");
      expect(secrets.value(APP, "AWSPENDING")).to.deep.equal(pending);
      await step("setSecret");
      const before = await catalog(pg);
      await step("setSecret");
      await step("testSecret");
      expect(await catalog(pg)).to.deep.equal(before);
      await step("finishSecret");
      await step("finishSecret");
      expect(secrets.value(APP)).to.deep.equal(pending);
    });
  });

  describe("rotating the master user (single user)", () => {
    it("changes the master's own password; one of the stored passwords works at every step", async () => {
      const secrets = new FakeSecretsManager();
      secrets.create("master", master);
      const handler = rotationHandler(secrets.client, singleUser({ tls: "disable", instance: master }));
      const working: boolean[] = [];
      await secrets.rotate("master", handler, async () => {
        const current = await canLogIn(secrets.value<DatabaseConnection>("master")!, "disable");
        const pending = await canLogIn(secrets.value<DatabaseConnection>("master", "AWSPENDING")!, "disable");
        working.push(current || pending);
      });
      expect(working).to.deep.equal([true, true, true, true]);
      const rotated = secrets.value<DatabaseConnection>("master")!;
      expect(rotated.username).to.equal("cloudweave_master");
      expect(await canLogIn(rotated, "disable")).to.equal(true);
      expect(await canLogIn(master, "disable")).to.equal(false);
      master = rotated;
    });

    it("lets the application user rotate while the master user's own rotation is half done", async () => {
      const secrets = new FakeSecretsManager();
      secrets.create("master", master);
      const application = { ...master, username: ROLES.user, password: "application-password-2" };
      await bootstrap({ roles: ROLES, master, application, tls: "disable" });
      secrets.create("app", application);
      // The master's rotation has set its new password but not yet moved AWSCURRENT: the current value fails.
      const token = secrets.startRotation("master");
      const masterHandler = rotationHandler(secrets.client, singleUser({ tls: "disable", instance: master }));
      for (const Step of ["createSecret", "setSecret"] as const) {
        await masterHandler({ Step, SecretId: "master", ClientRequestToken: token });
      }
      expect(await canLogIn(secrets.value<DatabaseConnection>("master")!, "disable")).to.equal(false);
      const strategy = alternatingUsers({
        roles: ROLES,
        master: () =>
          Promise.resolve([
            secrets.value<DatabaseConnection>("master")!,
            secrets.value<DatabaseConnection>("master", "AWSPENDING")!,
          ]),
        tls: "disable",
      });
      await secrets.rotate("app", rotationHandler(secrets.client, strategy));
      expect(await canLogIn(secrets.value<DatabaseConnection>("app")!, "disable")).to.equal(true);
      for (const Step of ["testSecret", "finishSecret"] as const) {
        await masterHandler({ Step, SecretId: "master", ClientRequestToken: token });
      }
      master = secrets.value<DatabaseConnection>("master")!;
      expect(await canLogIn(master, "disable")).to.equal(true);
    });

    it("recovers when the password was already changed but the label not yet moved (a retried setSecret)", async () => {
      const secrets = new FakeSecretsManager();
      secrets.create("master", master);
      const handler = rotationHandler(secrets.client, singleUser({ tls: "disable", instance: master }));
      const token = secrets.startRotation("master");
      const step = (Step: RotationStep) => handler({ Step, SecretId: "master", ClientRequestToken: token });
      await step("createSecret");
      await step("setSecret");
      await step("setSecret");
      await step("testSecret");
      await step("finishSecret");
      master = secrets.value<DatabaseConnection>("master")!;
      expect(await canLogIn(master, "disable")).to.equal(true);
    });
  });

  describe("a standby's functions (ADR 24): the master secret names the primary's instance", () => {
    /** A replica of the primary's secret: the same credentials, the primary's host (unreachable from here). */
    const replicated = (credentials: DatabaseConnection): DatabaseConnection => ({
      ...credentials,
      host: "primary.invalid",
    });

    it("bootstraps on the instance the application's secret names, after waiting for it to take connections", async () => {
      // The standby's own application secret: this instance, a password the promoted roles do not have yet.
      const standbyApplication = { ...application, password: "standby-application-password" };
      const result = await bootstrap({
        roles: ROLES,
        master: replicated(master),
        application: standbyApplication,
        tls: "disable",
        deadline: Date.now() + 5_000,
        pauseMs: 100,
      });
      expect(result).to.deep.equal({ created: [], passwordSet: true });
      expect(await canLogIn(standbyApplication, "disable")).to.equal(true);
      application = standbyApplication;
    });

    it("gives up at the deadline while the instance takes no connections, and at once when it refuses the password", async () => {
      const closed = { ...application, port: 1 };
      const started = Date.now();
      const refused = await bootstrap({
        roles: ROLES,
        master: master,
        application: closed,
        tls: "disable",
        deadline: started + 600,
        pauseMs: 200,
      }).catch((error: { code?: string }) => error.code);
      expect(refused).to.equal("ECONNREFUSED");
      expect(Date.now() - started, "retried until the deadline").to.be.at.least(400);
      const wrong = await bootstrap({
        roles: ROLES,
        master: { ...master, password: "not-the-password" },
        application,
        tls: "disable",
        deadline: Date.now() + 60_000,
        pauseMs: 200,
      }).catch((error: { code?: string }) => error.code);
      expect(wrong, "a refused password is final").to.equal("28P01");
    });

    it("rotates the master on its own instance and makes the secret name it", async () => {
      const secrets = new FakeSecretsManager();
      secrets.create("master", replicated(master));
      await secrets.rotate("master", rotationHandler(secrets.client, singleUser({ tls: "disable", instance: master })));
      const rotated = secrets.value<DatabaseConnection>("master")!;
      expect(rotated.host).to.equal(master.host);
      expect(await canLogIn(rotated, "disable")).to.equal(true);
      master = rotated;
    });
  });
});
