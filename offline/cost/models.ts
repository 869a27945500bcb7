/**
 * How each resource type the program declares is charged: the line items a resource adds to the monthly bill, from
 * its recorded inputs (a fixed charge) or from a stated usage assumption (`cloudweave:cost.usage`), each naming the
 * price it is multiplied by (offline/cost/price-list.ts). A type AWS does not charge for is listed with why, and a
 * type charged by use that no assumption covers is listed as such: nothing is counted as $0 in silence.
 */
import type { StackRun } from "../harness";
import type { DeclaredResource } from "../mocks";
import { cacheNodePrice, rdsInstancePrice, rdsStoragePrice } from "./price-list";

/**
 * Hours in a month, as AWS's pricing pages and the AWS Pricing Calculator count them
 * (https://docs.aws.amazon.com/pricing-calculator/latest/userguide/advanced-estimate.html: 730 hours per month).
 */
export const HOURS_PER_MONTH = 730;
/** Days in a month at 730 hours. */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** The usage a stack states (`cloudweave:cost.usage`), per month. */
export interface UsageAssumptions {
  readonly cdnDataTransferOutGb: number;
  readonly cdnRequestsMillions: number;
  readonly loadBalancerCapacityUnits: number;
  readonly natDataProcessedGb: number;
  readonly logIngestionGb: number;
  readonly backupStorageGb: number;
}

/** One line of a resource's monthly bill. */
export interface CostItem {
  /** What is charged, in words. */
  readonly what: string;
  /** How many of the price's unit a month (at the desired task counts). */
  readonly quantity: number;
  /** The quantity with every service at its maximum task count, when it differs. */
  readonly quantityAtMax?: number;
  /** The price key (offline/cost/price-list.ts). */
  readonly price: string;
  /** Read from what the program declares, or from a usage assumption (which one). */
  readonly basis: "declared" | { readonly assumption: keyof UsageAssumptions };
}

/** What a model may look at besides the resource: the whole run, and the stack's usage assumptions. */
export interface ModelContext {
  readonly run: StackRun;
  readonly usage: UsageAssumptions;
  /** How many resources of `type` the stack declares: an assumption for all of them is split evenly. */
  count(type: string): number;
}

type Model = (resource: DeclaredResource, ctx: ModelContext) => CostItem[];

const declared = "declared" as const;
const assumed = (assumption: keyof UsageAssumptions) => ({ assumption }) as const;
const num = (value: unknown, fallback = 0) => (typeof value === "number" ? value : fallback);

/** An assumption for every resource of the type, split evenly among them. */
function share(ctx: ModelContext, resource: DeclaredResource, assumption: keyof UsageAssumptions): number {
  return ctx.usage[assumption] / Math.max(1, ctx.count(resource.type));
}

/** The Fargate charge of an ECS service: its task size times its desired (and maximum) task count, all month. */
const fargateService: Model = (service, { run }) => {
  const taskDefinition = run.resources.find(
    (resource) =>
      resource.type === "aws:ecs/taskDefinition:TaskDefinition" &&
      resource.outputs.arn === service.inputs.taskDefinition,
  );
  if (!taskDefinition) return [];
  const vcpu = Number(taskDefinition.inputs.cpu) / 1024;
  const gb = Number(taskDefinition.inputs.memory) / 1024;
  const platform = (taskDefinition.inputs.runtimePlatform ?? {}) as { cpuArchitecture?: string };
  const arch = platform.cpuArchitecture === "ARM64" ? "arm" : "x86";
  const desired = num(service.inputs.desiredCount);
  // The scaling target names the service as service/<cluster>/<service name>.
  const target = run.resources.find(
    (resource) =>
      resource.type === "aws:appautoscaling/target:Target" &&
      String(resource.inputs.resourceId).endsWith(`/${String(service.outputs.name)}`),
  );
  const max = Math.max(desired, num(target?.inputs.maxCapacity, desired));
  const tasks = `${desired} task${desired === 1 ? "" : "s"} (max ${max})`;
  return [
    {
      what: `Fargate ${vcpu} vCPU × ${tasks}`,
      quantity: vcpu * desired * HOURS_PER_MONTH,
      quantityAtMax: vcpu * max * HOURS_PER_MONTH,
      price: `fargate-${arch}-vcpu-hour`,
      basis: declared,
    },
    {
      what: `Fargate ${gb} GB × ${tasks}`,
      quantity: gb * desired * HOURS_PER_MONTH,
      quantityAtMax: gb * max * HOURS_PER_MONTH,
      price: `fargate-${arch}-gb-hour`,
      basis: declared,
    },
  ];
};

/** Every metric an alarm watches is charged; a metric-math alarm pays for each metric in its expression. */
const metricAlarm: Model = (alarm) => {
  const queries = (alarm.inputs.metricQueries ?? []) as { metric?: unknown }[];
  const metrics = queries.length > 0 ? queries.filter((query) => query.metric !== undefined).length : 1;
  // A period under 60 s makes it a high-resolution alarm (https://aws.amazon.com/cloudwatch/pricing/, Alarms).
  const highResolution = num(alarm.inputs.period, 60) < 60;
  return [
    {
      what: `alarm on ${metrics} metric${metrics === 1 ? "" : "s"}`,
      quantity: metrics,
      price: highResolution ? "alarm-high-resolution-metric-month" : "alarm-metric-month",
      basis: declared,
    },
  ];
};

/** Per type: the resource's line items. */
export const COST_MODELS: Readonly<Record<string, Model>> = {
  "aws:ec2/natGateway:NatGateway": (nat, ctx) => [
    { what: "NAT gateway", quantity: HOURS_PER_MONTH, price: "nat-gateway-hour", basis: declared },
    {
      what: "data processed",
      quantity: share(ctx, nat, "natDataProcessedGb"),
      price: "nat-gateway-gb",
      basis: assumed("natDataProcessedGb"),
    },
  ],
  // Every public IPv4 address in use is charged, an Elastic IP on a NAT gateway included
  // (https://aws.amazon.com/vpc/pricing/, Public IPv4 Addresses).
  "aws:ec2/eip:Eip": () => [
    { what: "public IPv4 address", quantity: HOURS_PER_MONTH, price: "public-ipv4-hour", basis: declared },
  ],
  "aws:ec2/vpcEndpoint:VpcEndpoint": (endpoint) =>
    endpoint.inputs.vpcEndpointType === "Interface"
      ? [
          {
            what: "interface endpoint, per subnet",
            quantity: ((endpoint.inputs.subnetIds ?? []) as unknown[]).length * HOURS_PER_MONTH,
            price: "vpc-interface-endpoint-hour",
            basis: declared,
          },
        ]
      : [],
  "aws:lb/loadBalancer:LoadBalancer": (loadBalancer, ctx) => [
    { what: "load balancer", quantity: HOURS_PER_MONTH, price: "alb-hour", basis: declared },
    {
      what: "capacity units",
      quantity: ctx.usage.loadBalancerCapacityUnits * HOURS_PER_MONTH,
      price: "alb-lcu-hour",
      basis: assumed("loadBalancerCapacityUnits"),
    },
    // An internet-facing load balancer holds a public IPv4 address in each of its subnets (at least; it may scale
    // out to more), each charged like any other (https://aws.amazon.com/vpc/pricing/, Public IPv4 Addresses).
    ...(loadBalancer.inputs.internal
      ? []
      : [
          {
            what: "public IPv4 addresses, one per subnet",
            quantity: ((loadBalancer.inputs.subnets ?? []) as unknown[]).length * HOURS_PER_MONTH,
            price: "public-ipv4-hour",
            basis: declared,
          },
        ]),
  ],
  "aws:ecs/service:Service": fargateService,
  "aws:rds/instance:Instance": (instance) => {
    const multiAz = instance.inputs.multiAz === true;
    const engine = (instance.inputs.engine as string | undefined) ?? "postgres";
    const storageType = (instance.inputs.storageType as string | undefined) ?? "gp3";
    return [
      {
        what: `${String(instance.inputs.instanceClass)} ${multiAz ? "Multi-AZ" : "Single-AZ"}`,
        quantity: HOURS_PER_MONTH,
        price: rdsInstancePrice(engine, String(instance.inputs.instanceClass), multiAz),
        basis: declared,
      },
      {
        what: `${num(instance.inputs.allocatedStorage)} GB ${storageType}`,
        quantity: num(instance.inputs.allocatedStorage),
        price: rdsStoragePrice(storageType, multiAz),
        basis: declared,
      },
    ];
  },
  "aws:elasticache/replicationGroup:ReplicationGroup": (group) => {
    const nodes =
      group.inputs.numCacheClusters !== undefined
        ? num(group.inputs.numCacheClusters)
        : num(group.inputs.numNodeGroups, 1) * (num(group.inputs.replicasPerNodeGroup) + 1);
    return [
      {
        what: `${nodes} × ${String(group.inputs.nodeType)}`,
        quantity: nodes * HOURS_PER_MONTH,
        price: cacheNodePrice((group.inputs.engine as string | undefined) ?? "redis", String(group.inputs.nodeType)),
        basis: declared,
      },
    ];
  },
  "aws:kms/key:Key": () => [{ what: "key", quantity: 1, price: "kms-key-month", basis: declared }],
  "aws:kms/replicaKey:ReplicaKey": () => [
    { what: "replica key", quantity: 1, price: "kms-key-month", basis: declared },
  ],
  "aws:secretsmanager/secret:Secret": (secret) => {
    const replicas = ((secret.inputs.replicas ?? []) as unknown[]).length;
    return [
      {
        what: replicas > 0 ? `secret and ${replicas} replica${replicas === 1 ? "" : "s"}` : "secret",
        quantity: 1 + replicas,
        price: "secret-month",
        basis: declared,
      },
    ];
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": metricAlarm,
  "aws:cloudwatch/dashboard:Dashboard": () => [
    { what: "dashboard", quantity: 1, price: "dashboard-month", basis: declared },
  ],
  // A metric filter publishes a custom metric (https://aws.amazon.com/cloudwatch/pricing/, Metrics).
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": () => [
    { what: "custom metric", quantity: 1, price: "custom-metric-month", basis: declared },
  ],
  "aws:cloudwatch/logGroup:LogGroup": (group, ctx) => {
    const ingested = share(ctx, group, "logIngestionGb");
    // Kept for its retention: at steady state a group holds retention × monthly ingestion (at most a year's, the
    // estimate's horizon). CloudWatch charges stored data compressed; the estimate does not assume a ratio.
    const months = Math.min(12, num(group.inputs.retentionInDays, 365) / 30);
    return [
      { what: "ingestion", quantity: ingested, price: "logs-ingestion-gb", basis: assumed("logIngestionGb") },
      {
        what: `storage (${num(group.inputs.retentionInDays)} days kept)`,
        quantity: ingested * months,
        price: "logs-storage-gb-month",
        basis: assumed("logIngestionGb"),
      },
    ];
  },
  "aws:backup/vault:Vault": (vault, ctx) => [
    {
      what: "backup storage",
      quantity: share(ctx, vault, "backupStorageGb"),
      price: "backup-storage-gb-month",
      basis: assumed("backupStorageGb"),
    },
  ],
  "aws:wafv2/webAcl:WebAcl": (acl, ctx) => {
    const rules = ((acl.inputs.rules ?? []) as unknown[]).length;
    return [
      { what: "web ACL", quantity: 1, price: "waf-web-acl-month", basis: declared },
      { what: `${rules} rules`, quantity: rules, price: "waf-rule-month", basis: declared },
      {
        what: "requests inspected",
        quantity: ctx.usage.cdnRequestsMillions * 1e6,
        price: "waf-request",
        basis: assumed("cdnRequestsMillions"),
      },
    ];
  },
  "aws:cloudfront/distribution:Distribution": (_distribution, ctx) => [
    {
      what: "data transfer out",
      quantity: ctx.usage.cdnDataTransferOutGb,
      price: "cloudfront-data-out-gb",
      basis: assumed("cdnDataTransferOutGb"),
    },
    {
      what: "HTTPS requests",
      quantity: ctx.usage.cdnRequestsMillions * 1e6,
      price: "cloudfront-https-request",
      basis: assumed("cdnRequestsMillions"),
    },
  ],
  "aws:route53/zone:Zone": () => [{ what: "hosted zone", quantity: 1, price: "route53-zone-month", basis: declared }],
  "aws:route53/healthCheck:HealthCheck": (check) => [
    {
      what: `${String(check.inputs.type)} health check`,
      quantity: 1,
      price: "route53-health-check-month",
      basis: declared,
    },
  ],
  "aws:budgets/budget:Budget": () => [
    { what: "budget", quantity: DAYS_PER_MONTH, price: "budget-day", basis: declared },
  ],
};

/** Which assumption each usage-priced type carries: the stack must declare one for the assumption to count. */
export const ASSUMPTION_CARRIERS: Readonly<Record<keyof UsageAssumptions, string>> = {
  cdnDataTransferOutGb: "aws:cloudfront/distribution:Distribution",
  cdnRequestsMillions: "aws:cloudfront/distribution:Distribution",
  loadBalancerCapacityUnits: "aws:lb/loadBalancer:LoadBalancer",
  natDataProcessedGb: "aws:ec2/natGateway:NatGateway",
  logIngestionGb: "aws:cloudwatch/logGroup:LogGroup",
  backupStorageGb: "aws:backup/vault:Vault",
};

/**
 * Types charged only by use that no assumption covers: the estimate leaves them out and says so, with what drives
 * their charge.
 */
export const USAGE_NOT_ESTIMATED: Readonly<Record<string, string>> = {
  "aws:lambda/function:Function": "requests and GB-seconds (rotations, release checks: a few runs a month)",
  "aws:s3/bucket:Bucket": "GB stored and requests (static assets, access logs)",
  "aws:ecr/repository:Repository": "GB of images stored (the lifecycle policy caps the count)",
  "aws:ecr/replicationConfiguration:ReplicationConfiguration": "GB of images copied across regions",
  "aws:ecs/cluster:Cluster": "Container Insights observations",
  "aws:xray/group:Group": "traces recorded and scanned (sampling keeps them few), Insights",
  "aws:sns/topic:Topic": "publishes and deliveries (alerts: well within the free tier)",
  "aws:route53/record:Record": "DNS queries (alias queries to CloudFront and load balancers are free)",
  "aws:appconfig/deployment:Deployment": "configuration requests by the backend",
  "aws:fis/experimentTemplate:ExperimentTemplate": "action-minutes of each experiment run",
  "aws:backup/restoreTestingSelection:RestoreTestingSelection": "the restored instance's hours during each test",
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication":
    "GB copied across regions (storage: cloudweave:cost.usage.backupStorageGb)",
  "aws:secretsmanager/secretRotation:SecretRotation": "the rotation function's runs and API calls",
};

/**
 * Types AWS does not charge for by themselves (configuration of something else, or free by the service's pricing
 * page), with the reason. Pulumi's own resources (providers, the stack) and the random provider's are not AWS's.
 */
export const FREE_TYPES: Readonly<Record<string, string>> = Object.fromEntries(
  (
    [
      [
        "configuration of the VPC (https://aws.amazon.com/vpc/pricing/)",
        [
          "aws:ec2/vpc:Vpc",
          "aws:ec2/subnet:Subnet",
          "aws:ec2/routeTable:RouteTable",
          "aws:ec2/route:Route",
          "aws:ec2/routeTableAssociation:RouteTableAssociation",
          "aws:ec2/internetGateway:InternetGateway",
          "aws:ec2/securityGroup:SecurityGroup",
          "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
          "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
          "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        ],
      ],
      ["the flow log's data is charged as log ingestion (its log group)", ["aws:ec2/flowLog:FlowLog"]],
      [
        "IAM is free (https://aws.amazon.com/iam/)",
        [
          "aws:iam/role:Role",
          "aws:iam/rolePolicy:RolePolicy",
          "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
          "aws:iam/policy:Policy",
        ],
      ],
      [
        "public certificates are free (https://aws.amazon.com/certificate-manager/pricing/)",
        ["aws:acm/certificate:Certificate", "aws:acm/certificateValidation:CertificateValidation"],
      ],
      [
        "configuration of a charged resource",
        [
          "aws:appautoscaling/policy:Policy",
          "aws:appautoscaling/target:Target",
          "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
          "aws:ecs/taskDefinition:TaskDefinition",
          "aws:lb/listener:Listener",
          "aws:lb/listenerRule:ListenerRule",
          "aws:lb/targetGroup:TargetGroup",
          "aws:elasticache/parameterGroup:ParameterGroup",
          "aws:elasticache/subnetGroup:SubnetGroup",
          "aws:elasticache/user:User",
          "aws:elasticache/userGroup:UserGroup",
          "aws:rds/parameterGroup:ParameterGroup",
          "aws:rds/subnetGroup:SubnetGroup",
          "aws:kms/alias:Alias",
          "aws:lambda/permission:Permission",
          "aws:lambda/invocation:Invocation",
          "aws:sns/topicPolicy:TopicPolicy",
          "aws:sns/topicSubscription:TopicSubscription",
          "aws:cloudfront/originAccessControl:OriginAccessControl",
          "aws:cloudfront/originRequestPolicy:OriginRequestPolicy",
          "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
          "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
          "aws:cloudwatch/logDelivery:LogDelivery",
          "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination",
          "aws:cloudwatch/logDeliverySource:LogDeliverySource",
          "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
          "aws:ecr/lifecyclePolicy:LifecyclePolicy",
          "aws:s3/bucketAbac:BucketAbac",
          "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
          "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
          "aws:s3/bucketPolicy:BucketPolicy",
          "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          "aws:s3/bucketVersioning:BucketVersioning",
          "aws:secretsmanager/secretVersion:SecretVersion",
          "aws:backup/plan:Plan",
          "aws:backup/selection:Selection",
          "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
          "aws:backup/vaultNotifications:VaultNotifications",
          "aws:backup/restoreTestingPlan:RestoreTestingPlan",
          "aws:xray/samplingRule:SamplingRule",
          "aws:appconfig/application:Application",
          "aws:appconfig/environment:Environment",
          "aws:appconfig/configurationProfile:ConfigurationProfile",
          "aws:appconfig/deploymentStrategy:DeploymentStrategy",
          "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion",
        ],
      ],
      [
        "events from AWS services are free (https://aws.amazon.com/eventbridge/pricing/)",
        ["aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget"],
      ],
      [
        "not an AWS resource",
        [
          "pulumi:pulumi:Stack",
          "pulumi:providers:aws",
          "pulumi:providers:random",
          "random:index/randomPassword:RandomPassword",
          "random:index/randomBytes:RandomBytes",
        ],
      ],
    ] as const
  ).flatMap(([reason, types]) => types.map((type): [string, string] => [type, reason])),
);
