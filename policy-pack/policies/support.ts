/**
 * What every policy module shares: how a policy names its anchors (the Checkov, Trivy and AWS Security Hub checks it
 * stands for), the type tokens that mean one kind of resource (current and deprecated), and small readers that
 * turn a resource's loosely typed `props` into checked values.
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/** The checks of the well-known rule sets a policy implements (ids as their authors write them). */
export interface Anchors {
  checkov?: string[];
  trivy?: string[];
  /** AWS Security Hub Foundational Security Best Practices control ids. */
  fsbp?: string[];
  /** This project's decision records (`0025`), for a rule no public rule set has. */
  adr?: string[];
}

/** Everything a policy declares about itself besides its check. */
export interface PolicyMeta {
  /** kebab-case, unique in the pack; the key of its section in the pack config. */
  name: string;
  /** What must be true, in one sentence. */
  description: string;
  anchors: Anchors;
  /** @default "mandatory" (the pack's own default) */
  enforcementLevel?: EnforcementLevel;
  severity: Severity;
  /** What to change when the policy fails. */
  remediation: string;
  /** Settings the pack config may give this policy, with their defaults. */
  configSchema?: PolicyConfigSchema;
}

/** The anchors as policy tags (`checkov:CKV_AWS_16`, `trivy:AVD-AWS-0080`, `aws-fsbp:RDS.3`). */
export function anchorTags(anchors: Anchors): string[] {
  return [
    ...(anchors.checkov ?? []).map((id) => `checkov:${id}`),
    ...(anchors.trivy ?? []).map((id) => `trivy:${id}`),
    ...(anchors.fsbp ?? []).map((id) => `aws-fsbp:${id}`),
    ...(anchors.adr ?? []).map((id) => `cloudweave:adr-${id}`),
  ];
}

function describe(meta: PolicyMeta): string {
  const ids = [
    ...(meta.anchors.checkov ?? []),
    ...(meta.anchors.trivy ?? []),
    ...(meta.anchors.fsbp ?? []).map((id) => `FSBP ${id}`),
    ...(meta.anchors.adr ?? []).map((id) => `ADR ${id}`),
  ];
  return ids.length > 0 ? `${meta.description} [${ids.join(", ")}]` : meta.description;
}

function common(meta: PolicyMeta) {
  return {
    name: meta.name,
    description: describe(meta),
    ...(meta.enforcementLevel ? { enforcementLevel: meta.enforcementLevel } : {}),
    severity: meta.severity,
    tags: anchorTags(meta.anchors),
    remediationSteps: meta.remediation,
    ...(meta.configSchema ? { configSchema: meta.configSchema } : {}),
  };
}

/** A resource's props, read defensively: values may be missing, and a preview may leave them unknown. */
export type Props = Record<string, unknown>;

/** A policy that checks each resource of the given type tokens on its own. */
export function resourcePolicy(
  meta: PolicyMeta & {
    types: readonly string[];
    validate: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void;
  },
): ResourceValidationPolicy {
  return {
    ...common(meta),
    validateResource: (args, report) => {
      if (meta.types.includes(args.type)) meta.validate(args.props as Props, args, report);
    },
  };
}

/** A policy that looks at the whole stack (resources, their dependencies and property dependencies). */
export function stackPolicy(
  meta: PolicyMeta & {
    validate: (resources: PolicyResource[], args: StackValidationArgs, report: ReportViolation) => void;
  },
): StackValidationPolicy {
  return { ...common(meta), validateStack: (args, report) => meta.validate(args.resources, args, report) };
}

/**
 * Type tokens per kind of resource. Where @pulumi/aws keeps a deprecated twin or an alias module, both are listed:
 * a policy keyed on one token would silently miss the other.
 */
export const TOKENS = {
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  bucketEncryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  bucketVersioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  bucketPublicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  bucketOwnershipControls: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
  bucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy"],
  bucketLogging: ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"],
  dbInstance: ["aws:rds/instance:Instance"],
  dbParameterGroup: ["aws:rds/parameterGroup:ParameterGroup"],
  replicationGroup: ["aws:elasticache/replicationGroup:ReplicationGroup"],
  logGroup: ["aws:cloudwatch/logGroup:LogGroup"],
  topic: ["aws:sns/topic:Topic"],
  repository: ["aws:ecr/repository:Repository"],
  lifecyclePolicy: ["aws:ecr/lifecyclePolicy:LifecyclePolicy"],
  secret: ["aws:secretsmanager/secret:Secret"],
  secretRotation: ["aws:secretsmanager/secretRotation:SecretRotation"],
  lambdaFunction: ["aws:lambda/function:Function"],
  lambdaPermission: ["aws:lambda/permission:Permission"],
  kmsKey: ["aws:kms/key:Key"],
  securityGroup: ["aws:ec2/securityGroup:SecurityGroup"],
  defaultSecurityGroup: ["aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"],
  ingressRule: ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"],
  egressRule: ["aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"],
  legacyRule: ["aws:ec2/securityGroupRule:SecurityGroupRule"],
  vpc: ["aws:ec2/vpc:Vpc"],
  flowLog: ["aws:ec2/flowLog:FlowLog"],
  loadBalancer: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
  listener: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
  distribution: ["aws:cloudfront/distribution:Distribution"],
  logDeliverySource: ["aws:cloudwatch/logDeliverySource:LogDeliverySource"],
  cluster: ["aws:ecs/cluster:Cluster"],
  taskDefinition: ["aws:ecs/taskDefinition:TaskDefinition"],
  service: ["aws:ecs/service:Service"],
  webAcl: ["aws:wafv2/webAcl:WebAcl"],
  webAclLogging: ["aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"],
} as const;

/** True when `resource` is one of `tokens`. */
export function isOneOf(resource: { type: string }, tokens: readonly string[]): boolean {
  return tokens.includes(resource.type);
}

/** The resources of the stack of the given kind. */
export function ofKind(resources: PolicyResource[], tokens: readonly string[]): PolicyResource[] {
  return resources.filter((resource) => isOneOf(resource, tokens));
}

/**
 * The resources a property of `resource` was computed from (its property dependencies). This is how a stack policy
 * follows references whose values (ids, ARNs) are not known until the resources exist.
 */
export function referenced(resource: PolicyResource, property: string): PolicyResource[] {
  return resource.propertyDependencies[property] ?? [];
}

/** True when `property` of `resource` depends on `target`. */
export function refersTo(resource: PolicyResource, property: string, target: PolicyResource): boolean {
  return referenced(resource, property).some((candidate) => candidate.urn === target.urn);
}

export function str(props: Props, key: string): string | undefined {
  const value = props[key];
  return typeof value === "string" ? value : undefined;
}

export function num(props: Props, key: string): number | undefined {
  const value = props[key];
  return typeof value === "number" ? value : undefined;
}

export function bool(props: Props, key: string): boolean | undefined {
  const value = props[key];
  return typeof value === "boolean" ? value : undefined;
}

export function list(props: Props, key: string): unknown[] {
  const value = props[key];
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export function record(value: unknown): Props {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Props) : {};
}

export function records(props: Props, key: string): Props[] {
  return list(props, key).map(record);
}

/** A policy document (JSON text or object) as its statements. */
export function statementsOf(document: unknown): Props[] {
  const parsed: unknown = typeof document === "string" ? JSON.parse(document) : document;
  const statements = record(parsed).Statement;
  return (Array.isArray(statements) ? statements : [statements]).map(record);
}

/** A value or list of values as a list of strings. */
export function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** The configured minimum (or other number) of a policy, falling back to the schema's default. */
export function configNumber(args: { getConfig<T extends object>(): T }, key: string, fallback: number): number {
  const value = record(args.getConfig<Props>())[key];
  return typeof value === "number" ? value : fallback;
}

export function configStrings(args: { getConfig<T extends object>(): T }, key: string, fallback: string[]): string[] {
  const value = record(args.getConfig<Props>())[key];
  return Array.isArray(value) ? strings(value) : fallback;
}

export function configNumberList(
  args: { getConfig<T extends object>(): T },
  key: string,
  fallback: number[],
): number[] {
  const value = record(args.getConfig<Props>())[key];
  return Array.isArray(value) ? value.filter((item): item is number => typeof item === "number") : fallback;
}

/**
 * The rotation functions of a stack, each with the secrets it may rotate: the Lambda functions a permission lets
 * Secrets Manager invoke (for a rotation schedule or one prepared for later, ADR 24), keyed by function URN.
 */
export function rotationFunctions(resources: PolicyResource[]): Map<string, Set<string>> {
  const functions = new Map<string, Set<string>>();
  for (const permission of ofKind(resources, TOKENS.lambdaPermission)) {
    if (str(permission.props, "principal") !== "secretsmanager.amazonaws.com") continue;
    const secrets = referenced(permission, "sourceArn").map((secret) => secret.urn);
    for (const fn of referenced(permission, "function")) {
      const known = functions.get(fn.urn) ?? new Set<string>();
      for (const secret of secrets) known.add(secret);
      functions.set(fn.urn, known);
    }
  }
  return functions;
}
