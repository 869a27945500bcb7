import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { encryptedLogGroup } from "../lib/log-group";
import { serviceTrustPolicy } from "../lib/service-trust";
import { applyTransform, type Transform } from "../lib/transform";

/**
 * The security-group tiers of the design, outermost first: the public load balancer, the frontend tasks, the internal
 * (API) load balancer in front of the backend, the backend tasks, and the data stores; beside them, the functions
 * that rotate the data stores' credentials.
 */
export type SecurityTier =
  "alb" | "frontend" | "apiAlb" | "backend" | "database" | "cache" | "rotation" | "releaseChecks";

/** Tier names as they appear in resource names and `Tier` tags. */
const TIER_SLUGS: Record<SecurityTier, string> = {
  alb: "alb",
  frontend: "frontend",
  apiAlb: "api-alb",
  backend: "backend",
  database: "database",
  cache: "cache",
  rotation: "rotation",
  releaseChecks: "release-checks",
};

/** How private subnets reach the internet. */
export type NatStrategy = "one-per-az" | "single";

/** Arguments of {@link Network}. */
export interface NetworkArgs {
  /** The account; used for the flow-log role's trust conditions. */
  account: AwsAccount;
  /** The VPC's IPv4 block, e.g. `10.0.0.0/16`. */
  cidrBlock: string;
  /** The availability zones to spread over, in order; each tier gets one subnet per zone. */
  availabilityZones: string[];
  /**
   * One CIDR per availability zone (same order) for each tier: `public` (load balancer, NAT gateways),
   * `private` (Fargate tasks, egress through NAT) and `database` (RDS and ElastiCache, no route out of the VPC).
   */
  subnetCidrs: { public: string[]; private: string[]; database: string[] };
  /**
   * `one-per-az`: a NAT gateway in each AZ, each private subnet routes through its own AZ's gateway.
   * `single`: one gateway in the first AZ that every private subnet shares (cheaper; an AZ outage cuts egress).
   */
  natGateways: NatStrategy;
  /** The ports each tier listens on; they define every security-group rule. */
  ports: { frontend: number; backend: number; database: number; cache: number };
  /**
   * Who may reach the public load balancer. A managed prefix list (CloudFront's origin-facing one) admits HTTPS from
   * those addresses only; without one, HTTP and HTTPS are open to the internet.
   * @default HTTP and HTTPS from 0.0.0.0/0
   */
  loadBalancerSources?: { prefixListId: pulumi.Input<string>; description: string };
  /**
   * With `loadBalancerSources`, also admit HTTPS to the public load balancer from this VPC's own NAT gateways: where
   * the release checks, in the private subnets, reach it from. An internet-facing load balancer's name resolves to
   * public addresses only, so traffic to it from inside the VPC leaves through NAT and arrives from the gateways'
   * Elastic IPs, which a security-group reference cannot match ("The DNS name of an Internet-facing load balancer is
   * publicly resolvable to the public IP addresses of the nodes": CreateLoadBalancer's Scheme,
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html).
   * @default false
   */
  loadBalancerFromNat?: boolean;
  /** VPC flow logs, always on: where they go and for how long. */
  flowLogs: {
    /** ARN of the customer-managed KMS key that encrypts the log group (its policy must admit CloudWatch Logs). */
    kmsKeyArn: pulumi.Input<string>;
    /** Days to keep flow logs; a value CloudWatch Logs accepts. */
    retentionInDays: number;
    /** Which traffic to record. */
    trafficType: "ALL" | "ACCEPT" | "REJECT";
  };
  /**
   * Protects the VPC and the flow-log group from deletion by Pulumi (production).
   * @default false
   */
  protect?: boolean;
  /** Edits to the arguments of the main children (see {@link Transform}). @default none */
  transform?: {
    /** The VPC. */
    vpc?: Transform<aws.ec2.VpcArgs>;
  };
}

interface SecurityRule {
  /** The group the rule belongs to. */
  tier: SecurityTier;
  direction: "ingress" | "egress";
  port: number;
  /** The other side: another tier's group, an IPv4 block, or a managed prefix list. */
  peer:
    SecurityTier | { cidr: pulumi.Input<string>; name?: string } | { prefixListId: pulumi.Input<string>; name: string };
  description: string;
}

const ANYWHERE = { cidr: "0.0.0.0/0" };

const HTTPS = 443;

/**
 * The design's tiered chain: internet -> public ALB -> frontend (nginx) -> internal API ALB -> backend -> data
 * stores, nothing else. The backend is reachable only through the frontend's path.
 */
function securityRules(
  ports: NetworkArgs["ports"],
  sources: NetworkArgs["loadBalancerSources"],
  natAddresses: { zone: string; cidr: pulumi.Input<string> }[],
): SecurityRule[] {
  const viewers: SecurityRule[] = sources
    ? [
        {
          tier: "alb",
          direction: "ingress",
          port: HTTPS,
          peer: { prefixListId: sources.prefixListId, name: "prefix-list" },
          description: sources.description,
        },
        ...natAddresses.map(({ zone, cidr }): SecurityRule => ({
          tier: "alb",
          direction: "ingress",
          port: HTTPS,
          peer: { cidr, name: `nat-${zone}` },
          description: `HTTPS from the VPC's NAT gateway in ${zone}: the release checks (the rules still require the origin header)`,
        })),
      ]
    : [
        { tier: "alb", direction: "ingress", port: HTTPS, peer: ANYWHERE, description: "HTTPS from viewers" },
        {
          tier: "alb",
          direction: "ingress",
          port: 80,
          peer: ANYWHERE,
          description: "HTTP from viewers, redirected to HTTPS",
        },
      ];
  return [
    ...viewers,
    {
      tier: "alb",
      direction: "egress",
      port: ports.frontend,
      peer: "frontend",
      description: "Requests and health checks to frontend tasks",
    },
    {
      tier: "frontend",
      direction: "ingress",
      port: ports.frontend,
      peer: "alb",
      description: "HTTP from the public load balancer",
    },
    {
      tier: "frontend",
      direction: "egress",
      port: HTTPS,
      peer: "apiAlb",
      description: "API calls (nginx proxy) to the internal API load balancer",
    },
    {
      tier: "frontend",
      direction: "egress",
      port: HTTPS,
      peer: ANYWHERE,
      description: "HTTPS to AWS APIs (ECR, CloudWatch Logs, X-Ray) through NAT",
    },
    {
      tier: "apiAlb",
      direction: "ingress",
      port: HTTPS,
      peer: "frontend",
      description: "HTTPS API calls from frontend tasks only",
    },
    {
      tier: "apiAlb",
      direction: "egress",
      port: ports.backend,
      peer: "backend",
      description: "API requests and health checks to backend tasks",
    },
    {
      tier: "backend",
      direction: "ingress",
      port: ports.backend,
      peer: "apiAlb",
      description: "API requests and health checks from the internal API load balancer only",
    },
    { tier: "backend", direction: "egress", port: ports.database, peer: "database", description: "PostgreSQL to RDS" },
    { tier: "backend", direction: "egress", port: ports.cache, peer: "cache", description: "Redis to ElastiCache" },
    {
      tier: "backend",
      direction: "egress",
      port: HTTPS,
      peer: ANYWHERE,
      description: "HTTPS to AWS APIs (ECR, Secrets Manager, KMS, X-Ray) through NAT",
    },
    {
      tier: "database",
      direction: "ingress",
      port: ports.database,
      peer: "backend",
      description: "PostgreSQL from backend tasks only",
    },
    {
      tier: "cache",
      direction: "ingress",
      port: ports.cache,
      peer: "backend",
      description: "Redis from backend tasks only",
    },
    // The rotation functions log in to set and test the credentials they rotate, and call Secrets Manager and
    // ElastiCache's API through NAT (ADR 23).
    {
      tier: "database",
      direction: "ingress",
      port: ports.database,
      peer: "rotation",
      description: "PostgreSQL from the credential-rotation functions",
    },
    {
      tier: "cache",
      direction: "ingress",
      port: ports.cache,
      peer: "rotation",
      description: "Redis from the credential-rotation functions",
    },
    {
      tier: "rotation",
      direction: "egress",
      port: ports.database,
      peer: "database",
      description: "PostgreSQL to RDS, to set and test passwords",
    },
    {
      tier: "rotation",
      direction: "egress",
      port: ports.cache,
      peer: "cache",
      description: "Redis to ElastiCache, to test passwords",
    },
    {
      tier: "rotation",
      direction: "egress",
      port: HTTPS,
      peer: ANYWHERE,
      description: "HTTPS to AWS APIs (Secrets Manager, ElastiCache) through NAT",
    },
    // The release checks (ECS deployment hooks) test new tasks through the load balancers' test rules: the internal
    // API load balancer directly, the public one (and Secrets Manager) through NAT.
    {
      tier: "apiAlb",
      direction: "ingress",
      port: HTTPS,
      peer: "releaseChecks",
      description: "HTTPS from the release checks, to the API's test and production rules",
    },
    {
      tier: "releaseChecks",
      direction: "egress",
      port: HTTPS,
      peer: "apiAlb",
      description: "HTTPS to the internal API load balancer",
    },
    {
      tier: "releaseChecks",
      direction: "egress",
      port: HTTPS,
      peer: ANYWHERE,
      description: "HTTPS to the public load balancer and AWS APIs (Secrets Manager) through NAT",
    },
  ];
}

const TIER_DESCRIPTIONS: Record<SecurityTier, string> = {
  alb: "Public load balancer: HTTPS in from its allowed sources, out to the frontend tasks only",
  frontend: "Frontend tasks: from the public load balancer only",
  apiAlb: "Internal API load balancer: HTTPS from frontend tasks only, out to the backend tasks only",
  backend: "Backend tasks: from the internal API load balancer only",
  database: "RDS PostgreSQL: from backend tasks and the rotation functions only",
  cache: "ElastiCache Redis: from backend tasks and the rotation functions only",
  rotation: "Credential-rotation functions: no ingress; out to the data stores and AWS APIs only",
  releaseChecks: "Release-check functions: no ingress; out to the load balancers and AWS APIs over HTTPS only",
};

/**
 * The VPC of one environment: three subnet tiers over several AZs, internet and NAT gateways, per-tier routing,
 * subnet groups for RDS and ElastiCache, flow logs, a locked-down default security group, and the tiered security
 * groups every other component attaches to.
 */
export class Network extends pulumi.ComponentResource {
  /** The VPC id. */
  public readonly vpcId: pulumi.Output<string>;
  /** The VPC's IPv4 block. */
  public readonly cidrBlock: pulumi.Output<string>;
  /** Public subnet ids, one per AZ in the order of `availabilityZones`. */
  public readonly publicSubnetIds: pulumi.Output<string>[];
  /** Private (application) subnet ids, one per AZ. */
  public readonly privateSubnetIds: pulumi.Output<string>[];
  /** Database subnet ids, one per AZ. */
  public readonly databaseSubnetIds: pulumi.Output<string>[];
  /** Name of the RDS subnet group over the database subnets. */
  public readonly databaseSubnetGroupName: pulumi.Output<string>;
  /** Name of the ElastiCache subnet group over the database subnets. */
  public readonly cacheSubnetGroupName: pulumi.Output<string>;
  /** Elastic IPs of the NAT gateways: the addresses the services' outbound traffic comes from. */
  public readonly natPublicIps: pulumi.Output<string>[];
  /** The security group of each tier. */
  public readonly securityGroupIds: Record<SecurityTier, pulumi.Output<string>>;
  /** The CloudWatch log group that receives the VPC flow logs. */
  public readonly flowLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:network:Network", name, {}, opts);
    const child = { parent: this };
    const zones = args.availabilityZones;

    const vpc = new aws.ec2.Vpc(
      ...applyTransform(
        `${name}-vpc`,
        { cidrBlock: args.cidrBlock, enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: name } },
        { ...child, protect: args.protect },
        args.transform?.vpc,
      ),
    );

    // Owning the default security group with no rules strips the ones AWS creates (CKV2_AWS_12, EC2.2):
    // anything launched without an explicit group gets no network access at all.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: vpc.id, ingress: [], egress: [], tags: { Name: `${name}-default-unused` } },
      child,
    );

    const internetGateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: name } }, child);

    const subnets = (tier: keyof NetworkArgs["subnetCidrs"]) =>
      zones.map(
        (zone, index) =>
          new aws.ec2.Subnet(
            `${name}-${tier}-${zone}`,
            {
              vpcId: vpc.id,
              cidrBlock: args.subnetCidrs[tier][index] as string,
              availabilityZone: zone,
              mapPublicIpOnLaunch: false,
              tags: { Name: `${name}-${tier}-${zone}`, Tier: tier },
            },
            child,
          ),
      );
    const publicSubnets = subnets("public");
    const privateSubnets = subnets("private");
    const databaseSubnets = subnets("database");

    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, tags: { Name: `${name}-public` } },
      child,
    );
    new aws.ec2.Route(
      `${name}-public-internet`,
      { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id },
      child,
    );
    associate(`${name}-public`, publicRoutes, publicSubnets, zones, this);

    const natZones = args.natGateways === "one-per-az" ? zones : zones.slice(0, 1);
    const natGateways = natZones.map((zone, index) => {
      const address = new aws.ec2.Eip(
        `${name}-nat-${zone}`,
        { domain: "vpc", tags: { Name: `${name}-nat-${zone}` } },
        child,
      );
      const gateway = new aws.ec2.NatGateway(
        `${name}-nat-${zone}`,
        {
          allocationId: address.id,
          subnetId: (publicSubnets[index] as aws.ec2.Subnet).id,
          tags: { Name: `${name}-nat-${zone}` },
        },
        { ...child, dependsOn: [internetGateway] },
      );
      return { address, gateway };
    });

    const privateRouteTables = zones.map((zone, index) => {
      const table = new aws.ec2.RouteTable(
        `${name}-private-${zone}`,
        { vpcId: vpc.id, tags: { Name: `${name}-private-${zone}` } },
        child,
      );
      const nat = (natGateways[index] ?? natGateways[0]) as (typeof natGateways)[number];
      new aws.ec2.Route(
        `${name}-private-${zone}-internet`,
        { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.gateway.id },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${zone}`,
        { routeTableId: table.id, subnetId: (privateSubnets[index] as aws.ec2.Subnet).id },
        child,
      );
      return table;
    });

    // The data tier gets a table of its own with only the implicit local route: nothing in it can reach, or be
    // reached from, outside the VPC.
    const databaseRoutes = new aws.ec2.RouteTable(
      `${name}-database`,
      { vpcId: vpc.id, tags: { Name: `${name}-database` } },
      child,
    );
    associate(`${name}-database`, databaseRoutes, databaseSubnets, zones, this);

    // ECR image layers and other S3 traffic go through a free gateway endpoint rather than paid NAT processing.
    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.id,
        serviceName: pulumi.interpolate`com.amazonaws.${regionOf(this)}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateRouteTables.map((table) => table.id),
        tags: { Name: `${name}-s3` },
      },
      child,
    );

    const databaseSubnetGroup = new aws.rds.SubnetGroup(
      `${name}-database`,
      {
        description: `RDS subnets of ${name}: database tier, no route out of the VPC`,
        subnetIds: databaseSubnets.map((s) => s.id),
        tags: { Name: `${name}-database` },
      },
      child,
    );
    const cacheSubnetGroup = new aws.elasticache.SubnetGroup(
      `${name}-cache`,
      {
        description: `ElastiCache subnets of ${name}: database tier, no route out of the VPC`,
        subnetIds: databaseSubnets.map((s) => s.id),
        tags: { Name: `${name}-cache` },
      },
      child,
    );

    const flowLogGroup = this.flowLogs(name, vpc, args);

    const groups = {} as Record<SecurityTier, aws.ec2.SecurityGroup>;
    for (const tier of Object.keys(TIER_DESCRIPTIONS) as SecurityTier[]) {
      groups[tier] = new aws.ec2.SecurityGroup(
        `${name}-${TIER_SLUGS[tier]}`,
        {
          vpcId: vpc.id,
          description: TIER_DESCRIPTIONS[tier],
          // Rules are separate resources below; the groups reference each other, so revoke before deleting.
          revokeRulesOnDelete: true,
          tags: { Name: `${name}-${TIER_SLUGS[tier]}`, Tier: TIER_SLUGS[tier] },
        },
        child,
      );
    }
    const natAddresses = args.loadBalancerFromNat
      ? natGateways.map(({ address }, index) => ({
          zone: natZones[index] as string,
          cidr: pulumi.interpolate`${address.publicIp}/32`,
        }))
      : [];
    for (const rule of securityRules(args.ports, args.loadBalancerSources, natAddresses)) {
      const peer = rule.peer;
      const peerName =
        typeof peer === "string" ? TIER_SLUGS[peer] : "cidr" in peer ? (peer.name ?? "anywhere") : peer.name;
      const tierName = TIER_SLUGS[rule.tier];
      const ruleArgs = {
        securityGroupId: groups[rule.tier].id,
        ipProtocol: "tcp",
        fromPort: rule.port,
        toPort: rule.port,
        description: rule.description,
        ...(typeof peer === "string"
          ? { referencedSecurityGroupId: groups[peer].id }
          : "cidr" in peer
            ? { cidrIpv4: peer.cidr }
            : { prefixListId: peer.prefixListId }),
        tags: { Name: `${name}-${tierName}-${rule.direction}-${peerName}-${rule.port}` },
      };
      const ruleName = `${name}-${tierName}-${rule.direction === "ingress" ? "from" : "to"}-${peerName}-${rule.port}`;
      if (rule.direction === "ingress") new aws.vpc.SecurityGroupIngressRule(ruleName, ruleArgs, child);
      else new aws.vpc.SecurityGroupEgressRule(ruleName, ruleArgs, child);
    }

    this.vpcId = vpc.id;
    this.cidrBlock = vpc.cidrBlock;
    this.publicSubnetIds = publicSubnets.map((subnet) => subnet.id);
    this.privateSubnetIds = privateSubnets.map((subnet) => subnet.id);
    this.databaseSubnetIds = databaseSubnets.map((subnet) => subnet.id);
    this.databaseSubnetGroupName = databaseSubnetGroup.name;
    this.cacheSubnetGroupName = cacheSubnetGroup.name;
    this.natPublicIps = natGateways.map(({ address }) => address.publicIp);
    this.securityGroupIds = {
      alb: groups.alb.id,
      frontend: groups.frontend.id,
      apiAlb: groups.apiAlb.id,
      backend: groups.backend.id,
      database: groups.database.id,
      cache: groups.cache.id,
      rotation: groups.rotation.id,
      releaseChecks: groups.releaseChecks.id,
    };
    this.flowLogGroupName = flowLogGroup.name;
    this.registerOutputs({
      vpcId: this.vpcId,
      cidrBlock: this.cidrBlock,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      databaseSubnetIds: this.databaseSubnetIds,
      databaseSubnetGroupName: this.databaseSubnetGroupName,
      cacheSubnetGroupName: this.cacheSubnetGroupName,
      natPublicIps: this.natPublicIps,
      securityGroupIds: this.securityGroupIds,
      flowLogGroupName: this.flowLogGroupName,
    });
  }

  /** Flow logs of every ENI in the VPC into a KMS-encrypted log group, delivered by a role only VPC Flow Logs of this account can assume. */
  private flowLogs(name: string, vpc: aws.ec2.Vpc, args: NetworkArgs): aws.cloudwatch.LogGroup {
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const region = regionOf(this);
    const logGroup = encryptedLogGroup(
      `${name}-flow-logs`,
      `/vpc/${name}/flow-logs`,
      { kmsKeyArn: args.flowLogs.kmsKeyArn, retentionInDays: args.flowLogs.retentionInDays },
      { ...child, protect: args.protect },
    );
    const role = new aws.iam.Role(
      `${name}-flow-logs`,
      {
        permissionsBoundary: args.account.permissionsBoundaryArn,
        description: `Delivers the VPC flow logs of ${name} to CloudWatch Logs`,
        // Confused-deputy protection: only flow logs of this account and region may use the role.
        assumeRolePolicy: serviceTrustPolicy(
          "vpc-flow-logs.amazonaws.com",
          accountId,
          pulumi.interpolate`arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*`,
        ),
        tags: { Name: `${name}-flow-logs` },
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "WriteThisLogGroupOnly",
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
            },
            {
              // DescribeLogGroups has no resource-level permissions: it works on "*" only
              // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
              Sid: "FindTheLogGroup",
              Effect: "Allow",
              Action: "logs:DescribeLogGroups",
              Resource: "*",
            },
          ],
        }),
      },
      child,
    );
    new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: vpc.id,
        trafficType: args.flowLogs.trafficType,
        logDestinationType: "cloud-watch-logs",
        logDestination: logGroup.arn,
        iamRoleArn: role.arn,
        // One-minute aggregation: finer-grained records when investigating an incident.
        maxAggregationInterval: 60,
        tags: { Name: `${name}-flow-logs` },
      },
      child,
    );
    return logGroup;
  }
}

function associate(
  prefix: string,
  table: aws.ec2.RouteTable,
  subnets: aws.ec2.Subnet[],
  zones: string[],
  parent: pulumi.Resource,
): void {
  subnets.forEach((subnet, index) => {
    new aws.ec2.RouteTableAssociation(
      `${prefix}-${zones[index]}`,
      { routeTableId: table.id, subnetId: subnet.id },
      { parent },
    );
  });
}
