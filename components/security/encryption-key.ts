import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf, type AwsAccount } from "../lib/aws-account";

/** AWS services that act with a key as themselves (not on a caller's behalf) and so need the key policy to say so. */
export type KeyServiceGrant = "cloudwatch-logs" | "sns-publishers";

/** AWS services through which principals of the account may use a key on their behalf (`kms:ViaService`). */
export type KeyViaService = "rds" | "elasticache" | "secretsmanager" | "ecr" | "backup" | "sns" | "s3";

/** Key-management actions the account keeps on every key; none of them encrypts or decrypts data. */
const ADMINISTRATION_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
];

/** What a principal needs to use a key for data, directly or through a service's grant. */
const USAGE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];

/** Arguments of {@link EncryptionKey}. */
export interface EncryptionKeyArgs {
  /** What the key protects; shown in the KMS console. */
  description: pulumi.Input<string>;
  /** The account that owns the key (the key lives in its provider's region). */
  account: AwsAccount;
  /**
   * Services allowed to use the key as themselves, each scoped by the key policy to this account and region:
   * `cloudwatch-logs` may encrypt and decrypt this account's log groups in this region; `sns-publishers` lets
   * CloudWatch alarms, AWS Backup, EventBridge and AWS Budgets publish to SNS topics the key encrypts (the topics' own
   * policies admit only this account's alarms, vaults, rules and budgets).
   * The account's own principals are not listed here; see `viaServices`.
   * @default []
   */
  serviceGrants?: KeyServiceGrant[];
  /**
   * Services through which the account's IAM principals (with IAM permission for the key) may use it: RDS for
   * storage and Performance Insights, ElastiCache for data at rest, Secrets Manager for secret values, ECR for
   * image layers, AWS Backup for recovery points, SNS for messages. Outside these services the key encrypts and decrypts nothing for anyone.
   * @default []
   */
  viaServices?: KeyViaService[];
  /**
   * IAM principals (role ARNs, `*` patterns allowed) that use the key directly, not through a service: e.g. the roles
   * that encrypt and decrypt Pulumi stack secrets with an `awskms://` secrets provider.
   * @default []
   */
  directPrincipalArns?: pulumi.Input<string>[];
  /**
   * A multi-Region primary key: replicas in other regions (`aws.kms.ReplicaKey`, with {@link EncryptionKey.policy})
   * share its key material, so data it encrypted can be decrypted there while this region is down.
   * @default false
   */
  multiRegion?: boolean;
  /**
   * Days KMS waits between a deletion request and the key's destruction (7-30).
   * @default 30
   */
  deletionWindowInDays?: number;
  /**
   * Protects the key from deletion by Pulumi: data encrypted with a deleted key is lost for good.
   * @default false
   */
  protect?: boolean;
  /** Tags besides `Name`, e.g. the `Environment` whose roles may manage the key. @default {} */
  tags?: Record<string, string>;
}

/**
 * A customer-managed, symmetric KMS key with yearly rotation, an explicit key policy and an alias
 * (`alias/<name>`).
 */
export class EncryptionKey extends pulumi.ComponentResource {
  /** The key's ARN, to pass as `kmsKeyId` / `kmsKeyArn`. */
  public readonly arn: pulumi.Output<string>;
  /** The key's id. */
  public readonly keyId: pulumi.Output<string>;
  /** The alias name, `alias/<name>`. */
  public readonly aliasName: pulumi.Output<string>;
  /** The key policy (JSON) in this key's region. */
  public readonly policy: pulumi.Output<string>;
  private readonly settings: { name: string; args: EncryptionKeyArgs; keyArn: pulumi.Output<string> };

  constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:security:EncryptionKey", name, {}, opts);

    const region = regionOf(this);
    const policy = keyPolicy(args, region);
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: args.description,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: args.deletionWindowInDays ?? 30,
        multiRegion: args.multiRegion ?? false,
        policy,
        tags: { ...args.tags, Name: name },
      },
      { parent: this, protect: args.protect },
    );
    const alias = new aws.kms.Alias(
      `${name}-alias`,
      { name: `alias/${name}`, targetKeyId: key.keyId },
      { parent: this },
    );

    this.arn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = alias.name;
    this.policy = policy;
    this.settings = { name, args, keyArn: key.arn };
    this.registerOutputs({ arn: this.arn, keyId: this.keyId, aliasName: this.aliasName });
  }

  /**
   * A replica of this multi-Region key in `region`: the same key material (a secret replicated there is decryptable
   * with it) and the same grants, stated for that region's service endpoints, under {@link replicaAliasName}.
   * Created through a provider of that region (this stack's account, `defaultTags`), parented to this key.
   */
  public replicate(region: string, defaultTags: Record<string, string>): aws.kms.ReplicaKey {
    const { name, args, keyArn } = this.settings;
    if (!args.multiRegion) throw new Error(`${name}: only a multi-Region key (multiRegion: true) has replicas`);
    const provider = new aws.Provider(
      `${name}-${region}`,
      { region, allowedAccountIds: [args.account.accountId], defaultTags: { tags: defaultTags } },
      { parent: this },
    );
    const replica = new aws.kms.ReplicaKey(
      `${name}-${region}`,
      {
        description: pulumi.interpolate`${args.description} (replica in ${region})`,
        primaryKeyArn: keyArn,
        deletionWindowInDays: args.deletionWindowInDays ?? 30,
        policy: keyPolicy(args, region),
        tags: { ...args.tags, Name: `${name}-${region}` },
      },
      { parent: this, provider, protect: args.protect },
    );
    new aws.kms.Alias(
      `${name}-${region}-alias`,
      { name: replicaAliasName(name), targetKeyId: replica.keyId },
      { parent: this, provider },
    );
    return replica;
  }
}

/**
 * The alias of the replica of the key named `name` in its region: not the key's own alias, which a stack in that
 * region (a standby, with keys of the same names) may hold.
 */
export function replicaAliasName(name: string): string {
  return `alias/${name}-replica`;
}

/** The key policy of a key (or replica) of `args` in `region`: administration, then each grant `args` asks for. */
function keyPolicy(args: EncryptionKeyArgs, region: pulumi.Input<string>): pulumi.Output<string> {
  const { accountId, partition } = args.account;
  const account = pulumi.interpolate`arn:${partition}:iam::${accountId}:root`;
  const statements: unknown[] = [
    {
      // The account (through IAM) always administers the key, so it can never become unmanageable; it does not
      // get to use the key for data here.
      Sid: "AccountAdministersTheKey",
      Effect: "Allow",
      Principal: { AWS: account },
      Action: ADMINISTRATION_ACTIONS,
      Resource: "*",
    },
  ];
  const viaServices = args.viaServices ?? [];
  if (viaServices.length > 0) {
    statements.push({
      Sid: "AccountUsesTheKeyOnlyThroughItsServices",
      Effect: "Allow",
      Principal: { AWS: account },
      Action: [...USAGE_ACTIONS, "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": accountId,
          "kms:ViaService": viaServices.map((service) => pulumi.interpolate`${service}.${region}.amazonaws.com`),
        },
      },
    });
  }
  if ((args.directPrincipalArns ?? []).length > 0) {
    statements.push({
      Sid: "NamedPrincipalsUseTheKeyDirectly",
      Effect: "Allow",
      Principal: { AWS: account },
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: "*",
      Condition: { ArnLike: { "aws:PrincipalArn": args.directPrincipalArns } },
    });
  }
  if (args.serviceGrants?.includes("cloudwatch-logs")) {
    statements.push({
      Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
      Effect: "Allow",
      Principal: { Service: pulumi.interpolate`logs.${region}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:${partition}:logs:${region}:${accountId}:log-group:*`,
        },
      },
    });
  }

  if (args.serviceGrants?.includes("sns-publishers")) {
    statements.push({
      Sid: "ServicesPublishToEncryptedTopics",
      Effect: "Allow",
      // Budgets, too: https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
      // (an encrypted topic's key must let budgets.amazonaws.com generate data keys and decrypt).
      Principal: {
        Service: ["cloudwatch.amazonaws.com", "backup.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"],
      },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
    });
  }

  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}
