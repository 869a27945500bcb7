/**
 * The one Pulumi mocks module of this project: a monitor that answers like AWS would (ids, ARNs, the computed
 * attributes the program reads) and records every resource the program declares, with its parent, dependencies,
 * provider and protection. The offline plan, the tests and the policy checks all read these records.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperties, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import {
  AUTONAME_RANDOM_LENGTH,
  AWS_NAME_RULES,
  TYPES_WITHOUT_NAMES,
  generatedName,
  nameProblems,
} from "../components/lib/aws-names";

/**
 * The account an offline run pretends to deploy into when its stack names none (`aws:allowedAccountIds`); a stack
 * that names its account runs as that account, so its plan shows the ARNs a real preview would.
 */
export const MOCK_ACCOUNT_ID = "123456789012";

/** A value the program marked secret; the plan prints it masked. */
export class SecretValue {
  constructor(readonly value: unknown) {}
  toJSON(): string {
    return "[secret]";
  }
}

/** One resource as the program declared it: what `pulumi preview` would send to the engine. */
export interface DeclaredResource {
  readonly urn: string;
  /** Type token, e.g. `aws:ec2/vpc:Vpc`, or a component's `cloudweave:network:Network`. */
  readonly type: string;
  readonly name: string;
  /** False for component resources. */
  readonly custom: boolean;
  /** URN of the parent; undefined only for the stack itself. */
  readonly parent: string | undefined;
  /** URNs this resource depends on (explicit `dependsOn` and every input's resources). */
  readonly dependencies: readonly string[];
  /** For each input property, the URNs of the resources its value came from. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** Provider reference, when not the default provider. */
  readonly provider: string | undefined;
  /** The region the resource is created in: its provider's, or the stack's `aws:region`. */
  readonly region: string;
  readonly protect: boolean;
  /** How long the engine waits for each operation (`customTimeouts`), as the program set them, e.g. `45m`. */
  readonly customTimeouts: { readonly create?: string; readonly update?: string; readonly delete?: string };
  /** Inputs the engine leaves alone after creation (`ignoreChanges`): someone else (ECS, auto scaling) owns them. */
  readonly ignoreChanges: readonly string[];
  /** The inputs, resolved; secret values are {@link SecretValue}s. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The id the mock assigned (custom resources only). */
  readonly id: string | undefined;
  /** The state the mock answered with: the inputs plus what AWS would compute (ARN, generated names, ...). */
  readonly outputs: Readonly<Record<string, unknown>>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(fn: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getProvider(): string;
  getProtect(): boolean;
  getObject(): unknown;
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getIgnorechangesList(): string[];
}

interface RegisterResponse {
  getUrn(): string;
  getId(): string;
  getObject(): unknown;
}

type Callback = (err: unknown, response: RegisterResponse | undefined) => void;

/**
 * Per-region facts the mocks answer with, from AWS's published tables. A region missing here fails loudly: teach it
 * the region's values before a stack uses it.
 */
const REGIONS: Readonly<
  Record<string, { elbZoneId: string; elbLogAccount: string; cloudFrontPrefixList: string; elastiCacheCode: string }>
> = {
  // elbZoneId: the Route 53 zone of ALB DNS names, https://docs.aws.amazon.com/general/latest/gr/elb.html
  // elbLogAccount: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
  // cloudFrontPrefixList: the id of com.amazonaws.global.cloudfront.origin-facing in the region
  //   (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/LocationsOfEdgeServers.html#managed-prefix-list;
  //   `aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing`)
  // elastiCacheCode: the region's code in ElastiCache endpoint names
  //   (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Endpoints.html)
  "us-east-1": {
    elbZoneId: "Z35SXDOTRQ7X7K",
    elbLogAccount: "127311923021",
    cloudFrontPrefixList: "pl-3b927c52",
    elastiCacheCode: "use1",
  },
  "us-west-2": {
    elbZoneId: "Z1H1FL5HABSF5",
    elbLogAccount: "797873946194",
    cloudFrontPrefixList: "pl-82a045eb",
    elastiCacheCode: "usw2",
  },
};

/**
 * Services whose ARNs carry no region: IAM, Route 53, CloudFront and Budgets are global; S3 names buckets without
 * one (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbudgetservice.html: budget ARNs are
 * `arn:${Partition}:budgets::${Account}:budget/${BudgetName}`).
 */
const REGIONLESS_ARNS = ["iam", "route53", "cloudfront", "s3", "budgets"];

/** The AWS-managed prefix list of CloudFront's origin-facing addresses (same name in every region). */
const CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing";

/** The hosted zone of every CloudFront distribution's DNS name (https://docs.aws.amazon.com/general/latest/gr/cf_region.html). */
const CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2";

/**
 * Registrations AWS or the provider would reject (a name breaking its rule, a resource in a region its service does
 * not serve): `pulumi preview` (or `up`) fails with them.
 */
export class AwsRejection extends Error {
  constructor(readonly violations: readonly string[]) {
    super(
      `${violations.length} registration${violations.length === 1 ? "" : "s"} AWS would reject:\n` +
        violations.map((violation) => `  - ${violation}`).join("\n"),
    );
    this.name = "AwsRejection";
  }
}

/**
 * Resource types AWS serves from some regions only: a registration elsewhere fails when the provider calls the API.
 * `applies` narrows a rule to the registrations it concerns.
 */
export const REGION_RULES: readonly {
  readonly type: string;
  readonly applies?: (inputs: Record<string, unknown>) => boolean;
  readonly regions: readonly string[];
  readonly what: string;
  readonly source: string;
}[] = [
  {
    type: "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
    regions: ["us-east-2", "us-west-2", "ap-southeast-1", "eu-west-1"],
    what: "the AWS Chatbot API",
    source: "https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html",
  },
  {
    type: "aws:wafv2/webAcl:WebAcl",
    applies: (inputs) => inputs.scope === "CLOUDFRONT",
    regions: ["us-east-1"],
    what: "a CLOUDFRONT-scope web ACL",
    source: "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html (Scope)",
  },
  {
    type: "aws:cloudwatch/logDeliverySource:LogDeliverySource",
    applies: (inputs) => String(inputs.resourceArn).startsWith("arn:aws:cloudfront:"),
    regions: ["us-east-1"],
    what: "a CloudFront distribution's log delivery source",
    source: "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html",
  },
];

/**
 * Settings the provider or the AWS API refuses, per resource type: each rule returns what is wrong with a resource's
 * inputs (nothing when they are fine), and names where the rule comes from.
 */
export const SETTING_RULES: readonly {
  readonly type: string;
  readonly source: string;
  readonly problems: (inputs: Record<string, unknown>) => string[];
}[] = [
  {
    // ECS deployment lifecycle hooks. The stages: the ECS API's DeploymentLifecycleHook.lifecycleStages, which the
    // provider validates against the AWS SDK's enum (terraform-provider-aws internal/service/ecs/service.go:
    // enum.Validate[awstypes.DeploymentLifecycleHookStage]). PRE_PRODUCTION_TRAFFIC_SHIFT came with pause hooks in the
    // same API model (@aws-sdk/client-ecs 3.1050.0 has both, 3.1048.0 neither); the pinned @pulumi/aws 7.48.0
    // accepts pause hooks (`targetType: PAUSE`), so its SDK has the stage too, though its docs do not list it yet.
    // Pause hooks cannot run at the two stages a rollback re-invokes; Lambda hooks need a function and a role.
    type: "aws:ecs/service:Service",
    source:
      "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentLifecycleHook.html, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html",
    problems: (inputs) => {
      const stages = [
        "RECONCILE_SERVICE",
        "PRE_SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
      ];
      const configuration = (inputs.deploymentConfiguration ?? {}) as Record<string, unknown>;
      const hooks = (configuration.lifecycleHooks ?? []) as Record<string, unknown>[];
      const found: string[] = [];
      if (hooks.length && !["BLUE_GREEN", "CANARY", "LINEAR"].includes(String(configuration.strategy)))
        found.push(
          `lifecycle hooks need a BLUE_GREEN, CANARY or LINEAR deployment, not ${String(configuration.strategy)}`,
        );
      for (const [index, hook] of hooks.entries()) {
        const at = `deploymentConfiguration.lifecycleHooks[${index}]`;
        const hookStages = (hook.lifecycleStages ?? []) as string[];
        const type = typeof hook.targetType === "string" ? hook.targetType : "AWS_LAMBDA";
        if (!hookStages.length) found.push(`${at} names no lifecycle stage`);
        for (const stage of hookStages.filter((candidate) => !stages.includes(candidate)))
          found.push(`${at}: ${stage} is not a lifecycle stage (${stages.join(", ")})`);
        if (!["AWS_LAMBDA", "PAUSE"].includes(type)) found.push(`${at}: targetType ${type} is not AWS_LAMBDA or PAUSE`);
        if (type === "PAUSE")
          for (const stage of hookStages.filter(
            (candidate) => candidate.endsWith("_TRAFFIC_SHIFT") && !/^(PRE|POST)_/.test(candidate),
          ))
            found.push(`${at}: a PAUSE hook cannot run at ${stage}, which a rollback re-invokes`);
        if (type === "AWS_LAMBDA" && (!hook.hookTargetArn || !hook.roleArn))
          found.push(`${at}: an AWS_LAMBDA hook needs hookTargetArn and roleArn`);
        if (hook.hookDetails !== undefined) {
          let details: unknown;
          try {
            details = typeof hook.hookDetails === "string" ? JSON.parse(hook.hookDetails) : undefined;
          } catch {
            details = undefined;
          }
          if (!details || typeof details !== "object" || Array.isArray(details))
            found.push(`${at}: hookDetails is not a JSON object`);
        }
      }
      return found;
    },
  },
];

/** True for an {@link AwsRejection}, also one thrown by another load of this module. */
export function isAwsRejection(error: unknown): error is AwsRejection {
  return error instanceof Error && error.name === "AwsRejection";
}

/** A provider function the program called: which, in which region, with what. */
export interface ProviderCall {
  readonly token: string;
  readonly region: string;
  readonly inputs: Record<string, unknown>;
  /** What the mock answered. */
  readonly outputs: Record<string, unknown>;
}

/**
 * Answers resource registrations and provider function calls as AWS would: each resource in the region of the
 * provider it is created through (the stack's default region otherwise), with the physical names AWS would give it,
 * and none that AWS or the provider would reject ({@link AWS_NAME_RULES}).
 */
export class AwsMocks implements pulumi.runtime.Mocks {
  /** The region of each explicit provider, by the id the mocks gave it. */
  private readonly providerRegions = new Map<string, string>();
  /** Registrations AWS or the provider would reject, one message each. */
  readonly rejections: string[] = [];
  /** The provider functions called, with the region each reads from. */
  readonly calls: ProviderCall[] = [];

  /**
   * @param defaultRegion the default provider's region (`aws:region`).
   * @param accountId the account the credentials belong to: the stack's `aws:allowedAccountIds[0]`.
   */
  constructor(
    private readonly defaultRegion: string,
    readonly accountId: string = MOCK_ACCOUNT_ID,
  ) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = args.inputs as Record<string, unknown>;
    if (!args.custom) return { id: undefined, state: inputs };
    const id = args.id || mockId(args.type, args.name);
    if (args.type === "pulumi:providers:aws") {
      this.providerRegions.set(id, typeof inputs.region === "string" ? inputs.region : this.defaultRegion);
      // The provider refuses to configure itself for credentials of another account than it allows
      // (the terraform-provider-aws check behind pulumi-aws's `allowedAccountIds`: "Error: AWS account ID not allowed: <id>").
      const allowed = allowedAccounts(inputs.allowedAccountIds);
      if (allowed && !allowed.includes(this.accountId)) {
        this.rejections.push(
          `provider "${args.name}": AWS account ID not allowed: ${this.accountId} (allowedAccountIds ${allowed.join(", ")})`,
        );
      }
      return { id, state: inputs };
    }
    if (!(args.type in AWS_NAME_RULES) && !TYPES_WITHOUT_NAMES.has(args.type)) {
      throw new Error(
        `offline mocks: ${args.type} "${args.name}" has no naming rule: look up its name's limits and add them, with their source, to AWS_NAME_RULES in components/lib/aws-names.ts (or the type to TYPES_WITHOUT_NAMES if it has no name)`,
      );
    }
    const { names, problems } = physicalNames(args.type, args.name, inputs);
    const region = this.regionOf(args.provider, inputs);
    for (const rule of REGION_RULES) {
      if (rule.type === args.type && (rule.applies?.(inputs) ?? true) && !rule.regions.includes(region)) {
        problems.push(
          `${args.type} "${args.name}": created in ${region}, but ${rule.what} is served in ${rule.regions.join(", ")} only (${rule.source})`,
        );
      }
    }
    for (const rule of SETTING_RULES.filter((candidate) => candidate.type === args.type)) {
      problems.push(
        ...rule.problems(inputs).map((problem) => `${args.type} "${args.name}": ${problem} (${rule.source})`),
      );
    }
    // Reported after the run, all at once, as a preview reports every resource the provider rejects.
    this.rejections.push(...problems);
    return { id, state: { ...inputs, ...names, ...this.computed(args.type, args.name, inputs, id, region, names) } };
  }

  /**
   * The region a resource or a function call lives in: its own `region` input (pulumi-aws v7 takes one on every
   * resource), else its provider's, else the stack's.
   */
  regionOf(provider: string | undefined, inputs: Record<string, unknown> = {}): string {
    if (typeof inputs.region === "string") return inputs.region;
    if (!provider) return this.defaultRegion;
    const id = provider.slice(provider.lastIndexOf("::") + 2);
    return this.providerRegions.get(id) ?? this.defaultRegion;
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = args.inputs as Record<string, unknown>;
    const region = this.regionOf(args.provider, inputs);
    const outputs = this.answer(args.token, inputs, region);
    this.calls.push({ token: args.token, region, inputs, outputs });
    return outputs;
  }

  /** What AWS answers a provider function call. */
  private answer(token: string, inputs: Record<string, unknown>, region: string): Record<string, unknown> {
    switch (token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          accountId: this.accountId,
          arn: `arn:aws:iam::${this.accountId}:user/offline`,
          userId: "AIDAOFFLINE",
          id: this.accountId,
        };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
      case "aws:index/getRegion:getRegion":
        return { name: region, region, endpoint: `ec2.${region}.amazonaws.com`, id: region };
      case "aws:route53/getZone:getZone": {
        const zoneName = String(inputs.name).replace(/\.$/, "");
        const zoneId = `Z${hash("zone", zoneName).slice(0, 20).toUpperCase()}`;
        return {
          zoneId,
          id: zoneId,
          name: zoneName,
          privateZone: false,
          nameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net"],
          arn: `arn:aws:route53:::hostedzone/${zoneId}`,
        };
      }
      case "aws:ec2/getManagedPrefixList:getManagedPrefixList": {
        // The only AWS-managed list the program looks up: CloudFront's origin-facing one, whose id differs by region.
        if (inputs.name !== CLOUDFRONT_ORIGIN_FACING) {
          throw new Error(`offline mocks: no managed prefix list named ${String(inputs.name)} (offline/mocks.ts)`);
        }
        const listId = regionFacts(region).cloudFrontPrefixList;
        return {
          id: listId,
          name: inputs.name,
          addressFamily: "IPv4",
          maxEntries: 55,
          arn: `arn:aws:ec2:${region}:aws:prefix-list/${listId}`,
        };
      }
      case "aws:secretsmanager/getSecret:getSecret": {
        const name = String(inputs.name);
        operatorSecret(name);
        // Secrets Manager appends six random characters to a secret's name in its ARN; a replica keeps them.
        const arn = `arn:aws:secretsmanager:${region}:${this.accountId}:secret:${name}-${hash("secret", name).slice(0, 6)}`;
        return { arn, id: arn, name };
      }
      case "aws:ecr/getRepository:getRepository": {
        // The repositories a primary keeps in its standby's region (ImageReplication), which the standby reads by
        // name; test/disaster-recovery.test.ts checks the primary creates exactly those.
        const name = String(inputs.name);
        if (!/^cloudweave-[a-z0-9-]+\/(frontend|backend)$/.test(name)) {
          throw new Error(`offline mocks: the mock account has no repository "${name}" (offline/mocks.ts)`);
        }
        return {
          id: name,
          name,
          arn: `arn:aws:ecr:${region}:${this.accountId}:repository/${name}`,
          registryId: this.accountId,
          repositoryUrl: `${this.accountId}.dkr.ecr.${region}.amazonaws.com/${name}`,
        };
      }
      case "aws:kms/getKey:getKey": {
        const keyId = String(inputs.keyId);
        if (!keyId.startsWith("alias/") || !keyId.endsWith("-replica")) {
          throw new Error(`offline mocks: the mock account has no key "${keyId}" (offline/mocks.ts)`);
        }
        // A replica of a multi-Region key keeps the primary's id (mrk-…) in every region.
        const id = `mrk-${hash("key", keyId).slice(0, 32)}`;
        return { id, keyId: id, arn: `arn:aws:kms:${region}:${this.accountId}:key/${id}`, multiRegion: true };
      }
      case "aws:secretsmanager/getSecretVersion:getSecretVersion": {
        const secretId = String(inputs.secretId);
        return {
          arn: secretId,
          id: secretId,
          secretId,
          versionId: "mock-version",
          secretString: operatorSecret(secretId),
        };
      }
      case "aws:elb/getServiceAccount:getServiceAccount": {
        const account = regionFacts(region).elbLogAccount;
        return { id: account, arn: `arn:aws:iam::${account}:root` };
      }
      default:
        throw new Error(
          `offline mocks: no answer for the provider function ${token}; teach offline/mocks.ts what AWS returns`,
        );
    }
  }

  /** The attributes AWS computes on create that the program reads back, in the resource's region. */
  private computed(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    id: string,
    region: string,
    names: Record<string, string>,
  ): Record<string, unknown> {
    const [, modulePath = "", kind = ""] = type.split(":");
    const service = modulePath.split("/")[0] ?? "";
    const arnRegion = REGIONLESS_ARNS.includes(service) ? "" : region;
    const state: Record<string, unknown> = {
      arn: `arn:aws:${service}:${arnRegion}:${this.accountId}:${kind.toLowerCase()}/${id}`,
      tagsAll: inputs.tags,
    };
    const physicalName = names.name ?? (typeof inputs.name === "string" ? inputs.name : id);
    switch (type) {
      case "aws:kms/replicaKey:ReplicaKey":
        return { ...state, keyId: id, arn: `arn:aws:kms:${region}:${this.accountId}:key/mrk-${id}` };
      case "aws:kms/key:Key":
        return {
          ...state,
          keyId: id,
          arn: `arn:aws:kms:${region}:${this.accountId}:key/${inputs.multiRegion ? "mrk-" : ""}${id}`,
        };
      case "aws:ec2/eip:Eip": {
        const octet = parseInt(hash(type, name).slice(0, 2), 16);
        return { ...state, allocationId: id, publicIp: `203.0.113.${octet}` };
      }
      case "aws:cloudwatch/logGroup:LogGroup":
        return { ...state, arn: `arn:aws:logs:${region}:${this.accountId}:log-group:${physicalName}` };
      case "aws:lambda/function:Function":
        // https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html (FunctionArn)
        return {
          ...state,
          arn: `arn:aws:lambda:${region}:${this.accountId}:function:${physicalName}`,
          invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${region}:${this.accountId}:function:${physicalName}/invocations`,
        };
      case "aws:elasticache/user:User":
        // https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/IAM.resources.html (user ARNs)
        return { ...state, arn: `arn:aws:elasticache:${region}:${this.accountId}:user:${String(inputs.userId)}` };
      case "aws:elasticache/userGroup:UserGroup":
        return {
          ...state,
          arn: `arn:aws:elasticache:${region}:${this.accountId}:usergroup:${String(inputs.userGroupId)}`,
        };
      case "aws:rds/instance:Instance": {
        const address = `${names.identifier}.abcdefghijkl.${region}.rds.amazonaws.com`;
        const port = typeof inputs.port === "number" ? inputs.port : 5432;
        return {
          ...state,
          arn: `arn:aws:rds:${region}:${this.accountId}:db:${names.identifier}`,
          // DbiResourceId: "db-" and 26 upper-case letters and digits, new for every instance (a replacement too).
          resourceId: `db-${hash(type, name, id).slice(0, 26).toUpperCase()}`,
          address,
          port,
          endpoint: `${address}:${port}`,
        };
      }
      case "aws:elasticache/replicationGroup:ReplicationGroup": {
        const group = names.replicationGroupId;
        const endpoint = (role: string) =>
          `${role}.${group}.abcdef.${regionFacts(region).elastiCacheCode}.cache.amazonaws.com`;
        return {
          ...state,
          arn: `arn:aws:elasticache:${region}:${this.accountId}:replicationgroup:${group}`,
          primaryEndpointAddress: endpoint("master"),
          readerEndpointAddress: endpoint("replica"),
          port: typeof inputs.port === "number" ? inputs.port : 6379,
        };
      }
      case "random:index/randomPassword:RandomPassword": {
        const length = typeof inputs.length === "number" ? inputs.length : 16;
        return { result: hash("password", name).repeat(4).slice(0, length) };
      }
      case "random:index/randomBytes:RandomBytes": {
        const bytes = Buffer.from(hash("bytes", name).repeat(8), "hex").subarray(0, Number(inputs.length));
        return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
      }
      case "aws:acm/certificate:Certificate": {
        const domains = [inputs.domainName, ...((inputs.subjectAlternativeNames as unknown[] | undefined) ?? [])];
        return {
          ...state,
          arn: `arn:aws:acm:${region}:${this.accountId}:certificate/${id}`,
          domainValidationOptions: domains.map((domainName) => ({
            domainName,
            resourceRecordName: `_${hash("validation", String(domainName)).slice(0, 32)}.${String(domainName)}.`,
            resourceRecordType: "CNAME",
            resourceRecordValue: `_${hash("target", String(domainName)).slice(0, 32)}.acm-validations.aws.`,
          })),
        };
      }
      case "aws:acm/certificateValidation:CertificateValidation":
        return { ...state, certificateArn: inputs.certificateArn };
      case "aws:route53/zone:Zone": {
        const zoneId = `Z${hash(type, name).slice(0, 20).toUpperCase()}`;
        return {
          ...state,
          arn: `arn:aws:route53:::hostedzone/${zoneId}`,
          zoneId,
          nameServers: [
            "ns-101.awsdns-12.com",
            "ns-202.awsdns-25.net",
            "ns-303.awsdns-37.org",
            "ns-404.awsdns-50.co.uk",
          ],
        };
      }
      case "aws:route53/record:Record":
        return { ...state, fqdn: String(inputs.name).replace(/\.$/, "") };
      case "aws:lb/loadBalancer:LoadBalancer": {
        const suffix = `app/${physicalName}/${hash(type, name).slice(0, 16)}`;
        const scheme = inputs.internal ? "internal-" : "";
        return {
          ...state,
          arn: `arn:aws:elasticloadbalancing:${region}:${this.accountId}:loadbalancer/${suffix}`,
          arnSuffix: suffix,
          dnsName: `${scheme}${physicalName}-${parseInt(hash(type, name).slice(0, 8), 16)}.${region}.elb.amazonaws.com`,
          zoneId: regionFacts(region).elbZoneId,
        };
      }
      case "aws:lb/targetGroup:TargetGroup": {
        const suffix = `targetgroup/${physicalName}/${hash(type, name).slice(0, 16)}`;
        return {
          ...state,
          arn: `arn:aws:elasticloadbalancing:${region}:${this.accountId}:${suffix}`,
          arnSuffix: suffix,
        };
      }
      case "aws:lb/listener:Listener":
      case "aws:lb/listenerRule:ListenerRule":
        return {
          ...state,
          arn: `arn:aws:elasticloadbalancing:${region}:${this.accountId}:${kind === "Listener" ? "listener" : "listener-rule"}/app/${id}`,
        };
      case "aws:ecr/repository:Repository":
        return {
          ...state,
          arn: `arn:aws:ecr:${region}:${this.accountId}:repository/${physicalName}`,
          repositoryUrl: `${this.accountId}.dkr.ecr.${region}.amazonaws.com/${physicalName}`,
          registryId: this.accountId,
        };
      case "aws:s3/bucket:Bucket": {
        const bucket = names.bucket as string;
        return {
          ...state,
          bucket,
          arn: `arn:aws:s3:::${bucket}`,
          bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
          region,
        };
      }
      case "aws:cloudfront/distribution:Distribution":
        return {
          ...state,
          arn: `arn:aws:cloudfront::${this.accountId}:distribution/${id}`,
          domainName: `d${hash(type, name).slice(0, 13)}.cloudfront.net`,
          hostedZoneId: CLOUDFRONT_ZONE_ID,
          status: "Deployed",
        };
      case "aws:wafv2/webAcl:WebAcl": {
        // A CLOUDFRONT-scope ACL lives in us-east-1 and says "global"; a REGIONAL one says "regional".
        const scope = inputs.scope === "CLOUDFRONT" ? "global" : "regional";
        return {
          ...state,
          arn: `arn:aws:wafv2:${region}:${this.accountId}:${scope}/webacl/${physicalName}/${hash(type, name).slice(0, 36)}`,
        };
      }
      case "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination":
      case "aws:cloudwatch/logDeliverySource:LogDeliverySource":
        return {
          ...state,
          arn: `arn:aws:logs:${region}:${this.accountId}:${kind === "LogDeliverySource" ? "delivery-source" : "delivery-destination"}:${physicalName}`,
        };
      case "aws:appconfig/environment:Environment":
        return { ...state, environmentId: hash(type, name).slice(0, 7) };
      case "aws:appconfig/configurationProfile:ConfigurationProfile":
        return { ...state, configurationProfileId: hash(type, name).slice(0, 7) };
      case "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion":
        return { ...state, versionNumber: 1 };
      case "aws:ecs/cluster:Cluster":
        return { ...state, arn: `arn:aws:ecs:${region}:${this.accountId}:cluster/${physicalName}` };
      case "aws:ecs/taskDefinition:TaskDefinition":
        return {
          ...state,
          arn: `arn:aws:ecs:${region}:${this.accountId}:task-definition/${String(inputs.family)}:1`,
          revision: 1,
        };
      case "aws:ecs/service:Service":
        return { ...state, arn: `arn:aws:ecs:${region}:${this.accountId}:service/${physicalName}` };
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        return { ...state, arn: `arn:aws:cloudwatch:${region}:${this.accountId}:alarm:${physicalName}` };
      case "aws:sns/topic:Topic":
        return { ...state, arn: `arn:aws:sns:${region}:${this.accountId}:${physicalName}` };
      case "aws:secretsmanager/secret:Secret":
        return {
          ...state,
          arn: `arn:aws:secretsmanager:${region}:${this.accountId}:secret:${physicalName}-${hash(type, name).slice(0, 6)}`,
        };
      case "aws:backup/vault:Vault":
        return { ...state, arn: `arn:aws:backup:${region}:${this.accountId}:backup-vault:${physicalName}` };
      case "aws:budgets/budget:Budget":
        return { ...state, arn: `arn:aws:budgets::${this.accountId}:budget/${physicalName}` };
      case "aws:iam/policy:Policy":
        return { ...state, arn: `arn:aws:iam::${this.accountId}:policy/${physicalName}`, policyId: `ANPA${id}` };
      case "aws:iam/role:Role":
        return {
          ...state,
          arn: `arn:aws:iam::${this.accountId}:role/${physicalName}`,
          uniqueId: `AROA${id}`,
        };
      default:
        return state;
    }
  }
}

/**
 * A mock monitor that keeps, for every registration, what `MockResourceArgs` leaves out:
 * parent, dependencies, property dependencies, provider and protection.
 */
export class RecordingMonitor extends MockMonitor {
  readonly declared: DeclaredResource[] = [];

  constructor(private readonly awsMocks: AwsMocks) {
    super(awsMocks);
  }

  override async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((value, key) => {
      propertyDependencies[key] = value.getUrnsList();
    });
    const inputs = revealSecrets(deserialize(req.getObject())) as Record<string, unknown>;
    return super.registerResource(req, (err: unknown, response: RegisterResponse | undefined) => {
      if (!err && response) {
        this.declared.push({
          urn: response.getUrn(),
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          parent: req.getParent() || undefined,
          dependencies: req.getDependenciesList(),
          propertyDependencies,
          provider: req.getProvider() || undefined,
          region: this.awsMocks.regionOf(req.getProvider() || undefined, inputs),
          protect: req.getProtect(),
          customTimeouts: timeoutsOf(req),
          ignoreChanges: req.getIgnorechangesList(),
          inputs,
          id: response.getId() || undefined,
          outputs: revealSecrets(deserialize(response.getObject())) as Record<string, unknown>,
        });
      }
      callback(err, response);
    });
  }
}

function deserialize(struct: unknown): Record<string, unknown> {
  return deserializeProperties(struct as Parameters<typeof deserializeProperties>[0]);
}

function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[specialSigKey] === specialSecretSig) return new SecretValue(revealSecrets(record.value));
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, revealSecrets(inner)]));
}

function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

function mockId(type: string, name: string): string {
  return `${name}-${hash(type, name).slice(0, 12)}`;
}

export function regionFacts(region: string): (typeof REGIONS)[string] {
  const facts = REGIONS[region];
  if (!facts) throw new Error(`offline mocks: no facts for region ${region}; add it to REGIONS in offline/mocks.ts`);
  return facts;
}

/**
 * The physical names of a registration, explicit or generated as the provider would, and what breaks
 * {@link AWS_NAME_RULES}: each problem names the resource, the name, the rule and its source.
 */
function physicalNames(
  type: string,
  logicalName: string,
  inputs: Record<string, unknown>,
): { names: Record<string, string>; problems: string[] } {
  const names: Record<string, string> = {};
  const problems: string[] = [];
  for (const rule of AWS_NAME_RULES[type] ?? []) {
    const given = inputs[rule.property];
    const random = hash(type, logicalName);
    if (typeof given === "string") {
      names[rule.property] = given;
    } else if (given === undefined && rule.autoName) {
      try {
        names[rule.property] = generatedName(rule, logicalName, random);
      } catch (error) {
        problems.push(`${type} "${logicalName}": ${(error as Error).message} (${rule.what}; ${rule.autoName.source})`);
        names[rule.property] = `${logicalName}${rule.autoName.separator}${random.slice(0, AUTONAME_RANDOM_LENGTH)}`;
        continue;
      }
    } else {
      continue;
    }
    const broken = nameProblems(rule, names[rule.property] as string);
    if (broken.length > 0) {
      const origin = typeof given === "string" ? "" : " (generated from the logical name)";
      problems.push(
        `${type} "${logicalName}": ${rule.what} "${names[rule.property]}"${origin} ${broken.join("; ")} (${rule.source})`,
      );
    }
  }
  return { names, problems };
}

/**
 * The secrets that exist in the account before a stack reads them, as the mock account holds them: a PagerDuty
 * integration URL an operator stores (docs/delivery.md), and the replicas a primary keeps in its standby's region
 * (its origin-verification and master secrets, read by name; test/disaster-recovery.test.ts checks that the primary
 * replicates exactly these). Any other secret does not exist, as a real lookup would fail.
 */
function operatorSecret(secretId: string): string {
  if (/pagerduty/i.test(secretId)) {
    return `https://events.pagerduty.com/integration/${hash("pagerduty", secretId).slice(0, 32)}/enqueue`;
  }
  if (/-origin-verify$/.test(secretId)) {
    return JSON.stringify({ header: "X-Origin-Verify", value: hash("origin-verify", secretId).slice(0, 48) });
  }
  if (/-postgres-master$/.test(secretId)) {
    return JSON.stringify({ username: "replicated-master", password: hash("master", secretId).slice(0, 40) });
  }
  throw new Error(`offline mocks: the mock account has no secret "${secretId}" (offline/mocks.ts operatorSecret)`);
}

function timeoutsOf(req: RegisterRequest): DeclaredResource["customTimeouts"] {
  const timeouts = req.getCustomtimeouts();
  if (!timeouts) return {};
  const set = Object.entries({
    create: timeouts.getCreate(),
    update: timeouts.getUpdate(),
    delete: timeouts.getDelete(),
  });
  return Object.fromEntries(set.filter(([, value]) => value !== ""));
}

/** A provider's `allowedAccountIds` input (a list, or its JSON text as config gives it); undefined when unset. */
export function allowedAccounts(value: unknown): string[] | undefined {
  const list: unknown = typeof value === "string" ? JSON.parse(value) : value;
  return Array.isArray(list) ? list.map(String) : undefined;
}
