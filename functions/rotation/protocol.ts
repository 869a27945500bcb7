/**
 * The Secrets Manager rotation protocol, once for every kind of credential. Secrets Manager invokes the rotation
 * function four times per rotation, each with `{ Step, SecretId, ClientRequestToken }`, and retries a step that fails
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html):
 *
 * 1. `createSecret`: store a new value under the token with the `AWSPENDING` label (unless it is already there);
 * 2. `setSecret`: make the service accept the pending value (a database password, a user's second password ...);
 * 3. `testSecret`: prove the pending value works;
 * 4. `finishSecret`: move `AWSCURRENT` to the pending version; Secrets Manager then labels the old one `AWSPREVIOUS`.
 *
 * Every step is idempotent: a retried step, or a step of a rotation that already finished, changes nothing. What
 * differs between credentials is a {@link RotationStrategy}.
 */
import { randomBytes } from "node:crypto";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";

/** The event Secrets Manager sends a rotation function. */
export interface RotationEvent {
  Step: RotationStep;
  SecretId: string;
  ClientRequestToken: string;
}

export const ROTATION_STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The versions a step sees: the pending value and the current one (and, lazily, the previous one). */
export interface RotationVersions<T> {
  pending: T;
  current: T;
  /** The `AWSPREVIOUS` value, if there is one. */
  previous: () => Promise<T | undefined>;
}

/** What one kind of credential does at each step. */
export interface RotationStrategy<T> {
  /** Reads a stored value, rejecting one of the wrong shape. */
  parse(text: string): T;
  /** A new value derived from the current one (same user, host ...; new password). */
  create(current: T): Promise<T> | T;
  /** Makes the service accept `pending`, keeping what still uses `current` working wherever the kind allows. */
  set(versions: RotationVersions<T>): Promise<void>;
  /** Proves `pending` works; throws when it does not. */
  test(pending: T): Promise<void>;
  /** Runs before `AWSCURRENT` moves (and again if that fails): e.g. stop accepting values older than `current`. */
  finish?(versions: RotationVersions<T>): Promise<void>;
}

export const CURRENT = "AWSCURRENT";
export const PENDING = "AWSPENDING";
export const PREVIOUS = "AWSPREVIOUS";

/** Rotates one secret with `strategy`, one step per call. */
export function rotationHandler<T>(
  secrets: Pick<SecretsManagerClient, "send">,
  strategy: RotationStrategy<T>,
): (event: RotationEvent) => Promise<void> {
  const read = async (secretId: string, selector: { VersionId?: string; VersionStage: string }) => {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, ...selector }));
    if (SecretString === undefined) throw new Error(`${secretId} (${selector.VersionStage}) holds no SecretString`);
    return strategy.parse(SecretString);
  };
  const readOptional = async (secretId: string, selector: { VersionId?: string; VersionStage: string }) => {
    try {
      return await read(secretId, selector);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };

  return async ({ Step: step, SecretId: secretId, ClientRequestToken: token }) => {
    if (!ROTATION_STEPS.includes(step)) throw new Error(`unknown rotation step ${JSON.stringify(step)}`);
    const metadata = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    if (!metadata.RotationEnabled) throw new Error(`${secretId} does not have rotation enabled`);
    const versions = metadata.VersionIdsToStages ?? {};
    const stages = versions[token];
    if (!stages) throw new Error(`${secretId} has no version ${token} to rotate to`);
    if (stages.includes(CURRENT)) return; // This rotation already finished.
    if (!stages.includes(PENDING)) throw new Error(`version ${token} of ${secretId} is not ${PENDING}`);

    const current = await read(secretId, { VersionStage: CURRENT });
    if (step === "createSecret") {
      if (await readOptional(secretId, { VersionId: token, VersionStage: PENDING })) return;
      const pending = await strategy.create(current);
      await secrets.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          SecretString: JSON.stringify(pending),
          VersionStages: [PENDING],
        }),
      );
      return;
    }

    const pending = await read(secretId, { VersionId: token, VersionStage: PENDING });
    const rotation: RotationVersions<T> = {
      pending,
      current,
      previous: () => readOptional(secretId, { VersionStage: PREVIOUS }),
    };
    if (step === "setSecret") return strategy.set(rotation);
    if (step === "testSecret") return strategy.test(pending);

    await strategy.finish?.(rotation);
    const currentVersion = Object.entries(versions).find(([, labels]) => labels.includes(CURRENT))?.[0];
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: CURRENT,
        MoveToVersionId: token,
        ...(currentVersion ? { RemoveFromVersionId: currentVersion } : {}),
      }),
    );
  };
}

/** A password of `bytes` random bytes in URL-safe base64: letters, digits, '-' and '_' only. */
export function newPassword(bytes = 30): string {
  return randomBytes(bytes).toString("base64url");
}
