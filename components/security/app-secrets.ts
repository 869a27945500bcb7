import type * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { JwtSettings } from "../../functions/rotation/jwt";
import { JsonSecret } from "./json-secret";
import { rotateHeaderCredential } from "./header-rotation";
import { SecretRotation, type RotationSettings } from "./secret-rotation";

/** The JWT settings document the backend reads; the rotation function defines it (the seed's shape). */
export type { JwtSettings };

/** The header a release's checks send to reach the new (green) tasks, and the secret value that admits them. */
export interface TestTrafficCredential {
  /** The header's name; the edge never forwards a viewer's copy of it. */
  name: string;
  /** The generated value (a Pulumi secret); the load balancers' test rules require it. */
  value: pulumi.Output<string>;
}

/** The header carrying the test-traffic credential. */
export const TEST_TRAFFIC_HEADER = "X-CloudWeave-Test-Traffic";

/** Arguments of {@link AppSecrets}. */
export interface AppSecretsArgs {
  /** Customer-managed KMS key for the secrets (its policy must admit Secrets Manager). */
  kmsKeyArn: pulumi.Input<string>;
  /** Bytes of randomness in the JWT signing key; at least 32 (256 bits, HS256's key size). @default 64 */
  jwtSecretBytes?: number;
  /** Lifetime of an access token, e.g. `15m`. */
  jwtExpiresIn: string;
  /**
   * Lifetime of a refresh token, e.g. `7d`. The backend verifies with the current and the previous key, so the key's
   * rotation period must exceed it (the config schema checks that).
   */
  jwtRefreshExpiresIn: string;
  /** How often the JWT signing key rotates, and where its rotation function logs. */
  jwtRotation: Omit<RotationSettings, "network">;
  /** Protects the secrets from deletion by Pulumi and keeps deleted ones recoverable for 30 days. @default false */
  protect?: boolean;
}

/**
 * The stack's own generated secrets: the JWT signing key with its token lifetimes, and the credential that admits a
 * release's checks to the new tasks before they take traffic.
 */
export class AppSecrets extends pulumi.ComponentResource {
  /** ARN of the JWT secret (`{ secret, expiresIn, refreshExpiresIn }`); the backend task reads it. */
  public readonly jwtSecretArn: pulumi.Output<string>;
  /** The JWT settings document, as a Pulumi secret. */
  public readonly jwt: pulumi.Output<JwtSettings>;
  /** The test-traffic header and its secret value. */
  public readonly testTraffic: TestTrafficCredential;
  /** ARN of the secret (`{ header, value }`) the deployment's checks read the test-traffic credential from. */
  public readonly testTrafficSecretArn: pulumi.Output<string>;
  /** The JWT signing key's rotation. */
  public readonly jwtRotation: SecretRotation;
  private readonly names: { name: string; kmsKeyArn: pulumi.Input<string> };
  private readonly jwtSecret: JsonSecret;

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:security:AppSecrets", name, {}, opts);
    const bytes = args.jwtSecretBytes ?? 64;
    if (bytes < 32) throw new Error(`${name}: jwtSecretBytes is ${bytes}; a JWT signing key needs at least 32 bytes`);

    const signingKey = new random.RandomBytes(`${name}-jwt-signing-key`, { length: bytes }, { parent: this });
    this.jwt = pulumi.secret(
      signingKey.base64.apply((secret): JwtSettings => ({
        secret,
        expiresIn: args.jwtExpiresIn,
        refreshExpiresIn: args.jwtRefreshExpiresIn,
      })),
    );
    const jwtSecret = new JsonSecret(
      `${name}-jwt`,
      {
        description: `JWT signing key and token lifetimes for the CloudWeave backend (${name})`,
        value: this.jwt,
        kmsKeyArn: args.kmsKeyArn,
        recoveryWindowInDays: args.protect ? 30 : 7,
        rotated: true,
        protect: args.protect,
      },
      { parent: this },
    );
    this.jwtRotation = new SecretRotation(
      `${name}-jwt-rotation`,
      {
        kind: "jwt-key",
        secretArn: jwtSecret.arn,
        secretKmsKeyArn: args.kmsKeyArn,
        settings: args.jwtRotation,
        environment: { JWT_KEY_BYTES: String(bytes) },
      },
      { parent: this },
    );

    // Test traffic reaches tasks no user should see yet: only whoever can read this secret sends it.
    const testValue = new random.RandomPassword(
      `${name}-test-traffic`,
      { length: 48, special: false },
      { parent: this },
    );
    this.testTraffic = { name: TEST_TRAFFIC_HEADER, value: pulumi.secret(testValue.result) };
    const testSecret = new JsonSecret(
      `${name}-test-traffic`,
      {
        description: `${TEST_TRAFFIC_HEADER} value that admits a release's checks to the new tasks of ${name}`,
        value: pulumi.secret(testValue.result.apply((value) => ({ header: TEST_TRAFFIC_HEADER, value }))),
        kmsKeyArn: args.kmsKeyArn,
        recoveryWindowInDays: args.protect ? 30 : 7,
        rotated: true,
        protect: args.protect,
      },
      { parent: this },
    );

    this.jwtSecretArn = jwtSecret.arn;
    this.testTrafficSecretArn = testSecret.arn;
    this.names = { name, kmsKeyArn: args.kmsKeyArn };
    this.jwtSecret = jwtSecret;
    this.registerOutputs({
      jwtSecretArn: this.jwtSecretArn,
      jwt: this.jwt,
      testTrafficSecretArn: this.testTrafficSecretArn,
    });
  }

  /**
   * Rotates the test-traffic credential on a schedule: the listener rules that require it (the services' test rules,
   * created after this component) accept the old and the new value during a rotation, then only the new one. A
   * release's checks read the secret's current value when they run.
   */
  public rotateTestTraffic(args: {
    listenerRuleArns: pulumi.Input<string>[];
    settings: Omit<RotationSettings, "network">;
  }): SecretRotation {
    return rotateHeaderCredential(
      `${this.names.name}-test-traffic-rotation`,
      {
        secretArn: this.testTrafficSecretArn,
        secretKmsKeyArn: this.names.kmsKeyArn,
        listenerRuleArns: args.listenerRuleArns,
        settings: args.settings,
      },
      { parent: this },
    );
  }

  /**
   * Lets `role` (the backend's task role) read the JWT keys at run time: it signs with `AWSCURRENT` and verifies with
   * `AWSCURRENT` or `AWSPREVIOUS`.
   */
  public grantReadJwt(role: { name: pulumi.Input<string> }): aws.iam.RolePolicy {
    return this.jwtSecret.grantRead(role, "reader");
  }
}
