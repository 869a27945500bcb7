/**
 * The one Pulumi mocks module of this project: a monitor that answers like AWS would (ids, ARNs, the computed
 * attributes the program reads) and records every resource the program declares, with its parent, dependencies,
 * provider and protection. The offline plan, the tests and the policy checks all read these records.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperties, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** The account every offline run pretends to deploy into. */
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
  readonly protect: boolean;
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
}

interface RegisterResponse {
  getUrn(): string;
  getId(): string;
  getObject(): unknown;
}

type Callback = (err: unknown, response: RegisterResponse | undefined) => void;

/** Answers resource registrations and provider function calls as AWS would, for one region. */
export class AwsMocks implements pulumi.runtime.Mocks {
  constructor(private readonly region: string) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const inputs = args.inputs as Record<string, unknown>;
    if (!args.custom) return { id: undefined, state: inputs };
    const id = args.id || mockId(args.type, args.name);
    return { id, state: { ...inputs, ...this.computed(args.type, args.name, inputs, id) } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          accountId: MOCK_ACCOUNT_ID,
          arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/offline`,
          userId: "AIDAOFFLINE",
          id: MOCK_ACCOUNT_ID,
        };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
      case "aws:index/getRegion:getRegion":
        return {
          name: this.region,
          region: this.region,
          endpoint: `ec2.${this.region}.amazonaws.com`,
          id: this.region,
        };
      case "aws:route53/getZone:getZone": {
        const zoneName = String((args.inputs as Record<string, unknown>).name).replace(/\.$/, "");
        return {
          zoneId: `Z${hash("zone", zoneName).slice(0, 20).toUpperCase()}`,
          id: `Z${hash("zone", zoneName).slice(0, 20).toUpperCase()}`,
          name: zoneName,
          privateZone: false,
          nameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.net"],
          arn: `arn:aws:route53:::hostedzone/Z${hash("zone", zoneName).slice(0, 20).toUpperCase()}`,
        };
      }
      case "aws:ec2/getManagedPrefixList:getManagedPrefixList":
        // The CloudFront origin-facing list of us-east-1 (each region has its own id).
        return {
          id: "pl-3b927c52",
          name: (args.inputs as Record<string, unknown>).name,
          addressFamily: "IPv4",
          maxEntries: 55,
          arn: `arn:aws:ec2:${this.region}:aws:prefix-list/pl-3b927c52`,
        };
      case "aws:secretsmanager/getSecretVersion:getSecretVersion": {
        // A replica of the origin-verification secret, as a recovery stack reads it.
        const secretId = String((args.inputs as Record<string, unknown>).secretId);
        return {
          arn: secretId,
          id: secretId,
          secretId,
          versionId: "mock-version",
          secretString: JSON.stringify({
            header: "X-Origin-Verify",
            value: hash("origin-verify", secretId).slice(0, 48),
          }),
        };
      }
      case "aws:elb/getServiceAccount:getServiceAccount":
        // The Elastic Load Balancing log-delivery account of us-east-1 (per-region accounts, AWS docs).
        return { id: "127311923021", arn: "arn:aws:iam::127311923021:root" };
      default:
        throw new Error(
          `offline mocks: no answer for the provider function ${args.token}; teach offline/mocks.ts what AWS returns`,
        );
    }
  }

  /** The attributes AWS computes on create that the program reads back. */
  private computed(type: string, name: string, inputs: Record<string, unknown>, id: string): Record<string, unknown> {
    const [, modulePath = "", kind = ""] = type.split(":");
    const service = modulePath.split("/")[0] ?? "";
    const global = ["iam", "route53", "cloudfront"].includes(service);
    const region = global ? "" : this.region;
    const state: Record<string, unknown> = {
      arn: `arn:aws:${service}:${region}:${MOCK_ACCOUNT_ID}:${kind.toLowerCase()}/${id}`,
      tagsAll: inputs.tags,
    };
    // Pulumi auto-names resources with a `name` property from the resource name plus a random suffix.
    const physicalName = typeof inputs.name === "string" ? inputs.name : `${name}-${hash(type, name).slice(0, 7)}`;
    if (inputs.name === undefined) state.name = physicalName;
    switch (type) {
      case "aws:kms/replicaKey:ReplicaKey":
        return { ...state, keyId: id, arn: `arn:aws:kms:${this.region}:${MOCK_ACCOUNT_ID}:key/mrk-${id}` };
      case "aws:kms/key:Key":
        return { ...state, keyId: id, arn: `arn:aws:kms:${this.region}:${MOCK_ACCOUNT_ID}:key/${id}` };
      case "aws:ec2/eip:Eip": {
        const octet = parseInt(hash(type, name).slice(0, 2), 16);
        return { ...state, allocationId: id, publicIp: `203.0.113.${octet}` };
      }
      case "aws:cloudwatch/logGroup:LogGroup":
        return { ...state, arn: `arn:aws:logs:${this.region}:${MOCK_ACCOUNT_ID}:log-group:${physicalName}` };
      case "aws:rds/instance:Instance": {
        const address = `${physicalIdentifier(inputs, name)}.abcdefghijkl.${this.region}.rds.amazonaws.com`;
        const port = typeof inputs.port === "number" ? inputs.port : 5432;
        return { ...state, address, port, endpoint: `${address}:${port}` };
      }
      case "aws:elasticache/replicationGroup:ReplicationGroup": {
        const group = typeof inputs.replicationGroupId === "string" ? inputs.replicationGroupId : name;
        return {
          ...state,
          primaryEndpointAddress: `master.${group}.abcdef.use1.cache.amazonaws.com`,
          readerEndpointAddress: `replica.${group}.abcdef.use1.cache.amazonaws.com`,
          port: typeof inputs.port === "number" ? inputs.port : 6379,
        };
      }
      case "random:index/randomPassword:RandomPassword": {
        const length = typeof inputs.length === "number" ? inputs.length : 16;
        return { ...state, result: hash("password", name).repeat(4).slice(0, length) };
      }
      case "random:index/randomBytes:RandomBytes": {
        const bytes = Buffer.from(hash("bytes", name).repeat(8), "hex").subarray(0, Number(inputs.length));
        return { ...state, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
      }
      case "aws:acm/certificate:Certificate": {
        const names = [inputs.domainName, ...((inputs.subjectAlternativeNames as unknown[] | undefined) ?? [])];
        return {
          ...state,
          arn: `arn:aws:acm:${this.region}:${MOCK_ACCOUNT_ID}:certificate/${id}`,
          domainValidationOptions: names.map((domainName) => ({
            domainName,
            resourceRecordName: `_${hash("validation", String(domainName)).slice(0, 32)}.${String(domainName)}.`,
            resourceRecordType: "CNAME",
            resourceRecordValue: `_${hash("target", String(domainName)).slice(0, 32)}.acm-validations.aws.`,
          })),
        };
      }
      case "aws:acm/certificateValidation:CertificateValidation":
        return { ...state, certificateArn: inputs.certificateArn };
      case "aws:route53/zone:Zone":
        return {
          ...state,
          zoneId: `Z${hash(type, name).slice(0, 20).toUpperCase()}`,
          nameServers: [
            "ns-101.awsdns-12.com",
            "ns-202.awsdns-25.net",
            "ns-303.awsdns-37.org",
            "ns-404.awsdns-50.co.uk",
          ],
        };
      case "aws:route53/record:Record":
        return { ...state, fqdn: String(inputs.name).replace(/\.$/, "") };
      case "aws:lb/loadBalancer:LoadBalancer": {
        const suffix = `app/${physicalName}/${hash(type, name).slice(0, 16)}`;
        const scheme = inputs.internal ? "internal-" : "";
        return {
          ...state,
          arn: `arn:aws:elasticloadbalancing:${this.region}:${MOCK_ACCOUNT_ID}:loadbalancer/${suffix}`,
          arnSuffix: suffix,
          dnsName: `${scheme}${physicalName}-${parseInt(hash(type, name).slice(0, 8), 16)}.${this.region}.elb.amazonaws.com`,
          zoneId: "Z35SXDOTRQ7X7K",
        };
      }
      case "aws:lb/targetGroup:TargetGroup": {
        const suffix = `targetgroup/${physicalName}/${hash(type, name).slice(0, 16)}`;
        return {
          ...state,
          arn: `arn:aws:elasticloadbalancing:${this.region}:${MOCK_ACCOUNT_ID}:${suffix}`,
          arnSuffix: suffix,
        };
      }
      case "aws:lb/listener:Listener":
      case "aws:lb/listenerRule:ListenerRule":
        return {
          ...state,
          arn: `arn:aws:elasticloadbalancing:${this.region}:${MOCK_ACCOUNT_ID}:${kind === "Listener" ? "listener" : "listener-rule"}/app/${id}`,
        };
      case "aws:ecr/repository:Repository":
        return {
          ...state,
          arn: `arn:aws:ecr:${this.region}:${MOCK_ACCOUNT_ID}:repository/${physicalName}`,
          repositoryUrl: `${MOCK_ACCOUNT_ID}.dkr.ecr.${this.region}.amazonaws.com/${physicalName}`,
          registryId: MOCK_ACCOUNT_ID,
        };
      case "aws:s3/bucket:Bucket": {
        const bucket = typeof inputs.bucket === "string" ? inputs.bucket : physicalName;
        return {
          ...state,
          bucket,
          arn: `arn:aws:s3:::${bucket}`,
          bucketRegionalDomainName: `${bucket}.s3.${this.region}.amazonaws.com`,
        };
      }
      case "aws:cloudfront/distribution:Distribution":
        return {
          ...state,
          domainName: `d${hash(type, name).slice(0, 13)}.cloudfront.net`,
          hostedZoneId: "Z2FDTNDATAQYW2",
          status: "Deployed",
        };
      case "aws:wafv2/webAcl:WebAcl":
        return {
          ...state,
          arn: `arn:aws:wafv2:us-east-1:${MOCK_ACCOUNT_ID}:global/webacl/${physicalName}/${hash(type, name).slice(0, 36)}`,
        };
      case "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination":
      case "aws:cloudwatch/logDeliverySource:LogDeliverySource":
        return {
          ...state,
          arn: `arn:aws:logs:us-east-1:${MOCK_ACCOUNT_ID}:${kind === "LogDeliverySource" ? "delivery-source" : "delivery-destination"}:${physicalName}`,
        };
      case "aws:appconfig/environment:Environment":
        return { ...state, environmentId: hash(type, name).slice(0, 7) };
      case "aws:appconfig/configurationProfile:ConfigurationProfile":
        return { ...state, configurationProfileId: hash(type, name).slice(0, 7) };
      case "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion":
        return { ...state, versionNumber: 1 };
      case "aws:ecs/cluster:Cluster":
        return { ...state, arn: `arn:aws:ecs:${this.region}:${MOCK_ACCOUNT_ID}:cluster/${physicalName}` };
      case "aws:ecs/taskDefinition:TaskDefinition":
        return {
          ...state,
          arn: `arn:aws:ecs:${this.region}:${MOCK_ACCOUNT_ID}:task-definition/${String(inputs.family)}:1`,
          revision: 1,
        };
      case "aws:ecs/service:Service":
        return { ...state, arn: `arn:aws:ecs:${this.region}:${MOCK_ACCOUNT_ID}:service/${physicalName}` };
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        return { ...state, arn: `arn:aws:cloudwatch:${this.region}:${MOCK_ACCOUNT_ID}:alarm:${physicalName}` };
      case "aws:iam/role:Role":
        return {
          ...state,
          arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${physicalName}`,
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

  constructor(mocks: pulumi.runtime.Mocks) {
    super(mocks);
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
          protect: req.getProtect(),
          inputs,
          id: response.getId() || undefined,
          outputs: revealSecrets(deserialize(response.getObject())) as Record<string, unknown>,
        });
      }
      callback(err, response);
    });
  }
}

function physicalIdentifier(inputs: Record<string, unknown>, name: string): string {
  return typeof inputs.identifier === "string" ? inputs.identifier : name;
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
