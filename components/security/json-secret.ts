import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf } from "../lib/aws-account";

/** Arguments of {@link JsonSecret}. */
export interface JsonSecretArgs {
  /** What the secret holds and who reads it; shown in the Secrets Manager console. */
  description: string;
  /**
   * The secret's value: an object stored as JSON. It is always stored and exposed as a Pulumi secret.
   * @default no value yet: the secret exists (its ARN can be granted and injected), a later deployment writes it
   */
  value?: pulumi.Input<object>;
  /** ARN of the customer-managed KMS key that encrypts the value (its policy must admit Secrets Manager). */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * Days Secrets Manager keeps a deleted secret recoverable (7-30).
   * @default 30
   */
  recoveryWindowInDays?: number;
  /**
   * Keep a read-only replica in another region, encrypted with that region's customer key: a stack restored there
   * (disaster recovery) can read the value while this region is down. A replicated secret is named exactly as the
   * component (no random suffix), so the other region's stack finds its replica by name.
   * @default no replica
   */
  replica?: { region: string; kmsKeyArn: pulumi.Input<string> };
  /**
   * A rotation function owns the value after the first one: Pulumi writes the first version and never another (a
   * change to `value` is ignored), so a deployment cannot put back a password the rotation replaced.
   * @default false
   */
  rotated?: boolean;
  /**
   * Protects the secret from deletion by Pulumi.
   * @default false
   */
  protect?: boolean;
}

/**
 * A Secrets Manager secret holding one JSON document, encrypted with a customer-managed key. Its ARN is what a
 * task definition's `secrets` (or an IAM policy) names; its value never leaves Pulumi's state unencrypted.
 */
export class JsonSecret extends pulumi.ComponentResource {
  /** The secret's ARN. */
  public readonly arn: pulumi.Output<string>;
  /** The secret's (generated) name. */
  public readonly secretName: pulumi.Output<string>;
  private readonly grant: { name: string; kmsKeyArn: pulumi.Input<string> };

  constructor(name: string, args: JsonSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:security:JsonSecret", name, {}, opts);

    const secret = new aws.secretsmanager.Secret(
      `${name}-secret`,
      {
        // Secrets Manager names: 1-512 of letters, digits and /_+=.@- (API_CreateSecret); AWS_NAME_RULES checks it.
        ...(args.replica ? { name } : {}),
        description: args.description,
        kmsKeyId: args.kmsKeyArn,
        recoveryWindowInDays: args.recoveryWindowInDays ?? 30,
        replicas: args.replica ? [{ region: args.replica.region, kmsKeyId: args.replica.kmsKeyArn }] : [],
        tags: { Name: name },
      },
      { parent: this, protect: args.protect },
    );
    if (args.value !== undefined) {
      new aws.secretsmanager.SecretVersion(
        `${name}-value`,
        { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify(args.value)) },
        // After a rotation this version holds AWSPREVIOUS, then no label: both are reads, not changes to make.
        // Secrets Manager keeps up to 100 versions, so the first one outlives years of rotations
        // (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html).
        { parent: this, ...(args.rotated ? { ignoreChanges: ["secretString", "versionStages"] } : {}) },
      );
    }

    this.arn = secret.arn;
    this.secretName = secret.name;
    this.grant = { name, kmsKeyArn: args.kmsKeyArn };
    this.registerOutputs({ arn: this.arn, secretName: this.secretName });
  }

  /**
   * Lets `role` read the secret at run time, any version (a reader of a rotating secret asks for `AWSCURRENT`, and
   * for `AWSPREVIOUS` where both are valid), decrypting through Secrets Manager only.
   */
  public grantRead(role: { name: pulumi.Input<string> }, id: string): aws.iam.RolePolicy {
    return new aws.iam.RolePolicy(
      `${this.grant.name}-${id}`,
      {
        role: role.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            { Sid: "ReadTheSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: this.arn },
            {
              Sid: "DecryptItThroughSecretsManager",
              Effect: "Allow",
              Action: "kms:Decrypt",
              Resource: this.grant.kmsKeyArn,
              Condition: {
                StringEquals: { "kms:ViaService": pulumi.interpolate`secretsmanager.${regionOf(this)}.amazonaws.com` },
              },
            },
          ],
        }),
      },
      { parent: this },
    );
  }
}
