import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { JsonSecret } from "./json-secret";

/** The JWT settings document the backend reads (the seed's shape). */
export interface JwtSettings {
  secret: string;
  expiresIn: string;
  refreshExpiresIn: string;
}

/** Arguments of {@link AppSecrets}. */
export interface AppSecretsArgs {
  /** Customer-managed KMS key for the secrets (its policy must admit Secrets Manager). */
  kmsKeyArn: pulumi.Input<string>;
  /** Bytes of randomness in the JWT signing key; at least 32 (256 bits, HS256's key size). @default 64 */
  jwtSecretBytes?: number;
  /** Lifetime of an access token. @default "15m" */
  jwtExpiresIn?: string;
  /** Lifetime of a refresh token. @default "7d" */
  jwtRefreshExpiresIn?: string;
  /** Protects the secrets from deletion by Pulumi and keeps deleted ones recoverable for 30 days. @default false */
  protect?: boolean;
}

/** The application's own generated secrets: today the JWT signing key with its token lifetimes. */
export class AppSecrets extends pulumi.ComponentResource {
  /** ARN of the JWT secret (`{ secret, expiresIn, refreshExpiresIn }`); the backend task reads it. */
  public readonly jwtSecretArn: pulumi.Output<string>;
  /** The JWT settings document, as a Pulumi secret. */
  public readonly jwt: pulumi.Output<JwtSettings>;

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:security:AppSecrets", name, {}, opts);
    const bytes = args.jwtSecretBytes ?? 64;
    if (bytes < 32) throw new Error(`${name}: jwtSecretBytes is ${bytes}; a JWT signing key needs at least 32 bytes`);

    const signingKey = new random.RandomBytes(`${name}-jwt-signing-key`, { length: bytes }, { parent: this });
    this.jwt = pulumi.secret(
      signingKey.base64.apply((secret): JwtSettings => ({
        secret,
        expiresIn: args.jwtExpiresIn ?? "15m",
        refreshExpiresIn: args.jwtRefreshExpiresIn ?? "7d",
      })),
    );
    const jwtSecret = new JsonSecret(
      `${name}-jwt`,
      {
        description: `JWT signing key and token lifetimes for the CloudWeave backend (${name})`,
        value: this.jwt,
        kmsKeyArn: args.kmsKeyArn,
        recoveryWindowInDays: args.protect ? 30 : 7,
        protect: args.protect,
      },
      { parent: this },
    );

    this.jwtSecretArn = jwtSecret.arn;
    this.registerOutputs({ jwtSecretArn: this.jwtSecretArn, jwt: this.jwt });
  }
}
