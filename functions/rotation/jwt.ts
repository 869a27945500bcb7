/**
 * The JWT signing key. No service holds it: the backend signs with `AWSCURRENT` and verifies with `AWSCURRENT` or
 * `AWSPREVIOUS` (docs/credentials.md), so a token stays valid across one rotation. Rotations must therefore be
 * further apart than the longest token lifetime (the refresh token's); the config schema checks that.
 */
import { randomBytes } from "node:crypto";
import type { RotationStrategy } from "./protocol";

/** The document the backend reads (the seed's shape). */
export interface JwtSettings {
  secret: string;
  expiresIn: string;
  refreshExpiresIn: string;
}

/** HS256 needs a key of at least 256 bits (RFC 7518 section 3.2). */
export const MINIMUM_KEY_BYTES = 32;

export function jwtSigningKey(options: { bytes: number }): RotationStrategy<JwtSettings> {
  if (options.bytes < MINIMUM_KEY_BYTES)
    throw new Error(`a JWT key of ${options.bytes} bytes is under ${MINIMUM_KEY_BYTES}`);
  return {
    parse(text) {
      const value = JSON.parse(text) as Partial<JwtSettings>;
      for (const field of ["secret", "expiresIn", "refreshExpiresIn"] as const) {
        if (typeof value[field] !== "string") throw new Error(`the secret's ${field} is not a string`);
      }
      return value as JwtSettings;
    },
    create: (current) => ({ ...current, secret: randomBytes(options.bytes).toString("base64") }),
    // Nothing to tell: readers pick the new key up from Secrets Manager.
    set: () => Promise.resolve(),
    test(pending) {
      const bytes = Buffer.from(pending.secret, "base64").length;
      if (bytes < MINIMUM_KEY_BYTES) {
        return Promise.reject(new Error(`the pending key has ${bytes} bytes, under ${MINIMUM_KEY_BYTES}`));
      }
      return Promise.resolve();
    },
  };
}
