import { expect } from "chai";
import { Network, type NetworkArgs } from "../components/network/network";
import { loadStackConfig, type StackConfig } from "../config";
import { APP_PORTS } from "../config/app";
import { runProgram, type StackRun } from "../offline/harness";
import { MOCK_ACCOUNT_ID } from "../offline/mocks";
import type { DeclaredResource } from "../offline/mocks";
import { STACKS, byArn, byId, json, ofType, single, stackConfig } from "./helpers";
import { evaluate, type PolicyDocument } from "./iam-evaluator";

const FLOW_LOG_KEY = `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/flow-logs-test`;

/** Declares one Network from a stack's validated settings, as `index.ts` does, and nothing else. */
async function networkOf(
  stack: string,
  adjust: (args: NetworkArgs) => NetworkArgs = (args) => args,
): Promise<{ run: StackRun; config: StackConfig }> {
  let config: StackConfig | undefined;
  const run = await runProgram(stack, () => {
    config = loadStackConfig();
    new Network(
      "net",
      adjust({
        account: { accountId: MOCK_ACCOUNT_ID, partition: "aws" },
        cidrBlock: config.vpc.cidr,
        availabilityZones: config.vpc.availabilityZones,
        subnetCidrs: config.vpc.subnets,
        natGateways: config.vpc.natGateways,
        ports: APP_PORTS,
        flowLogs: { kmsKeyArn: FLOW_LOG_KEY, ...config.vpc.flowLogs },
        protect: config.deletionProtection,
      }),
    );
  });
  return { run, config: config as StackConfig };
}

/** The tier of a security group, from its `Tier` tag. */
function tierOf(group: DeclaredResource): string {
  return (group.inputs.tags as Record<string, string>).Tier as string;
}

/** Every security-group rule as `tier direction port peer`, the peer being a tier or a CIDR. */
function ruleTable(run: StackRun): string[] {
  const rules = [
    ...ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((rule) => ({ rule, way: "in" })),
    ...ofType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((rule) => ({ rule, way: "out" })),
  ];
  return rules
    .map(({ rule, way }) => {
      const { securityGroupId, referencedSecurityGroupId, cidrIpv4, prefixListId, ipProtocol, fromPort, toPort } =
        rule.inputs;
      expect(fromPort, `${rule.name} opens a single port`).to.equal(toPort);
      expect(ipProtocol).to.equal("tcp");
      const peer = referencedSecurityGroupId
        ? tierOf(byId(run, referencedSecurityGroupId))
        : String(cidrIpv4 ?? prefixListId);
      return `${tierOf(byId(run, securityGroupId))} ${way} ${String(fromPort)} ${peer}`;
    })
    .sort();
}

describe("Network component", () => {
  for (const stack of STACKS) {
    describe(`with the ${stack} settings`, () => {
      let run: StackRun;
      let config: StackConfig;
      before(async () => ({ run, config } = await networkOf(stack)));

      it("is one component that parents every resource it declares", () => {
        const component = single(run, "cloudweave:network:Network");
        const children = run.resources.filter((resource) => resource.custom);
        expect(children).to.not.be.empty;
        for (const child of children) {
          expect(child.parent, child.name).to.equal(component.urn);
          expect(child.name.startsWith("net-"), child.name).to.equal(true);
        }
      });

      it("builds the VPC from the configured CIDR with DNS on", () => {
        const vpc = single(run, "aws:ec2/vpc:Vpc");
        expect(vpc.inputs).to.include({ cidrBlock: config.vpc.cidr, enableDnsSupport: true, enableDnsHostnames: true });
      });

      it("puts one subnet of each tier in each AZ, with the configured CIDRs, and no public IPs on launch", () => {
        const subnets = ofType(run, "aws:ec2/subnet:Subnet");
        expect(subnets).to.have.length(9);
        for (const tier of ["public", "private", "database"] as const) {
          const ofTier = subnets.filter((subnet) => (subnet.inputs.tags as Record<string, string>).Tier === tier);
          const layout = ofTier.map((subnet) => [subnet.inputs.availabilityZone, subnet.inputs.cidrBlock]).sort();
          const expected = config.vpc.availabilityZones.map((zone, index) => [zone, config.vpc.subnets[tier][index]]);
          expect(layout, tier).to.deep.equal(expected);
        }
        expect(subnets.every((subnet) => subnet.inputs.mapPublicIpOnLaunch === false)).to.equal(true);
      });

      it("routes the public tier to the internet gateway", () => {
        const routes = routesBySubnetTier(run, "public");
        expect(routes).to.have.length(3);
        const igw = single(run, "aws:ec2/internetGateway:InternetGateway");
        for (const tableRoutes of routes) {
          expect(tableRoutes.map((route) => [route.inputs.destinationCidrBlock, route.inputs.gatewayId])).to.deep.equal(
            [["0.0.0.0/0", igw.id]],
          );
        }
      });

      it("routes each private subnet to a NAT gateway (its own AZ's when there is one per AZ)", () => {
        const natGateways = ofType(run, "aws:ec2/natGateway:NatGateway");
        expect(natGateways).to.have.length(config.vpc.natGateways === "one-per-az" ? 3 : 1);
        const publicSubnetZones = new Map(natGateways.map((nat) => [nat.id, byId(run, nat.inputs.subnetId)]));
        for (const nat of natGateways) {
          expect((publicSubnetZones.get(nat.id)?.inputs.tags as Record<string, string>).Tier).to.equal("public");
          expect(byId(run, nat.inputs.allocationId).type).to.equal("aws:ec2/eip:Eip");
        }
        for (const subnet of subnetsOfTier(run, "private")) {
          const routes = routesOfSubnet(run, subnet);
          expect(routes).to.have.length(1);
          const route = routes[0] as DeclaredResource;
          expect(route.inputs.destinationCidrBlock).to.equal("0.0.0.0/0");
          const nat = byId(run, route.inputs.natGatewayId);
          const natZone = publicSubnetZones.get(nat.id)?.inputs.availabilityZone;
          if (config.vpc.natGateways === "one-per-az") expect(natZone).to.equal(subnet.inputs.availabilityZone);
          else expect(natZone).to.equal(config.vpc.availabilityZones[0]);
        }
      });

      it("gives the database tier no route out of the VPC", () => {
        const tables = new Set(subnetsOfTier(run, "database").map((subnet) => tableOf(run, subnet).urn));
        expect(tables.size, "one table for the database tier").to.equal(1);
        for (const subnet of subnetsOfTier(run, "database")) expect(routesOfSubnet(run, subnet)).to.deep.equal([]);
      });

      it("creates RDS and ElastiCache subnet groups over the database subnets only", () => {
        const databaseSubnetIds = subnetsOfTier(run, "database")
          .map((subnet) => subnet.id)
          .sort();
        for (const type of ["aws:rds/subnetGroup:SubnetGroup", "aws:elasticache/subnetGroup:SubnetGroup"]) {
          expect([...(single(run, type).inputs.subnetIds as string[])].sort(), type).to.deep.equal(databaseSubnetIds);
        }
      });

      it("keeps S3 traffic of the private tier off NAT through a gateway endpoint", () => {
        const endpoint = single(run, "aws:ec2/vpcEndpoint:VpcEndpoint");
        expect(endpoint.inputs).to.include({
          vpcEndpointType: "Gateway",
          serviceName: `com.amazonaws.${config.region}.s3`,
        });
        const privateTables = subnetsOfTier(run, "private")
          .map((subnet) => tableOf(run, subnet).id)
          .sort();
        expect([...(endpoint.inputs.routeTableIds as string[])].sort()).to.deep.equal(privateTables);
      });

      it("chains the groups internet -> ALB -> frontend -> API ALB -> backend -> data stores, with the rotation functions and release checks beside them, and nothing else", () => {
        expect(ruleTable(run)).to.deep.equal(
          [
            "alb in 443 0.0.0.0/0",
            "alb in 80 0.0.0.0/0",
            "alb out 80 frontend",
            "frontend in 80 alb",
            "frontend out 443 api-alb",
            "frontend out 443 0.0.0.0/0",
            "api-alb in 443 frontend",
            "api-alb out 3001 backend",
            "backend in 3001 api-alb",
            "backend out 5432 database",
            "backend out 6379 cache",
            "backend out 443 0.0.0.0/0",
            "database in 5432 backend",
            "cache in 6379 backend",
            // The credential-rotation functions: into the data stores on their ports only, out to AWS APIs via NAT.
            "database in 5432 rotation",
            "cache in 6379 rotation",
            "rotation out 5432 database",
            "rotation out 6379 cache",
            "rotation out 443 0.0.0.0/0",
            // The release checks: into the internal API load balancer, out through NAT (the public one, AWS APIs).
            "api-alb in 443 release-checks",
            "release-checks out 443 api-alb",
            "release-checks out 443 0.0.0.0/0",
          ].sort(),
        );
      });

      it("describes every security group and rule", () => {
        const described = [
          ...ofType(run, "aws:ec2/securityGroup:SecurityGroup"),
          ...ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
          ...ofType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
        ];
        expect(described).to.have.length(8 + 22);
        for (const resource of described)
          expect(resource.inputs.description, resource.name).to.be.a("string").and.not.empty;
      });

      it("declares no inline rules that would bypass the rule resources", () => {
        for (const group of ofType(run, "aws:ec2/securityGroup:SecurityGroup")) {
          expect(group.inputs.ingress ?? [], group.name).to.deep.equal([]);
          expect(group.inputs.egress ?? [], group.name).to.deep.equal([]);
        }
      });

      it("strips every rule from the VPC's default security group", () => {
        const defaultGroup = single(run, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
        expect(defaultGroup.inputs).to.deep.include({ ingress: [], egress: [] });
        expect(defaultGroup.inputs.vpcId).to.equal(single(run, "aws:ec2/vpc:Vpc").id);
      });

      it("sends all VPC traffic to a KMS-encrypted log group with the configured retention", () => {
        const flowLog = single(run, "aws:ec2/flowLog:FlowLog");
        expect(flowLog.inputs).to.include({ trafficType: "ALL", logDestinationType: "cloud-watch-logs" });
        expect(flowLog.inputs.vpcId).to.equal(single(run, "aws:ec2/vpc:Vpc").id);
        const logGroup = byArn(run, flowLog.inputs.logDestination);
        expect(logGroup.inputs).to.include({
          kmsKeyId: FLOW_LOG_KEY,
          retentionInDays: config.vpc.flowLogs.retentionInDays,
        });
        expect(logGroup.protect).to.equal(config.deletionProtection);
      });

      it("lets only this account's flow logs assume the delivery role, which writes only that log group", () => {
        const flowLog = single(run, "aws:ec2/flowLog:FlowLog");
        const role = byArn(run, flowLog.inputs.iamRoleArn);
        const trust = json<{ Statement: { Principal: unknown; Condition: Record<string, Record<string, string>> }[] }>(
          role,
          "assumeRolePolicy",
        );
        expect(trust.Statement).to.have.length(1);
        expect(trust.Statement[0]?.Principal).to.deep.equal({ Service: "vpc-flow-logs.amazonaws.com" });
        expect(trust.Statement[0]?.Condition.StringEquals).to.deep.equal({ "aws:SourceAccount": MOCK_ACCOUNT_ID });
        const policy = single(run, "aws:iam/rolePolicy:RolePolicy");
        expect(policy.inputs.role).to.equal(role.id);
        const logGroupArn = byArn(run, flowLog.inputs.logDestination).outputs.arn as string;
        const statements = json<{ Statement: { Action: string | string[]; Resource: string | string[] }[] }>(
          policy,
          "policy",
        ).Statement;
        for (const statement of statements) {
          // DescribeLogGroups works on "*" only; everything else names the flow-log group.
          if (statement.Action === "logs:DescribeLogGroups") {
            expect(statement.Resource).to.equal("*");
            continue;
          }
          expect(statement.Action).to.not.include("logs:DescribeLogGroups");
          for (const resource of [statement.Resource].flat()) {
            expect(resource.startsWith(logGroupArn), resource).to.equal(true);
          }
        }
        expect(statements.map((statement) => statement.Action).flat()).to.include("logs:DescribeLogGroups");
      });

      it("lets groups that reference each other be deleted, and starts NAT only once the VPC reaches the internet", () => {
        // Groups whose rules reference each other cannot be deleted until the rules are revoked (EC2 DeleteSecurityGroup:
        // DependencyViolation); a NAT gateway needs the VPC's internet gateway, and its address a VPC-domain EIP.
        for (const group of ofType(run, "aws:ec2/securityGroup:SecurityGroup")) {
          expect(group.inputs.revokeRulesOnDelete, group.name).to.equal(true);
        }
        const gateway = single(run, "aws:ec2/internetGateway:InternetGateway");
        for (const nat of ofType(run, "aws:ec2/natGateway:NatGateway")) {
          expect(nat.dependencies, nat.name).to.include(gateway.urn);
          expect(byId(run, nat.inputs.allocationId).inputs.domain).to.equal("vpc");
        }
      });

      it("names every rule after its group, direction, peer and port: unique, and stable between previews", () => {
        const rules = [
          ...ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
          ...ofType(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
        ];
        const names = rules.map((rule) => rule.name);
        expect(new Set(names).size).to.equal(names.length);
        for (const rule of rules) {
          const ingress = rule.type.includes("Ingress");
          const port = String(rule.inputs.fromPort);
          const peer = rule.inputs.referencedSecurityGroupId
            ? tierOf(byId(run, rule.inputs.referencedSecurityGroupId))
            : rule.inputs.prefixListId
              ? "prefix-list"
              : "anywhere";
          const own = tierOf(byId(run, rule.inputs.securityGroupId));
          expect(rule.name).to.equal(`net-${own}-${ingress ? "from" : "to"}-${peer}-${port}`);
        }
      });

      it("gives the delivery role what VPC Flow Logs needs to publish, on that log group", () => {
        // What the service calls (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html); the log
        // group already exists, so CreateLogGroup is not needed.
        const flowLog = single(run, "aws:ec2/flowLog:FlowLog");
        const role = byArn(run, flowLog.inputs.iamRoleArn);
        const policy = json<PolicyDocument>(single(run, "aws:iam/rolePolicy:RolePolicy"), "policy");
        const logGroupArn = byArn(run, flowLog.inputs.logDestination).outputs.arn as string;
        const principal = { identityPolicies: [policy] };
        const request = (action: string, resource: string) =>
          evaluate(principal, { principalArn: String(role.outputs.arn), action, resource });
        const stream = `${logGroupArn}:log-stream:eni-0123456789abcdef0-all`;
        expect(request("logs:DescribeLogGroups", "*")).to.equal("allow");
        expect(request("logs:DescribeLogStreams", logGroupArn)).to.equal("allow");
        expect(request("logs:CreateLogStream", logGroupArn)).to.equal("allow");
        expect(request("logs:PutLogEvents", stream)).to.equal("allow");
        const otherGroup = logGroupArn.replace(/log-group:.*/, "log-group:/aws/lambda/other");
        expect(request("logs:PutLogEvents", `${otherGroup}:log-stream:x`), "another log group").to.equal(
          "implicit deny",
        );
        expect(request("logs:DeleteLogGroup", logGroupArn)).to.equal("implicit deny");
        // Only VPC Flow Logs of this account, for flow logs in this account and region, can assume it.
        const trust = json<PolicyDocument>(role, "assumeRolePolicy");
        const assume = (sourceAccount: string, sourceArn: string) =>
          [trust.Statement].flat().some(
            (statement) =>
              evaluate(
                { identityPolicies: [{ Statement: [{ ...statement, Principal: undefined, Resource: "*" }] }] },
                {
                  principalArn: "vpc-flow-logs.amazonaws.com",
                  action: "sts:AssumeRole",
                  resource: String(role.outputs.arn),
                  context: { "aws:SourceAccount": sourceAccount, "aws:SourceArn": sourceArn },
                },
              ) === "allow",
          );
        const flowLogArn = `arn:aws:ec2:${config.region}:${MOCK_ACCOUNT_ID}:vpc-flow-log/fl-0123456789abcdef0`;
        expect(assume(MOCK_ACCOUNT_ID, flowLogArn)).to.equal(true);
        expect(assume("444455556666", flowLogArn.replace(MOCK_ACCOUNT_ID, "444455556666"))).to.equal(false);
        expect(assume(MOCK_ACCOUNT_ID, flowLogArn.replace(config.region, "eu-west-1"))).to.equal(false);
      });

      it(`${stackConfig(stack).deletionProtection ? "protects" : "does not protect"} the VPC from deletion`, () => {
        expect(single(run, "aws:ec2/vpc:Vpc").protect).to.equal(config.deletionProtection);
      });
    });
  }

  it("follows the ports it is given", async () => {
    const { run } = await networkOf("staging", (args) => ({ ...args, ports: { ...args.ports, backend: 8080 } }));
    const table = ruleTable(run);
    expect(table).to.include.members(["backend in 8080 api-alb", "api-alb out 8080 backend"]);
    expect(table.some((rule) => rule.includes(" 3001 "))).to.equal(false);
  });

  it("admits HTTPS from a prefix list alone when the load balancer's sources are given", async () => {
    const { run } = await networkOf("staging", (args) => ({
      ...args,
      loadBalancerSources: { prefixListId: "pl-0123456789", description: "HTTPS from the CDN only" },
    }));
    const albIngress = ruleTable(run).filter((rule) => rule.startsWith("alb in"));
    expect(albIngress).to.deep.equal(["alb in 443 pl-0123456789"]);
    const fromNat = await networkOf("staging", (args) => ({
      ...args,
      natGateways: "one-per-az",
      loadBalancerSources: { prefixListId: "pl-0123456789", description: "HTTPS from the CDN only" },
      loadBalancerFromNat: true,
    }));
    const addresses = ofType(fromNat.run, "aws:ec2/eip:Eip").map((address) => `${String(address.outputs.publicIp)}/32`);
    expect(addresses).to.have.length(3);
    expect(ruleTable(fromNat.run).filter((rule) => rule.startsWith("alb in"))).to.have.members([
      "alb in 443 pl-0123456789",
      ...addresses.map((cidr) => `alb in 443 ${cidr}`),
    ]);
    const rule = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").find(
      (candidate) => candidate.inputs.prefixListId !== undefined,
    );
    expect(rule?.inputs).to.include({ prefixListId: "pl-0123456789", description: "HTTPS from the CDN only" });
  });

  it("puts a NAT gateway in every AZ, or one the private subnets share, as asked", async () => {
    for (const [strategy, count] of [
      ["one-per-az", 3],
      ["single", 1],
    ] as const) {
      const { run } = await networkOf("staging", (args) => ({ ...args, natGateways: strategy }));
      const gateways = ofType(run, "aws:ec2/natGateway:NatGateway");
      expect(gateways, strategy).to.have.length(count);
      // Every private subnet's default route leads to one of them; with one per AZ, to its own AZ's.
      for (const subnet of subnetsOfTier(run, "private")) {
        const route = ofType(run, "aws:ec2/route:Route").find(
          (candidate) => candidate.inputs.routeTableId === tableOf(run, subnet).id,
        );
        const gateway = gateways.find((candidate) => candidate.id === route?.inputs.natGatewayId);
        expect(gateway, `${strategy}: ${subnet.name} routes through a NAT gateway`).to.not.equal(undefined);
        const gatewaySubnet = byId(run, gateway?.inputs.subnetId);
        if (strategy === "one-per-az") {
          expect(gatewaySubnet.inputs.availabilityZone).to.equal(subnet.inputs.availabilityZone);
        }
      }
    }
  });
});

function subnetsOfTier(run: StackRun, tier: string): DeclaredResource[] {
  return ofType(run, "aws:ec2/subnet:Subnet").filter((s) => (s.inputs.tags as Record<string, string>).Tier === tier);
}

function tableOf(run: StackRun, subnet: DeclaredResource): DeclaredResource {
  const associations = ofType(run, "aws:ec2/routeTableAssociation:RouteTableAssociation").filter(
    (association) => association.inputs.subnetId === subnet.id,
  );
  expect(associations, `${subnet.name} has exactly one route table`).to.have.length(1);
  return byId(run, associations[0]?.inputs.routeTableId);
}

function routesOfSubnet(run: StackRun, subnet: DeclaredResource): DeclaredResource[] {
  const table = tableOf(run, subnet);
  return ofType(run, "aws:ec2/route:Route").filter((route) => route.inputs.routeTableId === table.id);
}

function routesBySubnetTier(run: StackRun, tier: string): DeclaredResource[][] {
  return subnetsOfTier(run, tier).map((subnet) => routesOfSubnet(run, subnet));
}
