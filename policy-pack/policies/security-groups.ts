/** Mandatory security-group rules: the tiered chain, nothing open that needn't be, every rule explained. */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  TOKENS,
  configNumberList,
  isOneOf,
  list,
  num,
  ofKind,
  record,
  records,
  referenced,
  resourcePolicy,
  rotationFunctions,
  stackPolicy,
  str,
  strings,
  type Props,
} from "./support";

/** The ports an internet-facing load balancer may open to everyone by default: HTTP (to redirect) and HTTPS. */
const WEB_PORTS = [80, 443];
/** The ports any tier may reach the internet on by default. */
const INTERNET_PORTS = [443];
/** The tier whose tasks alone may connect to the data stores by default (its groups' `Tier` tag). */
const DATA_CLIENT_TIER = "backend";

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/** One ingress or egress permission, whatever resource declared it. */
interface Permission {
  /** The resource that declared it (a rule resource, or the group for inline rules). */
  owner: PolicyResource;
  direction: "ingress" | "egress";
  /** The group it belongs to, when known (rule resources: through their property dependencies). */
  groups: PolicyResource[];
  protocol: string;
  fromPort: number | undefined;
  toPort: number | undefined;
  cidrs: string[];
  /** Source or destination groups (referenced by the rule). */
  peers: PolicyResource[];
  /** True when the peer is a managed prefix list. */
  prefixList: boolean;
  description: string | undefined;
}

/** Every permission the stack declares, from rule resources, legacy rules and inline blocks. */
export function permissions(resources: PolicyResource[]): Permission[] {
  const result: Permission[] = [];
  for (const resource of resources) {
    const props = resource.props;
    if (isOneOf(resource, TOKENS.ingressRule) || isOneOf(resource, TOKENS.egressRule)) {
      result.push({
        owner: resource,
        direction: isOneOf(resource, TOKENS.ingressRule) ? "ingress" : "egress",
        groups: referenced(resource, "securityGroupId"),
        protocol: str(props, "ipProtocol") ?? "-1",
        fromPort: num(props, "fromPort"),
        toPort: num(props, "toPort"),
        cidrs: [str(props, "cidrIpv4"), str(props, "cidrIpv6")].filter((c): c is string => c !== undefined),
        peers: referenced(resource, "referencedSecurityGroupId"),
        prefixList: str(props, "prefixListId") !== undefined,
        description: str(props, "description"),
      });
    } else if (isOneOf(resource, TOKENS.legacyRule)) {
      result.push({
        owner: resource,
        direction: str(props, "type") === "egress" ? "egress" : "ingress",
        groups: referenced(resource, "securityGroupId"),
        protocol: str(props, "protocol") ?? "-1",
        fromPort: num(props, "fromPort"),
        toPort: num(props, "toPort"),
        cidrs: [...strings(props.cidrBlocks), ...strings(props.ipv6CidrBlocks)],
        peers: referenced(resource, "sourceSecurityGroupId"),
        prefixList: list(props, "prefixListIds").length > 0,
        description: str(props, "description"),
      });
    } else if (isOneOf(resource, TOKENS.securityGroup) || isOneOf(resource, TOKENS.defaultSecurityGroup)) {
      for (const direction of ["ingress", "egress"] as const) {
        for (const rule of records(props, direction)) {
          result.push({
            owner: resource,
            direction,
            groups: [resource],
            protocol: str(rule, "protocol") ?? "-1",
            fromPort: num(rule, "fromPort"),
            toPort: num(rule, "toPort"),
            cidrs: [...strings(rule.cidrBlocks), ...strings(rule.ipv6CidrBlocks)],
            peers: [],
            prefixList: list(rule, "prefixListIds").length > 0,
            description: str(rule, "description"),
          });
        }
      }
    }
  }
  return result;
}

function describePorts(permission: Permission): string {
  if (permission.protocol === "-1") return "all traffic";
  return permission.fromPort === permission.toPort
    ? `${permission.protocol}/${String(permission.fromPort)}`
    : `${permission.protocol}/${String(permission.fromPort)}-${String(permission.toPort)}`;
}

/** True when every port of the permission is one of `ports`. */
function onlyPorts(permission: Permission, ports: number[]): boolean {
  if (permission.protocol === "-1" || permission.fromPort === undefined || permission.toPort === undefined) {
    return false;
  }
  for (let port = permission.fromPort; port <= permission.toPort; port++) if (!ports.includes(port)) return false;
  return true;
}

/** The security groups attached to internet-facing load balancers. */
function publicLoadBalancerGroups(resources: PolicyResource[]): Set<string> {
  const groups = new Set<string>();
  for (const lb of ofKind(resources, TOKENS.loadBalancer)) {
    if (lb.props.internal === true) continue;
    for (const group of referenced(lb, "securityGroups")) groups.add(group.urn);
  }
  return groups;
}

export const publicIngressWebOnly: StackValidationPolicy = stackPolicy({
  name: "sg-public-ingress-web-only",
  description:
    "No security group admits 0.0.0.0/0 or ::/0, except HTTP/HTTPS on the group of an internet-facing load balancer.",
  anchors: {
    checkov: ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"],
    trivy: ["AVD-AWS-0107"],
    fsbp: ["EC2.18", "EC2.19"],
  },
  severity: "critical",
  remediation:
    "Admit other tiers by security group (referencedSecurityGroupId) or a managed prefix list; open only 80/443 on the public load balancer's group.",
  configSchema: {
    properties: { allowedPorts: { type: "array", items: { type: "number" }, default: WEB_PORTS } },
  },
  validate: (resources, args, report) => {
    const allowedPorts = configNumberList(args, "allowedPorts", WEB_PORTS);
    const publicGroups = publicLoadBalancerGroups(resources);
    for (const permission of permissions(resources)) {
      if (permission.direction !== "ingress") continue;
      const open = permission.cidrs.filter((cidr) => ANYWHERE.includes(cidr));
      if (open.length === 0) continue;
      const onPublicLoadBalancer =
        permission.groups.length > 0 && permission.groups.every((group) => publicGroups.has(group.urn));
      if (!onPublicLoadBalancer || !onlyPorts(permission, allowedPorts)) {
        report(
          `${permission.owner.name} admits ${describePorts(permission)} from ${open.join(", ")}; only ${allowedPorts.join("/")} on an internet-facing load balancer's group may be open.`,
          permission.owner.urn,
        );
      }
    }
  },
});

export const dataTierIngress: StackValidationPolicy = stackPolicy({
  name: "data-tier-ingress-from-app-tier",
  description:
    "The security groups of RDS instances and ElastiCache replication groups admit traffic only from the backend tasks' security group and from the functions that rotate secrets.",
  anchors: { checkov: ["CKV2_AWS_5"] },
  severity: "critical",
  remediation:
    "Give the data stores' groups ingress rules whose referencedSecurityGroupId is the backend service's group (Tier tag `backend`) or the group of a Secrets Manager rotation function, and nothing else.",
  configSchema: {
    properties: { sourceTier: { type: "string", default: DATA_CLIENT_TIER } },
  },
  validate: (resources, args, report) => {
    const sourceTier = str(record(args.getConfig<Props>()), "sourceTier") ?? DATA_CLIENT_TIER;
    const dataGroups = new Map<string, PolicyResource>();
    for (const instance of ofKind(resources, TOKENS.dbInstance)) {
      for (const group of referenced(instance, "vpcSecurityGroupIds")) dataGroups.set(group.urn, group);
    }
    for (const cache of ofKind(resources, TOKENS.replicationGroup)) {
      for (const group of referenced(cache, "securityGroupIds")) dataGroups.set(group.urn, group);
    }
    // The groups the application's ECS services run with, and which of them belong to the source tier.
    const serviceGroups = new Set(
      ofKind(resources, TOKENS.service).flatMap((service) =>
        referenced(service, "networkConfiguration").map((group) => group.urn),
      ),
    );
    // The groups of the functions Secrets Manager may invoke to rotate a secret: they log in to set and test
    // passwords (also a standby's, whose schedules start when it is recovered).
    const rotators = rotationFunctions(resources);
    const rotationGroups = new Set(
      ofKind(resources, TOKENS.lambdaFunction)
        .filter((fn) => rotators.has(fn.urn))
        .flatMap((fn) => referenced(fn, "vpcConfig").map((group) => group.urn)),
    );
    for (const permission of permissions(resources)) {
      if (permission.direction !== "ingress") continue;
      const target = permission.groups.find((group) => dataGroups.has(group.urn));
      if (!target) continue;
      const sources = permission.peers;
      const allowed =
        permission.cidrs.length === 0 &&
        !permission.prefixList &&
        sources.length > 0 &&
        sources.every(
          (source) =>
            (serviceGroups.has(source.urn) && str(record(source.props.tags), "Tier") === sourceTier) ||
            rotationGroups.has(source.urn),
        );
      if (!allowed) {
        report(
          `${permission.owner.name} lets ${describeSource(permission)} into data-tier group ${target.name}; only the ${sourceTier} tasks' group and rotation functions may connect.`,
          permission.owner.urn,
        );
      }
    }
  },
});

function describeSource(permission: Permission): string {
  if (permission.cidrs.length > 0) return permission.cidrs.join(", ");
  if (permission.prefixList) return "a prefix list";
  if (permission.peers.length > 0) return permission.peers.map((peer) => `group ${peer.name}`).join(", ");
  return "an untraceable source";
}

export const ruleDescriptions: ResourceValidationPolicy = resourcePolicy({
  name: "sg-rule-descriptions",
  description: "Every security group and every rule says what it is for.",
  anchors: { checkov: ["CKV_AWS_23"], trivy: ["AVD-AWS-0099", "AVD-AWS-0124"] },
  severity: "low",
  remediation: "Add a description to the group and to each rule.",
  types: [...TOKENS.securityGroup, ...TOKENS.ingressRule, ...TOKENS.egressRule, ...TOKENS.legacyRule],
  validate: (props, _args, report) => {
    if (!str(props, "description")?.trim()) report("description must say what the group or rule is for.");
    for (const direction of ["ingress", "egress"]) {
      records(props, direction).forEach((rule, index) => {
        if (!str(rule, "description")?.trim()) report(`${direction}[${index}] has no description.`);
      });
    }
  },
});

export const noUnrestrictedEgress: StackValidationPolicy = stackPolicy({
  name: "sg-no-unrestricted-egress",
  description:
    "No security group allows all traffic out to anywhere; egress to the internet is limited to named ports.",
  anchors: { checkov: ["CKV_AWS_382"], trivy: ["AVD-AWS-0104"] },
  severity: "medium",
  remediation:
    "Replace all-traffic egress with rules for the ports the tier needs: other tiers by group, AWS APIs on 443.",
  configSchema: {
    properties: { internetPorts: { type: "array", items: { type: "number" }, default: INTERNET_PORTS } },
  },
  validate: (resources, args, report) => {
    const internetPorts = configNumberList(args, "internetPorts", INTERNET_PORTS);
    for (const permission of permissions(resources)) {
      if (permission.direction !== "egress") continue;
      const open = permission.cidrs.some((cidr) => ANYWHERE.includes(cidr));
      if (open && !onlyPorts(permission, internetPorts)) {
        report(
          `${permission.owner.name} allows ${describePorts(permission)} out to anywhere; only ${internetPorts.join("/")} may leave for the internet.`,
          permission.owner.urn,
        );
      }
    }
  },
});

export const defaultGroupEmpty: StackValidationPolicy = stackPolicy({
  name: "default-security-group-empty",
  description: "Every VPC's default security group is managed and has no rules.",
  anchors: { checkov: ["CKV2_AWS_12"], trivy: ["AVD-AWS-0173"], fsbp: ["EC2.2"] },
  severity: "medium",
  remediation: "Declare aws.ec2.DefaultSecurityGroup for the VPC with ingress: [] and egress: [].",
  validate: (resources, _args, report) => {
    const defaults = ofKind(resources, TOKENS.defaultSecurityGroup);
    for (const group of defaults) {
      if (records(group.props, "ingress").length > 0 || records(group.props, "egress").length > 0) {
        report(`${group.name} must have no rules.`, group.urn);
      }
    }
    for (const vpc of ofKind(resources, TOKENS.vpc)) {
      const managed = defaults.some((group) => referenced(group, "vpcId").some((target) => target.urn === vpc.urn));
      if (!managed) report(`VPC ${vpc.name} leaves its default security group's rules in place.`, vpc.urn);
    }
  },
});

export const securityGroupPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  publicIngressWebOnly,
  dataTierIngress,
  ruleDescriptions,
  noUnrestrictedEgress,
  defaultGroupEmpty,
];
