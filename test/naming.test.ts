import { expect } from "chai";
import * as aws from "../components/lib/aws";
import type * as pulumi from "@pulumi/pulumi";
import { AWS_NAME_RULES, fittedName, nameProblems, physicalName } from "../components/lib/aws-names";
import { FargateService } from "../components/compute/fargate-service";
import { Certificate } from "../components/dns/certificate";
import { ProgramFailed, runProgram, type StackRun } from "../offline/harness";
import { minimalServiceArgs } from "./fixtures/service";
import { AwsMocks } from "../offline/mocks";
import { STACKS, ofType, stackConfig, stackRun } from "./helpers";

/** What the mocks say about one registration: the names they would give it and what AWS would reject. */
function register(type: string, name: string, inputs: Record<string, unknown>) {
  const mocks = new AwsMocks("us-east-1");
  const { state } = mocks.newResource({ type, name, inputs, custom: true });
  // Region rules (test/alerting.test.ts, test/regions.test.ts) are not these tests' concern.
  return { state, violations: mocks.rejections.filter((rejection) => !rejection.includes(" is served in ")) };
}

function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((done) => output.apply((value) => done(value)));
}

describe("physical names: AWS's rules, enforced by the offline mocks", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      before(async () => (run = await stackRun(stack)));

      it("gives every named resource a name its type accepts", () => {
        let checked = 0;
        for (const resource of run.resources) {
          for (const rule of AWS_NAME_RULES[resource.type] ?? []) {
            const name = resource.outputs[rule.property];
            if (typeof name !== "string") continue;
            expect(nameProblems(rule, name), `${resource.name}.${rule.property} = ${name}`).to.deep.equal([]);
            checked += 1;
          }
        }
        expect(checked).to.be.greaterThan(60);
      });

      it("names load balancers and target groups within ELB's 32 characters, readable and distinct", () => {
        const names = [
          ...ofType(run, "aws:lb/loadBalancer:LoadBalancer"),
          ...ofType(run, "aws:lb/targetGroup:TargetGroup"),
        ].map((resource) => String(resource.outputs.name));
        expect(names).to.have.length(6);
        expect(new Set(names).size).to.equal(6);
        for (const name of names) expect(name.length, name).to.be.at.most(32);
        const environment = stackConfig(stack).environment;
        expect(names.filter((name) => name.startsWith(`${environment}-frontend-green-`))).to.have.length(1);
        expect(names.filter((name) => name.startsWith(`${environment}-public-alb-`))).to.have.length(1);
      });

      it("generates names where the provider may, so replacements never collide with what they replace", () => {
        for (const type of ["aws:iam/role:Role", "aws:s3/bucket:Bucket", "aws:secretsmanager/secret:Secret"]) {
          for (const resource of ofType(run, type)) {
            const property = (AWS_NAME_RULES[type] ?? [])[0]?.property as string;
            if (resource.name.startsWith("cloudweave-ci-")) continue;
            // A replicated secret keeps its component's name: the standby finds its replica by it (ADR 24).
            if (type === "aws:secretsmanager/secret:Secret" && (resource.inputs.replicas as unknown[]).length > 0) {
              expect(resource.inputs[property], resource.name).to.equal(resource.name.replace(/-secret$/, ""));
              continue;
            }
            expect(resource.inputs[property], `${resource.name} has no fixed ${property}`).to.equal(undefined);
          }
        }
      });
    });
  }

  describe("a violation of each rule is caught, with the resource, the name, the limit and its source", () => {
    for (const [type, rules] of Object.entries(AWS_NAME_RULES)) {
      for (const rule of rules) {
        it(`${type} ${rule.property}`, () => {
          if (!Number.isFinite(rule.maxLength)) {
            // No documented maximum: the characters (or, with no character rule, the minimum length) are the rule.
            const bad = rule.allowed ? "not allowed!" : "";
            const { violations } = register(type, "logical", { [rule.property]: bad });
            expect(violations).to.have.length(1);
            expect(violations[0]).to.include(`${type} "logical"`);
            expect(violations[0]).to.include(rule.source);
            return;
          }
          const tooLong = `${rule.property === "name" && type.startsWith("aws:kms") ? "alias/" : ""}${"a".repeat(rule.maxLength)}b`;
          const { violations } = register(type, "logical", { [rule.property]: tooLong });
          expect(violations).to.have.length(1);
          expect(violations[0]).to.include(`${type} "logical"`);
          expect(violations[0]).to.include(`"${tooLong}"`);
          expect(violations[0]).to.include(`at most ${rule.maxLength} allowed`);
          expect(violations[0]).to.include(rule.source);
          if (rule.autoName) {
            const room = rule.autoName.maxLength - 8;
            expect(register(type, "n".repeat(room), {}).violations.join()).to.not.include("random chars");
            expect(register(type, "n".repeat(room + 1), {}).violations.join()).to.include(
              `plus 7 random chars is longer than maximum length ${rule.autoName.maxLength}`,
            );
          }
        });
      }
    }
  });

  describe("the limits that broke the first real preview", () => {
    it("target groups: the provider's 32-character auto-name", () => {
      const { violations } = register("aws:lb/targetGroup:TargetGroup", "cloudweave-production-frontend-green", {});
      expect(violations).to.deep.equal([
        `aws:lb/targetGroup:TargetGroup "cloudweave-production-frontend-green": name 'cloudweave-production-frontend-green-' plus 7 random chars is longer than maximum length 32 (target group name; pulumi-aws provider/aliases.go (AutoName("name", 32, "-")))`,
      ]);
      expect(register("aws:lb/targetGroup:TargetGroup", "n".repeat(24), {}).violations).to.deep.equal([]);
    });

    it("load balancers: Terraform's 32-character validator on the generated name", () => {
      const { state, violations } = register("aws:lb/loadBalancer:LoadBalancer", "cloudweave-staging-public-alb", {});
      expect(String(state.name)).to.match(/^cloudweave-staging-public-alb-[0-9a-f]{7}$/);
      expect(violations[0]).to.include("is 37 characters, at most 32 allowed");
      expect(violations[0]).to.include("internal/service/elbv2/validate.go");
      expect(register("aws:lb/loadBalancer:LoadBalancer", "x", { name: "internal-api" }).violations[0]).to.include(
        'must not begin with "internal-"',
      );
    });

    it("ElastiCache replication groups: 40 characters, a letter first, no double hyphen", () => {
      const type = "aws:elasticache/replicationGroup:ReplicationGroup";
      expect(register(type, "x", { replicationGroupId: "r".repeat(40) }).violations).to.deep.equal([]);
      expect(register(type, "x", { replicationGroupId: "r".repeat(41) }).violations).to.have.length(1);
      expect(register(type, "x", { replicationGroupId: "cloudweave--redis" }).violations[0]).to.include(
        "two consecutive hyphens",
      );
      const { state } = register(type, "CloudWeave-Redis", {});
      expect(String(state.replicationGroupId), "the provider lower-cases it").to.match(/^cloudweave-redis-/);
    });

    it("certificates: a domain name (the Common Name) of 64 characters at most", async () => {
      const type = "aws:acm/certificate:Certificate";
      const name = (length: number) => `${"o".repeat(length - ".cloudweave.io".length)}.cloudweave.io`;
      expect(register(type, "x", { domainName: name(64) }).violations).to.deep.equal([]);
      expect(register(type, "x", { domainName: name(65) }).violations[0]).to.include("is 65 characters, at most 64");
      // A domain that is valid DNS but too long for the load balancers' certificate (origin.<domain>).
      const longDomain = `${"s".repeat(45)}.cloudweave.io`;
      const failure = await runProgram("staging", () => {
        new Certificate("alb", { domainName: `origin.${longDomain}`, zoneId: "Z0123456789" });
      }).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(ProgramFailed);
      expect((failure as ProgramFailed).message).to.include(`certificate domain name "origin.${longDomain}"`);
    });

    it("refuses a resource type whose naming rules nobody has looked up", async () => {
      const failure = await runProgram("staging", () => {
        new aws.sqs.Queue("jobs", {});
      }).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(ProgramFailed);
      expect((failure as ProgramFailed).message).to.include(
        'aws:sqs/queue:Queue "jobs" has no naming rule: look up its name\'s limits',
      );
    });

    it("RDS identifiers (63), S3 buckets (63, lower case), backup vaults (50), X-Ray groups (32)", () => {
      expect(register("aws:rds/instance:Instance", "x", { identifier: "d".repeat(64) }).violations).to.have.length(1);
      expect(register("aws:rds/instance:Instance", "x", { identifier: "9db" }).violations[0]).to.include(
        "must begin with a letter",
      );
      expect(register("aws:s3/bucket:Bucket", "x", { bucket: "Logs" }).violations).to.have.length(1);
      expect(String(register("aws:s3/bucket:Bucket", "Edge-Logs", {}).state.bucket)).to.match(/^edge-logs-/);
      expect(register("aws:backup/vault:Vault", "x", { name: "v".repeat(51) }).violations).to.have.length(1);
      expect(register("aws:xray/group:Group", "x", { groupName: "g".repeat(33) }).violations).to.have.length(1);
    });
  });

  describe("physicalName: explicit names that fit", () => {
    const type = "aws:lb/targetGroup:TargetGroup";

    it("keeps the specific part of the name and a digest, within the limit", async () => {
      const name = await resolve(physicalName(type, "cloudweave-production-frontend-green", [80]));
      expect(name).to.match(/^production-frontend-green-[0-9a-f]{6}$/);
      expect(name.length).to.be.at.most(32);
      const long = await resolve(physicalName(type, "cloudweave-production-dr-frontend-green-extra", [80]));
      expect(long.length).to.be.at.most(32);
      expect(nameProblems((AWS_NAME_RULES[type] ?? [])[0]!, long)).to.deep.equal([]);
    });

    it("drops segments until the name is one AWS accepts, and says when none is", () => {
      const loadBalancer = "aws:lb/loadBalancer:LoadBalancer";
      // "production-internal-api-alb-…" is too long, "internal-…" is a prefix ELB reserves for its DNS names.
      expect(fittedName(loadBalancer, "cloudweave-production-internal-api-alb", "abc123")).to.equal("api-alb-abc123");
      expect(() => fittedName(loadBalancer, "internal", "abc123")).to.throw(
        'no load balancer name can be made from "internal": "internal-abc123" must not begin with "internal-"',
      );
      expect(() => fittedName(loadBalancer, "api_alb", "abc123")).to.throw(
        /may contain only letters, digits and hyphens/,
      );
    });

    it("is stable, and changes with any input that replaces the resource", async () => {
      const base = "cloudweave-staging-backend-blue";
      const first = await resolve(physicalName(type, base, ["vpc-1", 3001]));
      expect(await resolve(physicalName(type, base, ["vpc-1", 3001]))).to.equal(first);
      expect(await resolve(physicalName(type, base, ["vpc-2", 3001]))).to.not.equal(first);
      expect(await resolve(physicalName(type, base, ["vpc-1", 3002]))).to.not.equal(first);
    });

    it("gives a stack's target groups the same names on every run: no diff on the next preview", async () => {
      const before = await stackRun("staging");
      const blueOf = (run: StackRun, name = "cloudweave-staging-backend-blue") =>
        ofType(run, "aws:lb/targetGroup:TargetGroup").find((tg) => tg.name === name);
      expect(String(blueOf(before)?.outputs.name)).to.match(/^staging-backend-blue-[0-9a-f]{6}$/);
      // The same service declared twice with the same inputs, as two previews would: the same names.
      const declare = () => runProgram("staging", () => void new FargateService("web", minimalServiceArgs()));
      const [first, second] = [await declare(), await declare()];
      expect(blueOf(first, "web-blue")?.outputs.name, "same inputs, same name").to.equal(
        blueOf(second, "web-blue")?.outputs.name,
      );
    });
  });
});

describe("the account a provider may act in", () => {
  it("is refused, as the provider refuses it, when the credentials belong to another account", () => {
    const mocks = new AwsMocks("us-east-1", "444455556666");
    const provider = (allowedAccountIds: string[] | undefined) =>
      mocks.newResource({
        type: "pulumi:providers:aws",
        name: "second-region",
        inputs: { region: "us-west-2", ...(allowedAccountIds ? { allowedAccountIds } : {}) },
        custom: true,
      });
    provider(["444455556666"]);
    expect(mocks.rejections).to.deep.equal([]);
    provider(["111122223333"]);
    expect(mocks.rejections).to.deep.equal([
      'provider "second-region": AWS account ID not allowed: 444455556666 (allowedAccountIds 111122223333)',
    ]);
  });
});
