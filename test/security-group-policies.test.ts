import { expect } from "chai";
import * as aws from "../components/lib/aws";
import { runProgram } from "../offline/harness";
import { evaluatePolicies, type PackConfig } from "../offline/policies";
import { policies } from "../policy-pack/policies";

type Declare = () => void;

/** The violations of one policy (resource name and message) when a small program declares `declare`. */
async function violationsOf(policy: string, declare: Declare, config: PackConfig = {}) {
  const run = await runProgram("staging", declare);
  const only = policies.filter((candidate) => candidate.name === policy);
  const report = await evaluatePolicies(run, only, config);
  return report.violations.map((violation) => ({ name: violation.resource?.name, message: violation.message }));
}

const group = (name: string, args: Partial<aws.ec2.SecurityGroupArgs> = {}) =>
  new aws.ec2.SecurityGroup(name, { description: `${name} group`, vpcId: "vpc-1", ...args });

/** An ingress rule resource on `target` (the kind the Network component declares). */
const ingress = (name: string, target: aws.ec2.SecurityGroup, args: Partial<aws.vpc.SecurityGroupIngressRuleArgs>) =>
  new aws.vpc.SecurityGroupIngressRule(name, {
    securityGroupId: target.id,
    ipProtocol: "tcp",
    description: name,
    ...args,
  });
const egress = (name: string, target: aws.ec2.SecurityGroup, args: Partial<aws.vpc.SecurityGroupEgressRuleArgs>) =>
  new aws.vpc.SecurityGroupEgressRule(name, {
    securityGroupId: target.id,
    ipProtocol: "tcp",
    description: name,
    ...args,
  });

describe("security-group policies, case by case", () => {
  describe("sg-public-ingress-web-only", () => {
    const check = (declare: Declare, config?: PackConfig) =>
      violationsOf("sg-public-ingress-web-only", declare, config);

    it("lets an internet-facing load balancer's group open HTTP and HTTPS to everyone, IPv4 and IPv6", async () => {
      expect(
        await check(() => {
          const alb = group("alb");
          new aws.lb.LoadBalancer("public", { internal: false, securityGroups: [alb.id], subnets: ["s-1"] });
          ingress("alb-https", alb, { fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" });
          ingress("alb-http6", alb, { fromPort: 80, toPort: 80, cidrIpv6: "::/0" });
          ingress("alb-private", alb, { fromPort: 8443, toPort: 8443, cidrIpv4: "10.0.0.0/8" });
        }),
      ).to.deep.equal([]);
    });

    it("refuses anything else open to everyone: other ports, ranges, all traffic, internal or unattached groups", async () => {
      const found = await check(() => {
        const alb = group("alb");
        new aws.lb.LoadBalancer("public", { internal: false, securityGroups: [alb.id], subnets: ["s-1"] });
        const internal = group("internal");
        new aws.lb.LoadBalancer("private", { internal: true, securityGroups: [internal.id], subnets: ["s-1"] });
        const tasks = group("tasks");
        ingress("alb-ssh", alb, { fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" });
        ingress("alb-range", alb, { fromPort: 80, toPort: 443, cidrIpv4: "0.0.0.0/0" });
        ingress("alb-all", alb, { ipProtocol: "-1", cidrIpv6: "::/0" });
        ingress("internal-https", internal, { fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" });
        ingress("tasks-https", tasks, { fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" });
      });
      expect(found.map((violation) => violation.name).sort()).to.deep.equal([
        "alb-all",
        "alb-range",
        "alb-ssh",
        "internal-https",
        "tasks-https",
      ]);
      expect(found.find((violation) => violation.name === "alb-range")?.message).to.equal(
        "alb-range admits tcp/80-443 from 0.0.0.0/0; only 80/443 on an internet-facing load balancer's group may be open.",
      );
      expect(found.find((violation) => violation.name === "alb-all")?.message).to.include(
        "admits all traffic from ::/0",
      );
    });

    it("takes the open ports from the pack config", async () => {
      const declare = () => {
        const alb = group("alb");
        new aws.lb.LoadBalancer("public", { internal: false, securityGroups: [alb.id], subnets: ["s-1"] });
        ingress("alb-http", alb, { fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" });
      };
      expect(await check(declare, { "sg-public-ingress-web-only": { allowedPorts: [443] } })).to.have.length(1);
      expect(await check(declare)).to.deep.equal([]);
    });

    it("reads inline and legacy rules as well", async () => {
      const found = await check(() => {
        const inline = group("inline", {
          ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"], description: "db" }],
        });
        new aws.ec2.SecurityGroupRule("legacy", {
          type: "ingress",
          securityGroupId: inline.id,
          protocol: "tcp",
          fromPort: 6379,
          toPort: 6379,
          ipv6CidrBlocks: ["::/0"],
          description: "cache",
        });
        new aws.ec2.SecurityGroupRule("legacy-egress", {
          type: "egress",
          securityGroupId: inline.id,
          protocol: "tcp",
          fromPort: 22,
          toPort: 22,
          cidrBlocks: ["0.0.0.0/0"],
          description: "out, not in",
        });
      });
      expect(found.map((violation) => violation.name).sort()).to.deep.equal(["inline", "legacy"]);
    });
  });

  describe("rules however declared: legacy rule resources and inline blocks", () => {
    it("reads direction, protocol, ports, peers, prefix lists and descriptions from each form", async () => {
      const declare = () => {
        const db = group("db");
        const backend = group("backend", { tags: { Tier: "backend" } });
        new aws.rds.Instance("store", {
          engine: "postgres",
          instanceClass: "db.t3.micro",
          allocatedStorage: 20,
          vpcSecurityGroupIds: [db.id],
        });
        new aws.ecs.Service("api", { networkConfiguration: { subnets: ["s-1"], securityGroups: [backend.id] } });
        // Legacy rules: egress by `type`, all traffic when no protocol is named, peers by sourceSecurityGroupId.
        new aws.ec2.SecurityGroupRule("legacy-out-all", {
          type: "egress",
          securityGroupId: backend.id,
          protocol: "-1",
          fromPort: 0,
          toPort: 0,
          cidrBlocks: ["0.0.0.0/0"],
          description: "everything out",
        });
        new aws.ec2.SecurityGroupRule("legacy-db-from-backend", {
          type: "ingress",
          securityGroupId: db.id,
          protocol: "tcp",
          fromPort: 5432,
          toPort: 5432,
          sourceSecurityGroupId: backend.id,
          description: "PostgreSQL from the backend",
        });
        new aws.ec2.SecurityGroupRule("legacy-db-from-list", {
          type: "ingress",
          securityGroupId: db.id,
          protocol: "tcp",
          fromPort: 5432,
          toPort: 5432,
          prefixListIds: ["pl-1"],
        });
        group("inline-list", {
          ingress: [
            { protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: ["pl-2"], description: "from a list" },
          ],
          egress: [{ protocol: "tcp", fromPort: 80, toPort: 81, cidrBlocks: ["0.0.0.0/0"], description: "web out" }],
        });
      };
      const egress = await violationsOf("sg-no-unrestricted-egress", declare);
      expect(egress.map((violation) => violation.message)).to.have.members([
        "legacy-out-all allows all traffic out to anywhere; only 443 may leave for the internet.",
        "inline-list allows tcp/80-81 out to anywhere; only 443 may leave for the internet.",
      ]);
      const dataTier = await violationsOf("data-tier-ingress-from-app-tier", declare);
      expect(dataTier).to.deep.equal([
        {
          name: "legacy-db-from-list",
          message:
            "legacy-db-from-list lets a prefix list into data-tier group db; only the backend tasks' group and rotation functions may connect.",
        },
      ]);
      const descriptions = await violationsOf("sg-rule-descriptions", declare);
      expect(descriptions).to.deep.equal([
        { name: "legacy-db-from-list", message: "description must say what the group or rule is for." },
      ]);
      // Ingress is not egress: nothing the public-ingress policy objects to here (no rule is open to everyone).
      expect(await violationsOf("sg-public-ingress-web-only", declare)).to.deep.equal([]);
    });

    it("lets the pack config name the tier that may reach the data stores", async () => {
      const found = await violationsOf(
        "data-tier-ingress-from-app-tier",
        () => {
          const db = group("db");
          const worker = group("worker", { tags: { Tier: "worker" } });
          new aws.rds.Instance("store", {
            engine: "postgres",
            instanceClass: "db.t3.micro",
            allocatedStorage: 20,
            vpcSecurityGroupIds: [db.id],
          });
          new aws.ecs.Service("jobs", { networkConfiguration: { subnets: ["s-1"], securityGroups: [worker.id] } });
          ingress("from-worker", db, { fromPort: 5432, toPort: 5432, referencedSecurityGroupId: worker.id });
          // An egress rule on the data group is not an ingress into it.
          egress("db-out", db, { fromPort: 443, toPort: 443, cidrIpv4: "10.0.0.0/8" });
        },
        { "data-tier-ingress-from-app-tier": { sourceTier: "worker" } },
      );
      expect(found).to.deep.equal([]);
    });
  });

  describe("sg-no-unrestricted-egress", () => {
    const check = (declare: Declare, config?: PackConfig) => violationsOf("sg-no-unrestricted-egress", declare, config);

    it("lets any tier reach the internet on 443 and other tiers on any port, nothing else out to anywhere", async () => {
      const found = await check(() => {
        const tasks = group("tasks");
        const db = group("db");
        egress("https-out", tasks, { fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" });
        egress("db-out", tasks, { fromPort: 5432, toPort: 5432, referencedSecurityGroupId: db.id });
        egress("vpc-out", tasks, { fromPort: 8080, toPort: 8080, cidrIpv4: "10.0.0.0/16" });
        egress("http-out", tasks, { fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" });
        egress("all-out", tasks, { ipProtocol: "-1", cidrIpv6: "::/0" });
        group("inline", { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] });
      });
      expect(found.map((violation) => violation.name).sort()).to.deep.equal(["all-out", "http-out", "inline"]);
      expect(found.find((violation) => violation.name === "http-out")?.message).to.equal(
        "http-out allows tcp/80 out to anywhere; only 443 may leave for the internet.",
      );
    });

    it("takes the internet ports from the pack config", async () => {
      const declare = () => egress("http-out", group("tasks"), { fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" });
      expect(await check(declare, { "sg-no-unrestricted-egress": { internetPorts: [80, 443] } })).to.deep.equal([]);
      expect(await check(declare)).to.have.length(1);
    });
  });

  describe("data-tier-ingress-from-app-tier", () => {
    const check = (declare: Declare) => violationsOf("data-tier-ingress-from-app-tier", declare);
    /** A database in `dataGroup`, and an ECS service in each given group. */
    const tiers = (dataGroup: aws.ec2.SecurityGroup, services: aws.ec2.SecurityGroup[]) => {
      new aws.rds.Instance("db", {
        engine: "postgres",
        instanceClass: "db.t3.micro",
        allocatedStorage: 20,
        vpcSecurityGroupIds: [dataGroup.id],
      });
      services.forEach(
        (serviceGroup, index) =>
          new aws.ecs.Service(`svc-${index}`, {
            networkConfiguration: { subnets: ["s-1"], securityGroups: [serviceGroup.id] },
          }),
      );
    };

    it("admits the backend tasks' group and nothing else into a data store's group", async () => {
      const found = await check(() => {
        const db = group("db");
        const backend = group("backend", { tags: { Tier: "backend" } });
        const frontend = group("frontend", { tags: { Tier: "frontend" } });
        const lonely = group("lonely", { tags: { Tier: "backend" } });
        tiers(db, [backend, frontend]);
        ingress("from-backend", db, { fromPort: 5432, toPort: 5432, referencedSecurityGroupId: backend.id });
        ingress("from-frontend", db, { fromPort: 5432, toPort: 5432, referencedSecurityGroupId: frontend.id });
        ingress("from-no-service", db, { fromPort: 5432, toPort: 5432, referencedSecurityGroupId: lonely.id });
        ingress("from-vpc", db, { fromPort: 5432, toPort: 5432, cidrIpv4: "10.0.0.0/16" });
        ingress("from-list", db, { fromPort: 5432, toPort: 5432, prefixListId: "pl-1" });
        // Rules on other groups are not this policy's business.
        ingress("backend-from-vpc", backend, { fromPort: 3001, toPort: 3001, cidrIpv4: "10.0.0.0/16" });
      });
      expect(found.map((violation) => violation.name).sort()).to.deep.equal([
        "from-frontend",
        "from-list",
        "from-no-service",
        "from-vpc",
      ]);
      const message = (name: string) => found.find((violation) => violation.name === name)?.message;
      expect(message("from-vpc")).to.equal(
        "from-vpc lets 10.0.0.0/16 into data-tier group db; only the backend tasks' group and rotation functions may connect.",
      );
      expect(message("from-list")).to.include("lets a prefix list into");
      expect(message("from-frontend")).to.include("lets group frontend into");
    });
  });

  describe("sg-rule-descriptions", () => {
    it("wants a description on every group, rule resource and inline rule", async () => {
      const found = await violationsOf("sg-rule-descriptions", () => {
        const described = group("described", {
          ingress: [{ protocol: "tcp", fromPort: 1, toPort: 1, cidrBlocks: ["10.0.0.0/8"], description: "why" }],
        });
        group("blank", { description: " " });
        group("inline-undescribed", {
          egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
        });
        ingress("rule-undescribed", described, { fromPort: 2, toPort: 2, cidrIpv4: "10.0.0.0/8", description: "" });
        ingress("rule-described", described, { fromPort: 3, toPort: 3, cidrIpv4: "10.0.0.0/8" });
      });
      expect(found).to.deep.equal([
        { name: "blank", message: "description must say what the group or rule is for." },
        { name: "inline-undescribed", message: "egress[0] has no description." },
        { name: "rule-undescribed", message: "description must say what the group or rule is for." },
      ]);
    });
  });

  describe("default-security-group-empty", () => {
    it("wants every VPC's default group managed and empty", async () => {
      const found = await violationsOf("default-security-group-empty", () => {
        const managed = new aws.ec2.Vpc("managed", { cidrBlock: "10.0.0.0/16" });
        new aws.ec2.DefaultSecurityGroup("managed-default", { vpcId: managed.id, ingress: [], egress: [] });
        const leaky = new aws.ec2.Vpc("leaky", { cidrBlock: "10.1.0.0/16" });
        new aws.ec2.DefaultSecurityGroup("leaky-default", {
          vpcId: leaky.id,
          egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        });
        new aws.ec2.Vpc("unmanaged", { cidrBlock: "10.2.0.0/16" });
        const open = new aws.ec2.Vpc("open", { cidrBlock: "10.3.0.0/16" });
        new aws.ec2.DefaultSecurityGroup("open-default", {
          vpcId: open.id,
          ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }],
        });
      });
      expect(found).to.have.deep.members([
        { name: "leaky-default", message: "leaky-default must have no rules." },
        { name: "open-default", message: "open-default must have no rules." },
        { name: "unmanaged", message: "VPC unmanaged leaves its default security group's rules in place." },
      ]);
    });
  });
});
