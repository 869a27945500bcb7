/**
 * `npm run plan -- --stack <name> --diagram`: the architecture as a Mermaid flowchart, drawn from what the stack
 * declares rather than by hand. The resources that make up the architecture become nodes, grouped by tier; the
 * security groups' ingress rules become solid edges labelled with the port (who may reach whom), and the recorded
 * dependencies between those resources dotted ones (who uses whom). Keys, roles, log groups and the rest of the
 * plumbing are left out: `npm run plan` lists them.
 */
import type { StackRun } from "./harness";
import type { DeclaredResource } from "./mocks";

/** Where a node is drawn. */
export const TIERS = ["edge", "public", "private", "data", "operations"] as const;
type Tier = (typeof TIERS)[number];

const TIER_TITLES: Readonly<Record<Tier, string>> = {
  edge: "Edge (global)",
  public: "Public subnets",
  private: "Private subnets",
  data: "Data",
  operations: "Operations",
};

/** How a resource type is drawn: its tier, its label, and whether its resources share one node. */
interface NodeKind {
  readonly tier: (resource: DeclaredResource, run: StackRun) => Tier;
  readonly label: (resource: DeclaredResource, short: string) => string;
  /** `type`: one node for every resource of the type; `each`: a node per resource; or a key of the caller's choosing. */
  readonly group: "type" | "each" | ((resource: DeclaredResource) => string);
  readonly shape?: "database";
}

const fixed = (tier: Tier) => () => tier;
const securityGroupsOf = (resource: DeclaredResource): string[] => {
  const inputs = resource.inputs as Record<string, unknown>;
  const network = (inputs.networkConfiguration ?? {}) as { securityGroups?: string[] };
  const vpcConfig = (inputs.vpcConfig ?? {}) as { securityGroupIds?: string[] };
  return [
    ...((inputs.securityGroups ?? []) as string[]),
    ...((inputs.vpcSecurityGroupIds ?? []) as string[]),
    ...((inputs.securityGroupIds ?? []) as string[]),
    ...(network.securityGroups ?? []),
    ...(vpcConfig.securityGroupIds ?? []),
  ];
};

/** The resource types the diagram shows, and how. */
const KINDS: Readonly<Record<string, NodeKind>> = {
  "aws:cloudfront/distribution:Distribution": { tier: fixed("edge"), label: () => "CloudFront", group: "each" },
  "aws:wafv2/webAcl:WebAcl": { tier: fixed("edge"), label: () => "WAF web ACL", group: "each" },
  "aws:route53/zone:Zone": {
    // A zone associated with VPCs is private: it answers inside them only.
    tier: (zone) => (((zone.inputs.vpcs ?? []) as unknown[]).length > 0 ? "private" : "edge"),
    label: (zone) =>
      `Route 53 ${((zone.inputs.vpcs ?? []) as unknown[]).length > 0 ? "private " : ""}zone ${String(zone.inputs.name)}`,
    group: "each",
  },
  "aws:route53/healthCheck:HealthCheck": { tier: fixed("edge"), label: () => "Route 53 health check", group: "type" },
  "aws:s3/bucket:Bucket": {
    // A bucket CloudFront serves from is at the edge; the others hold logs.
    tier: (bucket, run) =>
      run.resources.some(
        (resource) =>
          resource.type === "aws:cloudfront/distribution:Distribution" &&
          (resource.propertyDependencies.origins ?? []).includes(bucket.urn),
      )
        ? "edge"
        : "operations",
    label: (_bucket, short) => `S3 ${short}`,
    group: "each",
  },
  "aws:lb/loadBalancer:LoadBalancer": {
    tier: (loadBalancer) => (loadBalancer.inputs.internal ? "private" : "public"),
    label: (loadBalancer, short) => `${loadBalancer.inputs.internal ? "internal" : "internet-facing"} ALB ${short}`,
    group: "each",
  },
  "aws:ec2/natGateway:NatGateway": { tier: fixed("public"), label: () => "NAT gateway", group: "type" },
  "aws:ecs/service:Service": { tier: fixed("private"), label: (_service, short) => `ECS ${short}`, group: "each" },
  "aws:lambda/function:Function": {
    // In the VPC when it has security groups; otherwise it runs in Lambda's own network.
    tier: (fn) => (securityGroupsOf(fn).length > 0 ? "private" : "operations"),
    label: (fn) => (securityGroupsOf(fn).length > 0 ? "Lambda in the VPC" : "Lambda"),
    group: (fn) => `lambda ${securityGroupsOf(fn).sort().join(",")}`,
  },
  "aws:rds/instance:Instance": {
    tier: fixed("data"),
    label: (instance) =>
      `RDS ${String(instance.inputs.engine)} ${String(instance.inputs.instanceClass)}${instance.inputs.multiAz ? " Multi-AZ" : ""}${instance.inputs.replicateSourceDb ? " replica" : ""}`,
    group: "each",
    shape: "database",
  },
  "aws:elasticache/replicationGroup:ReplicationGroup": {
    tier: fixed("data"),
    label: (group) =>
      `ElastiCache ${String(group.inputs.engine)} ${String(group.inputs.nodeType)} × ${Number(group.inputs.numCacheClusters ?? 0) || "?"}`,
    group: "each",
    shape: "database",
  },
  "aws:secretsmanager/secret:Secret": { tier: fixed("data"), label: () => "Secrets Manager secret", group: "type" },
  "aws:sns/topic:Topic": {
    tier: fixed("operations"),
    label: (topic) => `SNS ${String((topic.inputs.tags as Record<string, string> | undefined)?.Severity ?? "topic")}`,
    group: "each",
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    tier: fixed("operations"),
    label: () => "CloudWatch alarm",
    group: "type",
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    tier: fixed("operations"),
    label: () => "CloudWatch dashboard",
    group: "type",
  },
  "aws:backup/vault:Vault": {
    tier: fixed("operations"),
    label: (vault) => `Backup vault ${vault.region}`,
    group: "each",
    shape: "database",
  },
  "aws:budgets/budget:Budget": { tier: fixed("operations"), label: () => "Budget", group: "each" },
  "aws:fis/experimentTemplate:ExperimentTemplate": {
    tier: fixed("operations"),
    label: () => "FIS experiment",
    group: "type",
  },
  "aws:appconfig/application:Application": { tier: fixed("operations"), label: () => "AppConfig flags", group: "each" },
  "aws:ecr/repository:Repository": { tier: fixed("operations"), label: () => "ECR repository", group: "type" },
};

interface Node {
  readonly key: string;
  readonly tier: Tier;
  readonly label: string;
  readonly shape?: "database";
  readonly members: DeclaredResource[];
}

/** The stack's architecture as a Mermaid flowchart. */
export function renderDiagram(run: StackRun): string {
  const environment = run.config["cloudweave:environment"] ?? "";
  const shorten = (name: string) => name.replace(new RegExp(`^cloudweave-${environment}-`), "");
  const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
  const nodes = new Map<string, Node>();
  const nodeOf = new Map<string, Node>();
  for (const resource of run.resources) {
    const kind = KINDS[resource.type];
    if (!kind) continue;
    const group =
      kind.group === "each"
        ? resource.urn
        : kind.group === "type"
          ? resource.type
          : `${resource.type} ${kind.group(resource)}`;
    const node = nodes.get(group) ?? {
      key: group,
      tier: kind.tier(resource, run),
      label: kind.label(resource, shorten(resource.name)),
      ...(kind.shape ? { shape: kind.shape } : {}),
      members: [],
    };
    node.members.push(resource);
    nodes.set(group, node);
    nodeOf.set(resource.urn, node);
  }

  // Stable ids: nodes in tier order, then by label.
  const ordered = [...nodes.values()].sort(
    (a, b) =>
      TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier) || a.label.localeCompare(b.label) || a.key.localeCompare(b.key),
  );
  const ids = new Map(ordered.map((node, index) => [node, `n${index + 1}`]));
  /** Sources outside the stack's drawn resources, by what they are: their id and label. */
  const extra = new Map<string, { id: string; label: string }>();

  // Who may reach whom: each ingress rule, from the members of its source to the members of its group.
  const bySecurityGroup = new Map<string, Set<Node>>();
  for (const [urn, node] of nodeOf) {
    for (const group of securityGroupsOf(byUrn.get(urn) as DeclaredResource)) {
      const members = bySecurityGroup.get(group) ?? new Set<Node>();
      members.add(node);
      bySecurityGroup.set(group, members);
    }
  }
  const natByAddress = new Map<string, Node>();
  for (const nat of run.resources.filter((resource) => resource.type === "aws:ec2/natGateway:NatGateway")) {
    const eip = run.resources.find(
      (resource) => resource.type === "aws:ec2/eip:Eip" && resource.id === nat.inputs.allocationId,
    );
    const node = nodeOf.get(nat.urn);
    if (eip && node) natByAddress.set(`${String(eip.outputs.publicIp)}/32`, node);
  }
  const cloudFront = ordered.find((node) => node.members[0]?.type === "aws:cloudfront/distribution:Distribution");
  const edges = new Set<string>();
  for (const rule of run.resources.filter(
    (resource) => resource.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  )) {
    const targets = bySecurityGroup.get(String(rule.inputs.securityGroupId)) ?? new Set<Node>();
    const from = Number(rule.inputs.fromPort);
    const to = Number(rule.inputs.toPort);
    const protocol = String(rule.inputs.ipProtocol);
    const port = `${protocol === "tcp" ? "" : `${protocol} `}${from === to ? from : `${from}-${to}`}`;
    let sources: string[];
    if (rule.inputs.referencedSecurityGroupId !== undefined) {
      sources = [...(bySecurityGroup.get(rule.inputs.referencedSecurityGroupId as string) ?? [])].map(
        (node) => ids.get(node) as string,
      );
    } else if (rule.inputs.prefixListId !== undefined) {
      // The only prefix list the program admits is CloudFront's origin-facing one (components/network).
      sources = [
        cloudFront ? (ids.get(cloudFront) as string) : pseudo(extra, "cloudfront", "CloudFront (the primary's)"),
      ];
    } else {
      const cidr = String(rule.inputs.cidrIpv4 ?? rule.inputs.cidrIpv6);
      const nat = natByAddress.get(cidr);
      sources = [nat ? (ids.get(nat) as string) : pseudo(extra, cidr, cidr)];
    }
    for (const source of sources) {
      for (const target of targets) edges.add(`${source} -->|${port}| ${ids.get(target) as string}`);
    }
  }
  // Who uses whom: a recorded dependency between two drawn resources.
  const uses = new Set<string>();
  for (const [urn, node] of nodeOf) {
    for (const dependency of (byUrn.get(urn) as DeclaredResource).dependencies) {
      const target = nodeOf.get(dependency);
      if (!target || target === node) continue;
      // A path already drawn between the two says more than "uses".
      if (
        [...edges].some(
          (edge) => edge.startsWith(`${ids.get(node) as string} -->`) && edge.endsWith(` ${ids.get(target) as string}`),
        )
      ) {
        continue;
      }
      uses.add(`${ids.get(node) as string} -.-> ${ids.get(target) as string}`);
    }
  }

  const lines = ["flowchart LR"];
  if (cloudFront) lines.push('  viewers(("Viewers"))');
  for (const tier of TIERS) {
    const members = ordered.filter((node) => node.tier === tier);
    const pseudoHere = tier === "edge" ? [...extra.values()] : [];
    if (members.length === 0 && pseudoHere.length === 0) continue;
    lines.push(`  subgraph ${tier}["${TIER_TITLES[tier]}"]`);
    for (const node of members) {
      const count = node.members.length > 1 ? ` ×${node.members.length}` : "";
      const text = `${node.label}${count}`.replace(/"/g, "'");
      lines.push(`    ${ids.get(node) as string}${node.shape === "database" ? `[("${text}")]` : `["${text}"]`}`);
    }
    for (const { id, label } of pseudoHere) lines.push(`    ${id}["${label}"]`);
    lines.push("  end");
  }
  if (cloudFront) lines.push(`  viewers -->|443| ${ids.get(cloudFront) as string}`);
  lines.push(...[...edges].sort().map((edge) => `  ${edge}`));
  lines.push(...[...uses].sort().map((edge) => `  ${edge}`));
  return lines.join("\n");
}

/** A node for a source that is not a resource of the stack (an address range, another stack's CloudFront). */
function pseudo(extra: Map<string, { id: string; label: string }>, key: string, label: string): string {
  const known = extra.get(key);
  if (known) return known.id;
  const id = `x${extra.size + 1}`;
  extra.set(key, { id, label });
  return id;
}
