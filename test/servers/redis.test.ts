import { expect } from "chai";
import {
  DescribeUsersCommand,
  ElastiCacheClient,
  ModifyUserCommand,
  type ModifyUserCommandInput,
} from "@aws-sdk/client-elasticache";
import { mockClient } from "aws-sdk-client-mock";
import Redis from "ioredis";
import { APP_REDIS_USER } from "../../config/app";
import { DISABLED_DEFAULT_USER } from "../../components/data/redis-access";
import { rotationHandler, type RotationStep } from "../../functions/rotation/protocol";
import { authenticate, elastiCacheUser, type CacheConnection } from "../../functions/rotation/redis";
import { FakeSecretsManager } from "../support/secrets-manager";
import { redisServer, type RedisServer } from "./servers";

const server = redisServer();
const ADMIN = { username: "test-admin", password: "test-admin-password" };

function client(redis: RedisServer, user?: { username: string; password: string }): Redis {
  const connection = new Redis({
    host: redis.host,
    port: redis.port,
    ...(user ?? {}),
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  connection.on("error", () => undefined);
  return connection;
}

/** The error a command fails with (its first word, e.g. NOPERM), or "OK" when it succeeds. */
async function outcome(connection: Redis, command: string, ...args: (string | number)[]): Promise<string> {
  try {
    await connection.call(command, ...args);
    return "OK";
  } catch (error) {
    return String((error as Error).message).split(" ")[0] ?? String(error);
  }
}

/** Applies an ElastiCache access string to a real Redis user, as ElastiCache does, with these passwords. */
async function setUser(admin: Redis, userName: string, accessString: string, passwords: string[]): Promise<void> {
  await admin.call("ACL", "SETUSER", userName, "reset", ...accessString.split(" "), ...passwords.map((p) => `>${p}`));
}

describe("Redis credentials against a real Redis", function () {
  this.timeout(20_000);
  let redis: RedisServer;
  let admin: Redis;
  const password = "first-application-password";

  before(async () => {
    redis = await server;
    const bootstrap = client(redis);
    await bootstrap.connect();
    await bootstrap.call("ACL", "SETUSER", ADMIN.username, "on", `>${ADMIN.password}`, "~*", "&*", "+@all");
    // ElastiCache's user group holds a user named "default"; the Cache component's is switched off.
    await bootstrap.call("ACL", "SETUSER", "default", "reset", "nopass", ...DISABLED_DEFAULT_USER.split(" "));
    bootstrap.disconnect();
    admin = client(redis, ADMIN);
    await admin.connect();
    await setUser(admin, APP_REDIS_USER.userName, APP_REDIS_USER.accessString, [password]);
  });
  after(() => admin?.disconnect());

  describe("the application user's access string", () => {
    let app: Redis;
    before(async () => {
      app = client(redis, { username: APP_REDIS_USER.userName, password });
      await app.connect();
    });
    after(() => app?.disconnect());

    it("serves sessions and cached responses under the application's key prefixes", async () => {
      for (const prefix of APP_REDIS_USER.keyPrefixes) {
        expect(await outcome(app, "SET", `${prefix}a`, "1", "EX", 60)).to.equal("OK");
        expect(await outcome(app, "GET", `${prefix}a`)).to.equal("OK");
        expect(await outcome(app, "HSET", `${prefix}h`, "field", "v")).to.equal("OK");
        expect(await outcome(app, "EXPIRE", `${prefix}h`, 30)).to.equal("OK");
        expect(await outcome(app, "TTL", `${prefix}h`)).to.equal("OK");
        expect(await outcome(app, "DEL", `${prefix}a`, `${prefix}h`)).to.equal("OK");
      }
      expect(await outcome(app, "MULTI")).to.equal("OK");
      expect(await outcome(app, "INCR", "cache:counter")).to.equal("OK");
      expect(await outcome(app, "EXEC")).to.equal("OK");
      expect(await outcome(app, "PING")).to.equal("OK");
    });

    it("cannot touch keys outside those prefixes", async () => {
      expect(await outcome(app, "GET", "admin:settings")).to.equal("NOPERM");
      expect(await outcome(app, "SET", "other", "1")).to.equal("NOPERM");
      expect(await outcome(app, "DEL", "session:a", "other")).to.equal("NOPERM");
    });

    it("cannot run dangerous, administrative, scripting or pub/sub commands", async () => {
      for (const [command, ...args] of [
        ["FLUSHALL"],
        ["FLUSHDB"],
        ["KEYS", "*"],
        ["CONFIG", "GET", "*"],
        ["ACL", "LIST"],
        ["CLIENT", "KILL", "ID", "1"],
        ["SAVE"],
        ["MIGRATE", "127.0.0.1", "1", "session:a", "0", "1000"],
        ["EVAL", "return 1", "0"],
        ["SUBSCRIBE", "events"],
        ["SHUTDOWN"],
        ["MONITOR"],
      ] as [string, ...string[]][]) {
        expect(await outcome(app, command, ...args), command).to.equal("NOPERM");
      }
    });

    it("leaves nothing to a client that does not authenticate (the default user is off)", async () => {
      const anonymous = client(redis);
      await anonymous.connect();
      expect(await outcome(anonymous, "GET", "session:a")).to.equal("NOAUTH");
      expect(await outcome(anonymous, "AUTH", "default", "")).to.equal("WRONGPASS");
      anonymous.disconnect();
    });
  });

  describe("rotating the user's password (ElastiCache's two passwords)", () => {
    it("keeps the current password working at every step and the previous one until the next rotation", async () => {
      // ElastiCache behind aws-sdk-client-mock, applying ModifyUser to the real server as ElastiCache would.
      const elasticache = new ElastiCacheClient({
        region: "us-east-1",
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
      });
      const modifications: string[][] = [];
      mockClient(elasticache)
        .on(ModifyUserCommand)
        .callsFake(async ({ UserId, AuthenticationMode }: ModifyUserCommandInput) => {
          modifications.push(AuthenticationMode?.Passwords ?? []);
          await admin.call(
            "ACL",
            "SETUSER",
            APP_REDIS_USER.userName,
            "resetpass",
            ...(AuthenticationMode?.Passwords ?? []).map((p: string) => `>${p}`),
          );
          return { UserId, Status: "modifying" };
        })
        .on(DescribeUsersCommand)
        .resolves({ Users: [{ UserId: "cloudweave-staging-redis-app", Status: "active" }] });

      const secrets = new FakeSecretsManager();
      const first: CacheConnection = {
        endpoint: redis.host,
        readerEndpoint: redis.host,
        port: redis.port,
        username: APP_REDIS_USER.userName,
        password,
        tls: false,
      };
      secrets.create("redis", first);
      const handler = rotationHandler(
        secrets.client,
        elastiCacheUser({ elasticache, userId: "cloudweave-staging-redis-app", pollMilliseconds: 1 }),
      );
      const works = async (connection: CacheConnection) =>
        authenticate(connection).then(
          () => true,
          () => false,
        );
      const seen: Partial<Record<RotationStep, boolean[]>> = {};
      await secrets.rotate("redis", handler, async (step) => {
        seen[step] = [await works(first), await works(secrets.value<CacheConnection>("redis")!)];
      });
      expect(seen).to.deep.equal({
        createSecret: [true, true],
        setSecret: [true, true],
        testSecret: [true, true],
        finishSecret: [true, true],
      });
      const second = secrets.value<CacheConnection>("redis")!;
      expect(second.password).to.not.equal(first.password);
      expect(modifications).to.deep.equal([[first.password, second.password]]);

      await secrets.rotate("redis", handler);
      const third = secrets.value<CacheConnection>("redis")!;
      expect([await works(first), await works(second), await works(third)]).to.deep.equal([false, true, true]);
    });
  });
});
