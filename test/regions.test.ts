import { expect } from "chai";
import { readStackSettings, runStack, type StackRun } from "../offline/harness";
import { AwsMocks, REGION_RULES, type DeclaredResource } from "../offline/mocks";
import { STACKS, ofType, single, stackConfig, stackRun } from "./helpers";

/** Services whose ARNs name no region: IAM, Route 53 and CloudFront are global, S3 bucket ARNs omit it. */
// Budgets too: arn:${Partition}:budgets::${Account}:budget/${BudgetName} (Service Authorization Reference, AWS Budgets).
const REGIONLESS_ARNS = ["iam", "route53", "cloudfront", "s3", "budgets"];

/** The region field of every ARN the mocks gave the resource (its own and those it computed). */
function arnRegions(resource: DeclaredResource): { service: string; region: string }[] {
  const own = resource.outputs.arn;
  if (typeof own !== "string" || !own.startsWith("arn:")) return [];
  const [, , service = "", region = ""] = own.split(":");
  return [{ service, region }];
}

function expectInRegion(run: StackRun) {
  let checked = 0;
  for (const resource of run.resources.filter((r) => r.custom)) {
    for (const { service, region } of arnRegions(resource)) {
      const expected = REGIONLESS_ARNS.includes(service) ? "" : resource.region;
      expect(region, `${resource.type} ${resource.name}: ${String(resource.outputs.arn)}`).to.equal(expected);
      checked += 1;
    }
  }
  expect(checked).to.be.greaterThan(100);
}

describe("regions: every resource answers in the region of the provider it is created through", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      before(async () => (run = await stackRun(stack)));

      it("gives each ARN the resource's region, and the global services none", () => expectInRegion(run));

      it("keeps CloudFront's certificate, the WAF and the edge logs in us-east-1 (a standby has none)", () => {
        if (stackConfig(stack).disasterRecovery?.role === "standby") {
          expect(ofType(run, "aws:cloudfront/distribution:Distribution")).to.deep.equal([]);
          return;
        }
        const waf = single(run, "aws:wafv2/webAcl:WebAcl");
        expect(waf.region).to.equal("us-east-1");
        expect(String(waf.outputs.arn)).to.match(/^arn:aws:wafv2:us-east-1:\d{12}:global\/webacl\//);
        const distribution = single(run, "aws:cloudfront/distribution:Distribution");
        expect(String(distribution.outputs.arn)).to.match(/^arn:aws:cloudfront::\d{12}:distribution\//);
        expect(distribution.outputs.hostedZoneId).to.equal("Z2FDTNDATAQYW2");
      });
    });
  }

  it("creates production's disaster-recovery key, vault and backup replication in us-west-2", async () => {
    const run = await stackRun("production");
    const inDr = run.resources.filter((resource) => resource.custom && resource.region === "us-west-2");
    expect(inDr.map((resource) => resource.type).sort()).to.include.members([
      "aws:backup/vault:Vault",
      "aws:kms/key:Key",
      "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    ]);
    const drKey = single(run, "aws:kms/key:Key", "cloudweave-production-backup-dr-key");
    expect(String(drKey.outputs.arn)).to.match(/^arn:aws:kms:us-west-2:/);
    const drVault = ofType(run, "aws:backup/vault:Vault").find((vault) => vault.region === "us-west-2");
    expect(String(drVault?.outputs.arn)).to.match(/^arn:aws:backup:us-west-2:\d{12}:backup-vault:/);
  });

  it("answers a stack in us-west-2 with that region's endpoints, and CloudFront's parts still in us-east-1", async () => {
    const settings = readStackSettings("staging");
    const vpc = settings["cloudweave:vpc"] as { availabilityZones: string[] };
    const backup = settings["cloudweave:backup"] as object;
    const run = await runStack("staging", {
      configOverrides: {
        "aws:region": "us-west-2",
        "cloudweave:vpc": { ...vpc, availabilityZones: ["us-west-2a", "us-west-2b", "us-west-2c"] },
        "cloudweave:backup": { ...backup, drRegion: "us-east-1" },
      },
    });
    expectInRegion(run);
    expect(single(run, "aws:ec2/vpc:Vpc").region).to.equal("us-west-2");
    expect(String(single(run, "aws:rds/instance:Instance").outputs.address)).to.match(
      /\.us-west-2\.rds\.amazonaws\.com$/,
    );
    expect(
      String(single(run, "aws:elasticache/replicationGroup:ReplicationGroup").outputs.primaryEndpointAddress),
    ).to.match(/\.usw2\.cache\.amazonaws\.com$/);
    for (const lb of ofType(run, "aws:lb/loadBalancer:LoadBalancer")) {
      expect(lb.outputs.zoneId, "us-west-2's ALB hosted zone").to.equal("Z1H1FL5HABSF5");
      expect(String(lb.outputs.dnsName)).to.match(/\.us-west-2\.elb\.amazonaws\.com$/);
    }
    expect(single(run, "aws:wafv2/webAcl:WebAcl").region).to.equal("us-east-1");
    const certificates = ofType(run, "aws:acm/certificate:Certificate");
    expect(certificates.map((certificate) => certificate.region).sort()).to.deep.equal(["us-east-1", "us-west-2"]);
    const logBucketPolicy = ofType(run, "aws:s3/bucketPolicy:BucketPolicy").find((policy) =>
      String(policy.inputs.policy).includes("LoadBalancerLogDelivery"),
    );
    expect(String(logBucketPolicy?.inputs.policy), "us-west-2's ELB log-delivery account").to.include(
      "arn:aws:iam::797873946194:root",
    );
  });

  describe("services AWS serves from some regions only", () => {
    const SAMPLE_INPUTS: Record<string, Record<string, unknown>> = {
      "aws:wafv2/webAcl:WebAcl": { scope: "CLOUDFRONT" },
      "aws:cloudwatch/logDeliverySource:LogDeliverySource": {
        resourceArn: "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE",
      },
    };
    for (const rule of REGION_RULES) {
      it(`${rule.type}: only in ${rule.regions.join(", ")}`, () => {
        const outside = ["us-east-1", "us-east-2", "us-west-2", "eu-central-1"].find((r) => !rule.regions.includes(r))!;
        const register = (region: string) => {
          const mocks = new AwsMocks(region);
          mocks.newResource({
            type: rule.type,
            name: "subject",
            inputs: { ...SAMPLE_INPUTS[rule.type] },
            custom: true,
          });
          return mocks.rejections.filter((rejection) => rejection.includes(" is served in "));
        };
        expect(register(rule.regions[0]!)).to.deep.equal([]);
        const [rejection] = register(outside);
        expect(rejection).to.include(`created in ${outside}, but ${rule.what} is served in`);
        expect(rejection).to.include(rule.source);
      });
    }
  });
});
