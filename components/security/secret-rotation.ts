import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROTATION_ENVIRONMENT, type RotationKind } from "../../functions/rotation/kinds";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { bundledFunction, type FunctionNetwork, type PolicyStatement } from "../lib/bundled-function";
import type { LogDestination } from "../lib/log-group";

/** Where and how often a component's secrets rotate: what the stack passes every component that owns secrets. */
export interface RotationSettings {
  /** The account; the function's role carries its permissions boundary. */
  account: AwsAccount;
  /** Days between rotations (Secrets Manager `rate(N days)`; each happens some time in that day, UTC). */
  everyDays: number;
  /** Where the function's logs go. */
  logs: LogDestination;
  /**
   * The private subnets and security group a function that connects to a data store runs in (`inVpc`); it reaches
   * Secrets Manager through the subnets' NAT gateways. @default none
   */
  network?: FunctionNetwork;
}

/** Arguments of {@link SecretRotation}. */
export interface SecretRotationArgs {
  /** What the function rotates: selects its code path and the environment it needs. */
  kind: RotationKind;
  /** ARN of the secret to rotate. */
  secretArn: pulumi.Input<string>;
  /** The customer-managed KMS key that encrypts the secret. */
  secretKmsKeyArn: pulumi.Input<string>;
  /** Schedule, logs and (with `inVpc`) network placement. */
  settings: RotationSettings;
  /** The function's environment beyond `ROTATION_KIND`: what its kind reads (`ROTATION_ENVIRONMENT`). @default none */
  environment?: Record<string, pulumi.Input<string>>;
  /** Permissions beyond its own secret and key (another secret to read, the resources it changes). @default none */
  statements?: pulumi.Input<PolicyStatement>[];
  /** Runs in the private subnets (to reach a database or cache). @default false */
  inVpc?: boolean;
  /**
   * Turn the schedule on. Off, everything else exists (the function, its role, the permission), so switching it on
   * later changes no IAM: a standby whose data store is read-only or absent until recovered (ADR 24).
   * @default true
   */
  scheduled?: boolean;
  /** The function's timeout in seconds (Lambda allows 1-900). @default 60 */
  timeoutSeconds?: number;
}

/**
 * Automatic rotation of one secret: a rotation function (the project's bundled TypeScript, functions/rotation/)
 * with a role that may touch only this secret and its key (plus what `statements` add), a log group, the permission
 * for Secrets Manager (this secret only) to invoke it, and the schedule.
 */
export class SecretRotation extends pulumi.ComponentResource {
  /** The rotation function. */
  public readonly function: aws.lambda.Function;
  /** The function's ARN. */
  public readonly functionArn: pulumi.Output<string>;
  /** The function's name (`aws secretsmanager rotate-secret` needs only the secret; this is for logs and invokes). */
  public readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: SecretRotationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:security:SecretRotation", name, {}, opts);
    const child = { parent: this };
    const { account, logs, network } = args.settings;
    const environment = { ROTATION_KIND: args.kind, ...args.environment };
    const missing = ROTATION_ENVIRONMENT[args.kind].filter((variable) => !(variable in environment));
    if (missing.length) throw new Error(`${name}: a ${args.kind} function needs ${missing.join(", ")}`);
    if (args.inVpc && !network) throw new Error(`${name}: a function in the VPC needs settings.network`);
    const region = regionOf(this);

    this.function = bundledFunction(
      name,
      {
        account,
        code: "rotation",
        logGroupName: `/cloudweave/rotation/${name}`,
        logs,
        description: `Rotates the secret of ${name} (${args.kind})`,
        roleDescription: `Runs the rotation function of ${name}: its own secret and key only`,
        statements: [
          {
            // The four actions of the rotation protocol, on this secret
            // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html).
            Sid: "RotateItsSecret",
            Effect: "Allow",
            Action: [
              "secretsmanager:DescribeSecret",
              "secretsmanager:GetSecretValue",
              "secretsmanager:PutSecretValue",
              "secretsmanager:UpdateSecretVersionStage",
            ],
            Resource: args.secretArn,
          },
          {
            // Secrets Manager encrypts and decrypts versions with the key on the caller's behalf, and only that way.
            Sid: "UseTheSecretsKeyThroughSecretsManager",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: args.secretKmsKeyArn,
            Condition: {
              StringEquals: { "kms:ViaService": pulumi.interpolate`secretsmanager.${region}.amazonaws.com` },
            },
          },
          ...(args.statements ?? []),
        ],
        timeoutSeconds: args.timeoutSeconds ?? 60,
        environment,
        ...(args.inVpc ? { network } : {}),
      },
      child,
    );

    // Secrets Manager may invoke it for this secret only (confused-deputy protection:
    // https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html).
    const permission = new aws.lambda.Permission(
      `${name}-invoke`,
      {
        function: this.function.name,
        action: "lambda:InvokeFunction",
        principal: "secretsmanager.amazonaws.com",
        sourceArn: args.secretArn,
        sourceAccount: account.accountId,
      },
      child,
    );
    if (args.scheduled ?? true) {
      new aws.secretsmanager.SecretRotation(
        `${name}-schedule`,
        {
          secretId: args.secretArn,
          rotationLambdaArn: this.function.arn,
          rotationRules: { scheduleExpression: `rate(${args.settings.everyDays} days)` },
          // The first rotation waits for the schedule; Secrets Manager runs the function's testSecret step now.
          rotateImmediately: false,
        },
        { ...child, dependsOn: [permission] },
      );
    }

    this.functionArn = this.function.arn;
    this.functionName = this.function.name;
    this.registerOutputs({ functionArn: this.functionArn, functionName: this.functionName });
  }
}
