/**
 * AWS's rules for the physical names of the resource types this program declares, each taken from its authority:
 *
 * - PULUMI: how the pulumi-aws provider (v7) auto-names a resource whose name property is left unset:
 *   `<logical name><separator><7 random hex chars>` (Pulumi SDK `resource.NewUniqueName`), failing at preview with
 *   "name '<logical name><separator>' plus 7 random chars is longer than maximum length N". The default is 255 for
 *   every property named `name` (`provider/autonaming.go`); `provider/resource_overrides.go` and
 *   `provider/aliases.go` override it per type (e.g. `tfbridge.AutoName("name", 32, "-")` for target groups).
 * - TERRAFORM: the validators of the Terraform AWS provider the Pulumi provider wraps; they run at preview
 *   (github.com/hashicorp/terraform-provider-aws, `internal/service/<service>/...`).
 * - AWS: the API reference's length and character constraints; they apply when the resource is created.
 *
 * One table: the offline mocks reject every registration that breaks it, and components that must shorten a name
 * ({@link physicalName}) fit it to the same rule.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** How the provider generates the name when the program leaves it unset. */
export interface AutoNameRule {
  /** The longest generated name, random suffix included. */
  readonly maxLength: number;
  /** Between the logical name and the random suffix. */
  readonly separator: "-" | "_";
  /** The provider lower-cases the logical name first. */
  readonly lowercase?: boolean;
  /** Where the provider sets this. */
  readonly source: string;
}

/** One physical-name property of a resource type and what AWS accepts in it. */
export interface NameRule {
  /** The input property that carries the name (Pulumi's camelCase). */
  readonly property: string;
  /** What AWS calls it, for messages. */
  readonly what: string;
  readonly minLength: number;
  readonly maxLength: number;
  /** Every character must match (anchored over the whole name). */
  readonly allowed?: { readonly pattern: RegExp; readonly text: string };
  /** Further rules: each pattern must not match. */
  readonly forbidden?: readonly { readonly pattern: RegExp; readonly text: string }[];
  /** Generated when left unset; absent: the program must set it. */
  readonly autoName?: AutoNameRule;
  /** Where the limits come from. */
  readonly source: string;
}

/** Characters of the random suffix Pulumi appends (`resource.NewUniqueName` defaults to lower-case hex). */
export const AUTONAME_RANDOM_LENGTH = 7;

const PULUMI_DEFAULT: AutoNameRule = {
  maxLength: 255,
  separator: "-",
  source: 'pulumi-aws provider/autonaming.go (setAutonaming: every `name` input, 255, "-")',
};
const PULUMI_OVERRIDES = "pulumi-aws provider/resource_overrides.go";

const LETTERS_DIGITS_HYPHENS = { pattern: /^[0-9A-Za-z-]+$/, text: "letters, digits and hyphens" };
const LOWER_DIGITS_HYPHENS = { pattern: /^[0-9a-z-]+$/, text: "lower-case letters, digits and hyphens" };
const WORD_HYPHENS = { pattern: /^[\w-]+$/, text: "letters, digits, '_' and '-'" };
const NO_EDGE_HYPHEN = [
  { pattern: /^-/, text: "must not begin with a hyphen" },
  { pattern: /-$/, text: "must not end with a hyphen" },
];
/** A DNS name, optionally a wildcard, optionally fully qualified (RFC 1035 labels of letters, digits and hyphens). */
const DOMAIN_NAME = {
  pattern: /^(\*\.)?([0-9A-Za-z-]+\.)*[0-9A-Za-z-]+\.?$/,
  text: "a domain name (labels of letters, digits and hyphens, separated by dots)",
};
const LONG_DNS_LABEL = { pattern: /[^.]{64}/, text: "must not have a label longer than 63 characters" };
/** RDS, ElastiCache: a letter first, no "--", no trailing hyphen. */
const DB_IDENTIFIER_SHAPE = [
  { pattern: /^[^A-Za-z]/, text: "must begin with a letter" },
  { pattern: /--/, text: "must not contain two consecutive hyphens" },
  { pattern: /-$/, text: "must not end with a hyphen" },
];

/** Name rules by resource type token (types with no name of their own are in {@link TYPES_WITHOUT_NAMES}). */
const RULES: Readonly<Record<string, readonly NameRule[]>> = {
  "aws:lb/loadBalancer:LoadBalancer": [
    {
      property: "name",
      what: "load balancer name",
      minLength: 1,
      maxLength: 32,
      allowed: LETTERS_DIGITS_HYPHENS,
      forbidden: [...NO_EDGE_HYPHEN, { pattern: /^internal-/, text: 'must not begin with "internal-"' }],
      autoName: PULUMI_DEFAULT,
      source: "terraform-provider-aws internal/service/elbv2/validate.go (validName: at most 32 characters)",
    },
  ],
  "aws:lb/targetGroup:TargetGroup": [
    {
      property: "name",
      what: "target group name",
      minLength: 1,
      maxLength: 32,
      allowed: LETTERS_DIGITS_HYPHENS,
      forbidden: NO_EDGE_HYPHEN,
      autoName: { maxLength: 32, separator: "-", source: 'pulumi-aws provider/aliases.go (AutoName("name", 32, "-"))' },
      source: "terraform-provider-aws internal/service/elbv2/validate.go (validTargetGroupName)",
    },
  ],
  "aws:s3/bucket:Bucket": [
    {
      property: "bucket",
      what: "S3 bucket name",
      minLength: 3,
      maxLength: 63,
      allowed: { pattern: /^[0-9a-z.-]+$/, text: "lower-case letters, digits, '.' and '-'" },
      forbidden: [{ pattern: /^[^0-9a-z]|[^0-9a-z]$/, text: "must begin and end with a letter or digit" }],
      autoName: { maxLength: 63, separator: "-", lowercase: true, source: `${PULUMI_OVERRIDES} (aws_s3_bucket)` },
      source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    },
  ],
  "aws:elasticache/replicationGroup:ReplicationGroup": [
    {
      property: "replicationGroupId",
      what: "ElastiCache replication group id",
      minLength: 1,
      maxLength: 40,
      allowed: LETTERS_DIGITS_HYPHENS,
      forbidden: DB_IDENTIFIER_SHAPE,
      autoName: {
        maxLength: 40,
        separator: "-",
        lowercase: true,
        source: `${PULUMI_OVERRIDES} (aws_elasticache_replication_group)`,
      },
      source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html",
    },
  ],
  "aws:elasticache/user:User": [
    {
      property: "userId",
      what: "ElastiCache user id",
      minLength: 1,
      // The API documents no maximum length.
      maxLength: Number.POSITIVE_INFINITY,
      allowed: LETTERS_DIGITS_HYPHENS,
      forbidden: [{ pattern: /^[^A-Za-z]/, text: "must begin with a letter" }],
      source:
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateUser.html (UserId pattern [a-zA-Z][a-zA-Z0-9\\-]*)",
    },
    {
      property: "userName",
      what: "ElastiCache user name",
      minLength: 1,
      maxLength: Number.POSITIVE_INFINITY,
      source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateUser.html",
    },
  ],
  "aws:elasticache/userGroup:UserGroup": [
    {
      property: "userGroupId",
      what: "ElastiCache user group id",
      minLength: 1,
      maxLength: Number.POSITIVE_INFINITY,
      // Stored lower-case; the program's ids are lower-case already, so state and AWS agree.
      allowed: LOWER_DIGITS_HYPHENS,
      source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateUserGroup.html",
    },
  ],
  "aws:elasticache/subnetGroup:SubnetGroup": [
    {
      property: "name",
      what: "ElastiCache subnet group name",
      minLength: 1,
      maxLength: 255,
      allowed: LETTERS_DIGITS_HYPHENS,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheSubnetGroup.html",
    },
  ],
  "aws:elasticache/parameterGroup:ParameterGroup": [
    {
      property: "name",
      what: "ElastiCache parameter group name",
      minLength: 1,
      maxLength: 255,
      allowed: LETTERS_DIGITS_HYPHENS,
      forbidden: DB_IDENTIFIER_SHAPE,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Creating.html",
    },
  ],
  "aws:rds/instance:Instance": [
    {
      property: "identifier",
      what: "RDS instance identifier",
      minLength: 1,
      maxLength: 63,
      allowed: LOWER_DIGITS_HYPHENS,
      forbidden: DB_IDENTIFIER_SHAPE,
      autoName: { maxLength: 255, separator: "-", source: `${PULUMI_OVERRIDES} (aws_db_instance identifier)` },
      source:
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (1-63); " +
        "terraform-provider-aws internal/service/rds/validate.go (validIdentifier)",
    },
    {
      property: "finalSnapshotIdentifier",
      what: "RDS final snapshot identifier",
      minLength: 1,
      maxLength: 255,
      allowed: LETTERS_DIGITS_HYPHENS,
      forbidden: DB_IDENTIFIER_SHAPE,
      source: "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html",
    },
  ],
  "aws:rds/parameterGroup:ParameterGroup": [
    {
      property: "name",
      what: "RDS parameter group name",
      minLength: 1,
      maxLength: 255,
      allowed: { pattern: /^[0-9a-z.-]+$/, text: "lower-case letters, digits, '.' and '-'" },
      forbidden: DB_IDENTIFIER_SHAPE,
      autoName: PULUMI_DEFAULT,
      source: "terraform-provider-aws internal/service/rds/validate.go (validParamGroupName)",
    },
  ],
  "aws:rds/subnetGroup:SubnetGroup": [
    {
      property: "name",
      what: "RDS subnet group name",
      minLength: 1,
      maxLength: 255,
      allowed: { pattern: /^[0-9a-z_ .-]+$/, text: "lower-case letters, digits, ' ', '_', '.' and '-'" },
      forbidden: [{ pattern: /^default$/i, text: 'must not be "default"' }],
      autoName: PULUMI_DEFAULT,
      source: "terraform-provider-aws internal/service/rds/validate.go (validSubnetGroupName)",
    },
  ],
  "aws:iam/role:Role": [
    {
      property: "name",
      what: "IAM role name",
      minLength: 1,
      maxLength: 64,
      allowed: { pattern: /^[\w+=,.@-]+$/, text: "letters, digits and +=,.@_-" },
      autoName: { maxLength: 64, separator: "-", source: `${PULUMI_OVERRIDES} (aws_iam_role)` },
      source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
    },
  ],
  "aws:iam/policy:Policy": [
    {
      property: "name",
      what: "IAM managed policy name",
      minLength: 1,
      maxLength: 128,
      allowed: { pattern: /^[\w+=,.@-]+$/, text: "letters, digits and +=,.@_-" },
      // No override for aws_iam_policy in pulumi-aws's provider/resources.go: the default auto-name applies.
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html",
    },
  ],
  "aws:iam/rolePolicy:RolePolicy": [
    {
      property: "name",
      what: "IAM inline policy name",
      minLength: 1,
      maxLength: 128,
      allowed: { pattern: /^[\w+=,.@-]+$/, text: "letters, digits and +=,.@_-" },
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html",
    },
  ],
  "aws:kms/alias:Alias": [
    {
      property: "name",
      what: "KMS alias",
      minLength: 7,
      maxLength: 256,
      allowed: { pattern: /^alias\/[\w/-]+$/, text: "alias/ followed by letters, digits, '/', '_' and '-'" },
      forbidden: [{ pattern: /^alias\/aws\//, text: "must not begin with alias/aws/ (reserved for AWS)" }],
      source: "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
    },
  ],
  "aws:cloudwatch/logGroup:LogGroup": [
    {
      property: "name",
      what: "log group name",
      minLength: 1,
      maxLength: 512,
      allowed: { pattern: /^[\w.\-/#]+$/, text: "letters, digits and _-./#" },
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    },
  ],
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": [
    {
      property: "name",
      what: "metric filter name",
      minLength: 1,
      maxLength: 512,
      allowed: { pattern: /^[^:*]+$/, text: "any characters but ':' and '*'" },
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html",
    },
  ],
  "aws:cloudwatch/metricAlarm:MetricAlarm": [
    {
      property: "name",
      what: "alarm name",
      minLength: 1,
      maxLength: 255,
      autoName: { maxLength: 255, separator: "-", source: `${PULUMI_OVERRIDES} (aws_cloudwatch_metric_alarm)` },
      source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html",
    },
  ],
  "aws:cloudwatch/dashboard:Dashboard": [
    {
      property: "dashboardName",
      what: "dashboard name",
      minLength: 1,
      maxLength: 255,
      allowed: WORD_HYPHENS,
      source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
    },
  ],
  "aws:cloudwatch/logDeliverySource:LogDeliverySource": [
    {
      property: "name",
      what: "log delivery source name",
      minLength: 1,
      maxLength: 60,
      allowed: WORD_HYPHENS,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDeliverySource.html",
    },
  ],
  "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": [
    {
      property: "name",
      what: "log delivery destination name",
      minLength: 1,
      maxLength: 60,
      allowed: WORD_HYPHENS,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDeliveryDestination.html",
    },
  ],
  "aws:cloudwatch/eventRule:EventRule": [
    {
      property: "name",
      what: "EventBridge rule name",
      minLength: 1,
      maxLength: 64,
      allowed: { pattern: /^[\w.-]+$/, text: "letters, digits, '.', '_' and '-'" },
      autoName: { maxLength: 64, separator: "-", source: `${PULUMI_OVERRIDES} (aws_cloudwatch_event_rule)` },
      source: "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html",
    },
  ],
  "aws:cloudwatch/eventTarget:EventTarget": [
    {
      property: "targetId",
      what: "EventBridge target id",
      minLength: 1,
      maxLength: 64,
      allowed: { pattern: /^[\w.-]+$/, text: "letters, digits, '.', '_' and '-'" },
      autoName: { maxLength: 255, separator: "-", source: `${PULUMI_OVERRIDES} (aws_cloudwatch_event_target)` },
      source: "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html",
    },
  ],
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": [
    {
      property: "policyName",
      what: "log resource policy name",
      minLength: 1,
      maxLength: 255,
      source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html",
    },
  ],
  "aws:ecs/cluster:Cluster": [
    {
      property: "name",
      what: "ECS cluster name",
      minLength: 1,
      maxLength: 255,
      allowed: WORD_HYPHENS,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html",
    },
  ],
  "aws:ecs/service:Service": [
    {
      property: "name",
      what: "ECS service name",
      minLength: 1,
      maxLength: 255,
      allowed: WORD_HYPHENS,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html",
    },
  ],
  "aws:ecs/taskDefinition:TaskDefinition": [
    {
      property: "family",
      what: "task definition family",
      minLength: 1,
      maxLength: 255,
      allowed: WORD_HYPHENS,
      source: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
    },
  ],
  "aws:ecr/repository:Repository": [
    {
      property: "name",
      what: "ECR repository name",
      minLength: 2,
      maxLength: 256,
      allowed: {
        pattern: /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
        text: "lower-case path segments of letters and digits joined by '.', '_' or '-'",
      },
      source: "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html",
    },
  ],
  "aws:budgets/budget:Budget": [
    {
      property: "name",
      what: "budget name",
      minLength: 1,
      maxLength: 100,
      allowed: { pattern: /^[^:\\]+$/, text: "any characters but ':' and '\\'" },
      autoName: PULUMI_DEFAULT,
      source:
        "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Budget.html (BudgetName)",
    },
  ],
  "aws:sns/topic:Topic": [
    {
      property: "name",
      what: "SNS topic name",
      minLength: 1,
      maxLength: 256,
      allowed: WORD_HYPHENS,
      autoName: { maxLength: 80, separator: "-", source: `${PULUMI_OVERRIDES} (aws_sns_topic)` },
      source: "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
    },
  ],
  "aws:lambda/function:Function": [
    {
      property: "name",
      what: "Lambda function name",
      minLength: 1,
      maxLength: 64,
      allowed: WORD_HYPHENS,
      autoName: { maxLength: 64, separator: "-", source: `${PULUMI_OVERRIDES} (aws_lambda_function)` },
      source:
        "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (FunctionName: 64 characters without the ARN)",
    },
  ],
  "aws:lambda/permission:Permission": [
    {
      property: "statementId",
      what: "Lambda permission statement id",
      minLength: 1,
      maxLength: 100,
      allowed: WORD_HYPHENS,
      autoName: { maxLength: 100, separator: "-", source: `${PULUMI_OVERRIDES} (aws_lambda_permission)` },
      source: "https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html",
    },
  ],
  "aws:secretsmanager/secret:Secret": [
    {
      property: "name",
      what: "secret name",
      minLength: 1,
      maxLength: 512,
      allowed: { pattern: /^[\w/+=.@-]+$/, text: "letters, digits and /_+=.@-" },
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
    },
  ],
  "aws:ec2/securityGroup:SecurityGroup": [
    {
      property: "name",
      what: "security group name",
      minLength: 1,
      maxLength: 255,
      forbidden: [{ pattern: /^sg-/, text: 'must not begin with "sg-"' }],
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html",
    },
  ],
  "aws:appautoscaling/policy:Policy": [
    {
      property: "name",
      what: "scaling policy name",
      minLength: 1,
      maxLength: 256,
      allowed: { pattern: /^[^|:]+$/, text: "any characters but '|' and ':'" },
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html",
    },
  ],
  "aws:backup/vault:Vault": [
    {
      property: "name",
      what: "backup vault name",
      minLength: 2,
      maxLength: 50,
      allowed: WORD_HYPHENS,
      source: "terraform-provider-aws internal/service/backup/vault.go (2-50, ^[0-9A-Za-z_-]*$)",
    },
  ],
  "aws:backup/plan:Plan": [
    {
      property: "name",
      what: "backup plan name",
      minLength: 1,
      maxLength: 50,
      allowed: { pattern: /^[\w.-]+$/, text: "letters, digits and '-_.'" },
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupPlanInput.html",
    },
  ],
  "aws:backup/selection:Selection": [
    {
      property: "name",
      what: "backup selection name",
      minLength: 1,
      maxLength: 50,
      allowed: { pattern: /^[\w.-]+$/, text: "letters, digits and '-_.'" },
      source: "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupSelection.html",
    },
  ],
  "aws:backup/restoreTestingPlan:RestoreTestingPlan": [
    {
      property: "name",
      what: "restore testing plan name",
      minLength: 1,
      maxLength: 50,
      allowed: { pattern: /^[0-9A-Za-z_]+$/, text: "letters, digits and '_'" },
      autoName: { maxLength: 255, separator: "_", source: `${PULUMI_OVERRIDES} (aws_backup_restore_testing_plan)` },
      source: "terraform-provider-aws internal/service/backup/restore_testing_plan.go (1-50, ^[0-9A-Za-z_]+$)",
    },
  ],
  "aws:backup/restoreTestingSelection:RestoreTestingSelection": [
    {
      property: "name",
      what: "restore testing selection name",
      minLength: 1,
      maxLength: 50,
      allowed: { pattern: /^[0-9A-Za-z_]+$/, text: "letters, digits and '_'" },
      source: "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreTestingSelectionForCreate.html",
    },
  ],
  "aws:xray/samplingRule:SamplingRule": [
    {
      property: "ruleName",
      what: "X-Ray sampling rule name",
      minLength: 1,
      maxLength: 32,
      source: "terraform-provider-aws internal/service/xray/sampling_rule.go (StringLenBetween(1, 32))",
    },
  ],
  "aws:xray/group:Group": [
    {
      property: "groupName",
      what: "X-Ray group name",
      minLength: 1,
      maxLength: 32,
      source: "https://docs.aws.amazon.com/xray/latest/api/API_CreateGroup.html",
    },
  ],
  "aws:wafv2/webAcl:WebAcl": [
    {
      property: "name",
      what: "web ACL name",
      minLength: 1,
      maxLength: 128,
      allowed: WORD_HYPHENS,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html",
    },
  ],
  "aws:cloudfront/originAccessControl:OriginAccessControl": [
    {
      property: "name",
      what: "origin access control name",
      minLength: 1,
      maxLength: 64,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html",
    },
  ],
  "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": [
    {
      property: "name",
      what: "origin request policy name",
      minLength: 1,
      maxLength: 128,
      allowed: WORD_HYPHENS,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginRequestPolicyConfig.html",
    },
  ],
  "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": [
    {
      property: "name",
      what: "response headers policy name",
      minLength: 1,
      maxLength: 128,
      allowed: WORD_HYPHENS,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyConfig.html",
    },
  ],
  "aws:appconfig/application:Application": [
    {
      property: "name",
      what: "AppConfig application name",
      minLength: 1,
      maxLength: 64,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateApplication.html",
    },
  ],
  "aws:appconfig/environment:Environment": [
    {
      property: "name",
      what: "AppConfig environment name",
      minLength: 1,
      maxLength: 64,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateEnvironment.html",
    },
  ],
  "aws:appconfig/configurationProfile:ConfigurationProfile": [
    {
      property: "name",
      what: "AppConfig configuration profile name",
      minLength: 1,
      maxLength: 128,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateConfigurationProfile.html",
    },
  ],
  "aws:appconfig/deploymentStrategy:DeploymentStrategy": [
    {
      property: "name",
      what: "AppConfig deployment strategy name",
      minLength: 1,
      maxLength: 64,
      autoName: PULUMI_DEFAULT,
      source: "https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_CreateDeploymentStrategy.html",
    },
  ],
  "aws:acm/certificate:Certificate": [
    {
      property: "domainName",
      what: "certificate domain name",
      minLength: 1,
      // The certificate's Common Name: at most 64 octets (RFC 5280); longer names only as subject alternative names.
      maxLength: 64,
      allowed: DOMAIN_NAME,
      forbidden: [LONG_DNS_LABEL],
      source: "https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html (DomainName)",
    },
  ],
  "aws:route53/zone:Zone": [
    {
      property: "name",
      what: "hosted zone name",
      minLength: 1,
      maxLength: 1024,
      allowed: DOMAIN_NAME,
      forbidden: [LONG_DNS_LABEL],
      source: "https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHostedZone.html (Name)",
    },
  ],
  "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": [
    {
      property: "configurationName",
      what: "chat channel configuration name",
      minLength: 1,
      maxLength: 128,
      allowed: WORD_HYPHENS,
      source: "https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html",
    },
  ],
};

/**
 * {@link RULES}, and the other tokens of the same resources: `aws:alb/*` is the pulumi-aws alias of the `aws:lb/*`
 * module (provider/resources.go), `aws:s3/bucketV2:BucketV2` the deprecated token of the S3 bucket in v7. Only the
 * policy pack's tests declare those.
 */
export const AWS_NAME_RULES: Readonly<Record<string, readonly NameRule[]>> = {
  ...RULES,
  "aws:alb/loadBalancer:LoadBalancer": RULES["aws:lb/loadBalancer:LoadBalancer"] ?? [],
  "aws:alb/targetGroup:TargetGroup": RULES["aws:lb/targetGroup:TargetGroup"] ?? [],
  "aws:s3/bucketV2:BucketV2": RULES["aws:s3/bucket:Bucket"] ?? [],
};

/**
 * Resource types the program declares that have no physical name of their own: AWS gives them an id (VPC pieces,
 * KMS keys, listeners, subscriptions, attachments, FIS templates, ...) or they are settings of another resource. The
 * offline mocks refuse a type that is neither here nor in {@link AWS_NAME_RULES}, so a new type's naming rules are
 * looked up before it is used.
 */
export const TYPES_WITHOUT_NAMES: ReadonlySet<string> = new Set([
  "aws:acm/certificateValidation:CertificateValidation",
  "aws:appautoscaling/target:Target",
  "aws:appconfig/deployment:Deployment",
  "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion",
  "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
  "aws:backup/vaultNotifications:VaultNotifications",
  "aws:cloudfront/distribution:Distribution",
  "aws:cloudwatch/logDelivery:LogDelivery",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  "aws:ec2/eip:Eip",
  "aws:ec2/flowLog:FlowLog",
  "aws:ec2/internetGateway:InternetGateway",
  "aws:ec2/natGateway:NatGateway",
  "aws:ec2/route:Route",
  "aws:ec2/securityGroupRule:SecurityGroupRule",
  "aws:ec2/routeTable:RouteTable",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/vpc:Vpc",
  "aws:ec2/vpcEndpoint:VpcEndpoint",
  "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
  "aws:fis/experimentTemplate:ExperimentTemplate",
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:kms/key:Key",
  "aws:kms/replicaKey:ReplicaKey",
  // A health check has no name: Route 53 identifies it by id (and the provider's caller reference).
  "aws:route53/healthCheck:HealthCheck",
  // One per registry and region: no name.
  "aws:ecr/replicationConfiguration:ReplicationConfiguration",
  "aws:lambda/invocation:Invocation",
  "aws:lb/listener:Listener",
  "aws:lb/listenerRule:ListenerRule",
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
  "aws:route53/record:Record",
  "aws:s3/bucketAbac:BucketAbac",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:secretsmanager/secretRotation:SecretRotation",
  "aws:secretsmanager/secretVersion:SecretVersion",
  "aws:sns/topicPolicy:TopicPolicy",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
  "random:index/randomBytes:RandomBytes",
  "random:index/randomPassword:RandomPassword",
]);

/** A physical name that breaks its rule. */
export interface NameViolation {
  readonly property: string;
  readonly name: string;
  /** True when Pulumi would have generated it from the logical name. */
  readonly generated: boolean;
  readonly problems: readonly string[];
  readonly rule: NameRule;
}

/**
 * What Pulumi would call the resource: the explicit name, or the logical name plus the random suffix. Throws what
 * the provider reports at preview when the logical name leaves no room for the suffix.
 */
export function generatedName(rule: NameRule, logicalName: string, random: string): string {
  const auto = rule.autoName;
  if (!auto) throw new Error(`${rule.what} has no auto-naming`);
  const prefix = `${auto.lowercase ? logicalName.toLowerCase() : logicalName}${auto.separator}`;
  if (prefix.length + AUTONAME_RANDOM_LENGTH > auto.maxLength) {
    // Pulumi SDK resource.NewUniqueName's message, as `pulumi preview` prints it.
    throw new Error(
      `name '${prefix}' plus ${AUTONAME_RANDOM_LENGTH} random chars is longer than maximum length ${auto.maxLength}`,
    );
  }
  return `${prefix}${random.slice(0, AUTONAME_RANDOM_LENGTH)}`;
}

/** The problems of one name against its rule (none when it is acceptable). */
export function nameProblems(rule: NameRule, name: string): string[] {
  const problems: string[] = [];
  if (name.length > rule.maxLength) problems.push(`is ${name.length} characters, at most ${rule.maxLength} allowed`);
  if (name.length < rule.minLength) problems.push(`is ${name.length} characters, at least ${rule.minLength} needed`);
  if (rule.allowed && !rule.allowed.pattern.test(name)) problems.push(`may contain only ${rule.allowed.text}`);
  for (const forbidden of rule.forbidden ?? []) if (forbidden.pattern.test(name)) problems.push(forbidden.text);
  return problems;
}

/**
 * A readable physical name for `base` that fits `type`'s rule, for resources that must be named explicitly (a
 * generated name would not fit): `<base>-<digest>`, where the digest covers the base and `replaceOn`, the inputs
 * whose change makes the provider replace the resource. A replacement therefore gets a new name, and Pulumi can create
 * it before deleting the old one. The name is fitted by {@link fittedName}.
 */
export function physicalName(
  type: string,
  base: string,
  replaceOn: readonly pulumi.Input<unknown>[] = [],
): pulumi.Output<string> {
  ruleOf(type);
  return pulumi.all([...replaceOn]).apply((values) => {
    const digest = createHash("sha256")
      .update(JSON.stringify([base, ...values]))
      .digest("hex")
      .slice(0, DIGEST_LENGTH);
    return fittedName(type, base, digest);
  });
}

/**
 * `<base>-<digest>` within `type`'s rule. When the base is too long, or begins in a way the rule forbids, its leading
 * hyphen-separated segments (the most general ones: project, then environment) are dropped until the name fits the
 * rule; only the last segment is ever cut. Throws, naming the rule's source, when no tail of the base makes a valid
 * name.
 */
export function fittedName(type: string, base: string, digest: string): string {
  const rule = ruleOf(type);
  const room = rule.maxLength - digest.length - 1;
  const tails = base.split("-").map((_, index, segments) => segments.slice(index).join("-"));
  for (const tail of tails) {
    if (tail.length > room && tail !== tails.at(-1)) continue;
    const name = `${tail.slice(0, room).replace(/-+$/, "")}-${digest}`;
    if (nameProblems(rule, name).length === 0) return name;
  }
  throw new Error(
    `no ${rule.what} can be made from "${base}": "${base}-${digest}" ${nameProblems(rule, `${base}-${digest}`).join("; ")} (${rule.source})`,
  );
}

function ruleOf(type: string): NameRule {
  const rule = AWS_NAME_RULES[type]?.[0];
  if (!rule) throw new Error(`no naming rule for ${type} in components/lib/aws-names.ts`);
  return rule;
}

/** Hex characters of {@link physicalName}'s digest: 24 bits, plenty for the handful of names of one type. */
const DIGEST_LENGTH = 6;
