/**
 * ElastiCache (Redis OSS) RBAC user passwords. An ElastiCache user holds up to two passwords
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyUser.html, `Passwords`: "You are
 * allowed up to two"), so a rotation never breaks a client: `setSecret` sets [current, new], both valid; the
 * previous password keeps working until the next rotation replaces it, as with alternating database users.
 */
import { DescribeUsersCommand, ModifyUserCommand, type ElastiCacheClient } from "@aws-sdk/client-elasticache";
import Redis from "ioredis";
import { newPassword, type RotationStrategy } from "./protocol";

/** The connection document the backend reads from the Redis secret. */
export interface CacheConnection {
  endpoint: string;
  readerEndpoint: string;
  port: number;
  username: string;
  password: string;
  tls: boolean;
}

/** Authenticates as the document's user and pings; throws when the server refuses. */
export async function authenticate(connection: CacheConnection): Promise<void> {
  const client = new Redis({
    host: connection.endpoint,
    port: connection.port,
    username: connection.username,
    password: connection.password,
    ...(connection.tls ? { tls: { servername: connection.endpoint } } : {}),
    lazyConnect: true,
    // ioredis's ready check runs INFO, which the application's access string denies (INFO is @dangerous).
    enableReadyCheck: false,
    connectTimeout: 10_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // A refused AUTH arrives as an "error" event, then the connection closes; report the refusal, not the close.
  let refusal: unknown;
  client.on("error", (error: unknown) => (refusal ??= error));
  try {
    await client.connect();
    const reply = await client.ping();
    if (reply !== "PONG") throw new Error(`PING answered ${String(reply)}`);
  } catch (error) {
    throw refusal ?? error;
  } finally {
    client.disconnect();
  }
}

async function accepts(connection: CacheConnection): Promise<boolean> {
  try {
    await authenticate(connection);
    return true;
  } catch (error) {
    if (/WRONGPASS|NOAUTH|invalid username-password/i.test(String(error))) return false;
    throw error;
  }
}

/** How long `setSecret` waits for ElastiCache to apply the passwords (the user is `modifying` meanwhile). */
const ACTIVE_WITHIN_SECONDS = 240;

export function elastiCacheUser(options: {
  elasticache: Pick<ElastiCacheClient, "send">;
  /** The ElastiCache user's id (not its user name). */
  userId: string;
  /** Between checks of the user's status. @default 5000 */
  pollMilliseconds?: number;
}): RotationStrategy<CacheConnection> {
  const status = async () => {
    const { Users } = await options.elasticache.send(new DescribeUsersCommand({ UserId: options.userId }));
    return Users?.[0]?.Status;
  };
  return {
    parse: parseCacheConnection,
    create: (current) => ({ ...current, password: newPassword(32) }),
    async set({ pending, current }) {
      if (await accepts(pending)) return;
      await options.elasticache.send(
        new ModifyUserCommand({
          UserId: options.userId,
          AuthenticationMode: { Type: "password", Passwords: [current.password, pending.password] },
        }),
      );
      const deadline = Date.now() + ACTIVE_WITHIN_SECONDS * 1000;
      while ((await status()) !== "active") {
        if (Date.now() > deadline)
          throw new Error(`${options.userId} is not active ${ACTIVE_WITHIN_SECONDS} s after the change`);
        await new Promise((resolve) => setTimeout(resolve, options.pollMilliseconds ?? 5000));
      }
    },
    test: authenticate,
  };
}

export function parseCacheConnection(text: string): CacheConnection {
  const value = JSON.parse(text) as Record<string, unknown>;
  for (const field of ["endpoint", "username", "password"] as const) {
    if (typeof value[field] !== "string" || value[field] === "")
      throw new Error(`the secret's ${field} is not a string`);
  }
  if (typeof value.port !== "number") throw new Error("the secret's port is not a number");
  return value as unknown as CacheConnection;
}
