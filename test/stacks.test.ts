import { expect } from "chai";
import { readStackSettings, stackNames, type StackRun } from "../offline/harness";
import { SecretValue, allowedAccounts } from "../offline/mocks";
import { LAMBDA_RUNTIME } from "../functions/bundle";
import { evaluate, type PolicyDocument } from "./iam-evaluator";
import {
  GAME_DAY_STACKS,
  STACKS,
  prefixOf,
  isIdleStandby,
  hasEdge,
  stackConfig,
  json,
  byArn,
  ofType,
  single,
  stackRun,
} from "./helpers";

describe("whole stacks on mocks", () => {
  it("covers every stack file in the project (game-day standbys in the pair tests)", () => {
    expect(stackNames()).to.deep.equal([...STACKS, ...GAME_DAY_STACKS].sort());
  });

  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      before(async () => (run = await stackRun(stack)));

      it("runs index.ts to completion as one stack", () => {
        expect(run.project).to.equal("cloudweave");
        const root = single(run, "pulumi:pulumi:Stack");
        expect(root.name).to.equal(`cloudweave-${stack}`);
        expect(run.resources.filter((resource) => resource.parent === undefined)).to.deep.equal([root]);
      });

      it("declares every cloud resource inside a cloudweave component, named after it", () => {
        const components = new Map(
          run.resources.filter((resource) => !resource.custom && resource.parent).map((c) => [c.urn, c]),
        );
        for (const component of components.values()) {
          expect(component.type, component.name).to.match(/^cloudweave:[a-z]+:[A-Z][A-Za-z]+$/);
          expect(component.name.startsWith(`${prefixOf(stack)}`), component.name).to.equal(true);
        }
        for (const resource of run.resources.filter((r) => r.custom)) {
          const parent = components.get(resource.parent ?? "");
          expect(parent, `${resource.type} ${resource.name} has a component parent`).to.not.equal(undefined);
          expect(resource.name.startsWith(`${parent?.name}-`), resource.name).to.equal(true);
        }
      });

      it("lets every AWS provider act in the stack's own account only", () => {
        const [account] = JSON.parse(run.config["aws:allowedAccountIds"] ?? "[]") as string[];
        expect(run.accountId).to.equal(account);
        // Explicit providers read none of the stack's aws:* settings: each must be given the account itself. A
        // standby has none: nothing of it lives outside its region (test/disaster-recovery.test.ts).
        const providers = ofType(run, "pulumi:providers:aws");
        expect(providers.length > 0, "explicit providers").to.equal(hasEdge(stack));
        for (const provider of providers)
          expect(allowedAccounts(provider.inputs.allowedAccountIds), provider.name).to.deep.equal([account]);
      });

      it("gives every IAM role the environment's permissions boundary, the only one its deploy role may create", () => {
        // One boundary per environment (bootstrap: GitHubOidcRoles): a standby shares its primary's.
        const boundary = `arn:aws:iam::${run.accountId}:policy/cloudweave-ci-boundary-${stackConfig(stack).environment}`;
        const roles = ofType(run, "aws:iam/role:Role");
        expect(roles).to.have.length.greaterThan(5);
        for (const role of roles) {
          expect(role.inputs.permissionsBoundary, role.name).to.equal(boundary);
          // The deploy role manages roles under the stack's prefix only.
          expect(String(role.outputs.name), role.name).to.match(new RegExp(`^${prefixOf(stack)}-`));
        }
      });

      it("runs every Lambda function bundled on arm64, logging JSON to its own encrypted group, and no other's", () => {
        const functions = ofType(run, "aws:lambda/function:Function");
        // The rotations (one per rotated secret) and the release checks.
        expect(functions.length, "functions").to.be.greaterThan(5);
        const groups = ofType(run, "aws:cloudwatch/logGroup:LogGroup");
        for (const fn of functions) {
          expect(fn.inputs, fn.name).to.deep.include({
            runtime: LAMBDA_RUNTIME,
            handler: "index.handler",
            architectures: ["arm64"],
          });
          const logging = fn.inputs.loggingConfig as { logGroup: string; logFormat: string };
          expect(logging.logFormat, fn.name).to.equal("JSON");
          const group = groups.find((candidate) => candidate.outputs.name === logging.logGroup);
          expect(group?.inputs.kmsKeyId, `${fn.name}'s log group is encrypted`).to.be.a("string");
          expect(
            functions.filter(
              (other) => (other.inputs.loggingConfig as { logGroup: string }).logGroup === logging.logGroup,
            ),
            `${fn.name}'s log group is its own`,
          ).to.have.length(1);

          const role = byArn(run, fn.inputs.role);
          const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy")
            .filter((policy) => policy.inputs.role === role.outputs.name)
            .map((policy) => json<PolicyDocument>(policy, "policy"));
          const can = (action: string, resource: string) =>
            evaluate({ identityPolicies: policies }, { principalArn: String(role.outputs.arn), action, resource }) ===
            "allow";
          for (const other of groups) {
            expect(
              can("logs:PutLogEvents", `${String(other.outputs.arn)}:log-stream:2026/11/26/x`),
              `${fn.name} writes to ${other.name}`,
            ).to.equal(other === group);
          }
          // Lambda creates a VPC function's network interfaces with its execution role: only those may.
          expect(can("ec2:CreateNetworkInterface", "*"), `${fn.name} manages network interfaces`).to.equal(
            fn.inputs.vpcConfig !== undefined,
          );
        }
      });

      it("encrypts every kind of data with its own rotating customer-managed key", () => {
        const keys = ofType(run, "aws:kms/key:Key");
        expect(keys.map((key) => key.name).sort()).to.deep.equal(
          [
            "alerts",
            ...(stack === "production" ? ["backup-dr"] : []),
            "backup-vault",
            "cache",
            "database",
            // A standby pulls the primary's images: no images key of its own.
            ...(hasEdge(stack) ? ["images"] : []),
            "logs",
            "secrets",
          ].map((purpose) => `${prefixOf(stack)}-${purpose}-key`),
        );
        for (const key of keys) expect(key.inputs, key.name).to.include({ enableKeyRotation: true });
        const keyOf = (purpose: string) =>
          single(run, "aws:kms/key:Key", `${prefixOf(stack)}-${purpose}-key`).outputs.arn;

        for (const logGroup of ofType(run, "aws:cloudwatch/logGroup:LogGroup")) {
          expect(logGroup.inputs.kmsKeyId, logGroup.name).to.equal(keyOf("logs"));
        }
        const instance = single(run, "aws:rds/instance:Instance");
        expect(instance.inputs.kmsKeyId).to.equal(keyOf("database"));
        expect(instance.inputs.performanceInsightsKmsKeyId).to.equal(keyOf("database"));
        for (const group of ofType(run, "aws:elasticache/replicationGroup:ReplicationGroup")) {
          expect(group.inputs.kmsKeyId).to.equal(keyOf("cache"));
        }
        // A standby reads the primary's replicated origin-header and master secrets instead of holding its own.
        const secrets = ofType(run, "aws:secretsmanager/secret:Secret");
        expect(secrets).to.have.length(hasEdge(stack) ? 6 : 4);
        for (const secret of secrets) expect(secret.inputs.kmsKeyId, secret.name).to.equal(keyOf("secrets"));
        // A primary also keeps its repositories in the standby's region (under its images key's replica there); a
        // standby has none of its own.
        const repositories = ofType(run, "aws:ecr/repository:Repository").filter(
          (repository) => repository.region === stackConfig(stack).region,
        );
        expect(repositories).to.have.length(hasEdge(stack) ? 2 : 0);
        for (const repository of repositories) {
          expect(repository.inputs.encryptionConfigurations, repository.name).to.deep.equal([
            { encryptionType: "KMS", kmsKey: keyOf("images") },
          ]);
        }
      });

      it("lets each key be used only where its policy says", () => {
        const region = stackConfig(stack).region;
        type Statement = { Sid: string; Principal: Record<string, string>; Action: string[]; Condition?: unknown };
        const policyOf = (purpose: string) =>
          json<{ Statement: Statement[] }>(
            single(run, "aws:kms/key:Key", `${prefixOf(stack)}-${purpose}-key`),
            "policy",
          ).Statement;
        const root = { AWS: `arn:aws:iam::${run.accountId}:root` };
        for (const purpose of ["logs", "database", "cache", "secrets"]) {
          const [administration, usage, ...rest] = policyOf(purpose);
          expect(rest, purpose).to.deep.equal([]);
          expect(administration?.Principal).to.deep.equal(root);
          expect(
            administration?.Action,
            `${purpose}: the account administers but does not decrypt`,
          ).to.not.include.members(["kms:*", "kms:Decrypt", "kms:Encrypt"]);
          if (purpose === "logs") {
            expect(usage?.Principal).to.deep.equal({ Service: `logs.${region}.amazonaws.com` });
            expect(usage?.Condition).to.deep.equal({
              ArnLike: {
                "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${region}:${run.accountId}:log-group:*`,
              },
            });
          } else {
            const service = { database: "rds", cache: "elasticache", secrets: "secretsmanager" }[purpose];
            expect(usage?.Principal).to.deep.equal(root);
            expect(usage?.Condition).to.deep.equal({
              StringEquals: {
                "kms:CallerAccount": run.accountId,
                "kms:ViaService": [`${service}.${region}.amazonaws.com`],
              },
            });
          }
        }
      });

      it("keeps confused-deputy condition keys in trust policies only where each service documents sending them", () => {
        // Documented with aws:SourceAccount (and aws:SourceArn): flow logs, ECS tasks, FIS, SSM hybrid activations.
        // Documented without: ECS's load-balancer infrastructure role, AppConfig, AWS Backup, AWS Chatbot,
        // RDS enhanced monitoring — a key they do not send would make the role fail at its first use.
        const withKeys = [
          "vpc-flow-logs.amazonaws.com",
          "ecs-tasks.amazonaws.com",
          "fis.amazonaws.com",
          "ssm.amazonaws.com",
        ];
        const seen = new Set<string>();
        for (const role of ofType(run, "aws:iam/role:Role")) {
          const [statement, ...rest] = json<{
            Statement: { Principal: { Service?: string }; Condition?: { StringEquals?: Record<string, string> } }[];
          }>(role, "assumeRolePolicy").Statement;
          expect(rest, role.name).to.deep.equal([]);
          const service = statement?.Principal.Service;
          if (!service) continue;
          seen.add(service);
          if (withKeys.includes(service)) {
            expect(statement?.Condition?.StringEquals, role.name).to.deep.equal({
              "aws:SourceAccount": run.accountId,
            });
          } else {
            expect(statement?.Condition, `${role.name} (${service})`).to.equal(undefined);
          }
        }
        expect([...seen]).to.include.members(["ecs.amazonaws.com", "appconfig.amazonaws.com", "backup.amazonaws.com"]);
      });

      it("places the data stores in the network's database tier behind their own security groups", () => {
        const instance = single(run, "aws:rds/instance:Instance");
        expect(instance.inputs.dbSubnetGroupName).to.equal(single(run, "aws:rds/subnetGroup:SubnetGroup").outputs.name);
        const securityGroupIds = run.outputs.securityGroupIds as Record<string, string>;
        expect(instance.inputs.vpcSecurityGroupIds).to.deep.equal([securityGroupIds.database]);
        // An idle standby's cache group is created on recovery, into the subnet group that waits for it.
        const groups = ofType(run, "aws:elasticache/replicationGroup:ReplicationGroup");
        expect(groups).to.have.length(isIdleStandby(stack) ? 0 : 1);
        const subnetGroup = single(run, "aws:elasticache/subnetGroup:SubnetGroup");
        for (const group of groups) {
          expect(group.inputs.subnetGroupName).to.equal(subnetGroup.outputs.name);
          expect(group.inputs.securityGroupIds).to.deep.equal([securityGroupIds.cache]);
        }
      });

      it("exports every secret's ARN and no secret value", () => {
        // A standby's master secret is the primary's replica, and it has no edge: neither is declared here.
        const secretArns = {
          ...(run.outputs.secretArns as Record<string, string>),
          testTraffic: run.outputs.testTrafficSecretArn as string,
          ...(hasEdge(stack)
            ? {
                originVerify: (run.outputs.cdn as Record<string, string>).originVerifySecretArn,
                databaseMaster: run.outputs.databaseMasterSecretArn as string,
              }
            : {}),
        };
        const declared = ofType(run, "aws:secretsmanager/secret:Secret").map((secret) => secret.outputs.arn);
        expect(Object.values(secretArns).sort()).to.deep.equal([...declared].sort());
        const generated = [
          ...ofType(run, "random:index/randomPassword:RandomPassword").map((r) => r.outputs.result),
          ...ofType(run, "random:index/randomBytes:RandomBytes").map((r) => r.outputs.base64),
        ];
        // Master and application passwords, the Redis user's, the JWT key, the two header values (a standby: neither
        // the master's nor the origin header's, both the primary's).
        expect(generated).to.have.length(hasEdge(stack) ? 6 : 4);
        const outputs = JSON.stringify(run.outputs);
        for (const value of generated) {
          const clear = value instanceof SecretValue ? value.value : value;
          expect(clear).to.be.a("string").with.length.above(20);
          expect(outputs.includes(clear as string), "a generated secret leaked into the stack outputs").to.equal(false);
        }
      });

      it("takes the flow-log and service-log retention from the stack file", () => {
        const settings = readStackSettings(stack);
        const flowLogs = (settings["cloudweave:vpc"] as { flowLogs: { retentionInDays: number } }).flowLogs;
        const serviceLogs = settings["cloudweave:logs"] as { retentionInDays: number };
        for (const logGroup of ofType(run, "aws:cloudwatch/logGroup:LogGroup")) {
          const expected = logGroup.name.endsWith("-flow-logs") ? flowLogs : serviceLogs;
          expect(logGroup.inputs.retentionInDays, logGroup.name).to.equal(expected.retentionInDays);
        }
      });

      const protects = stackConfig(stack).deletionProtection;
      it(protects ? "protects stateful resources from deletion" : "leaves resources unprotected", () => {
        const protectedTypes = run.resources.filter((resource) => resource.protect).map((resource) => resource.type);
        const counts: Record<string, number> = {};
        for (const type of protectedTypes) counts[type] = (counts[type] ?? 0) + 1;
        expect(counts).to.deep.equal(
          stack === "production-dr"
            ? {
                // No copy vault or key in the other region, no cache group until recovered, no replicated secrets,
                // no repositories or images key (production keeps them here).
                "aws:backup/vault:Vault": 1,
                "aws:cloudwatch/logGroup:LogGroup": 8,
                "aws:ec2/vpc:Vpc": 1,
                "aws:kms/key:Key": 6,
                "aws:rds/instance:Instance": 1,
                "aws:s3/bucket:Bucket": 1,
                "aws:secretsmanager/secret:Secret": 4,
              }
            : protects
              ? {
                  "aws:backup/vault:Vault": 2,
                  "aws:cloudwatch/logGroup:LogGroup": 9,
                  "aws:ec2/vpc:Vpc": 1,
                  // Its repositories in both regions, its secrets and images keys' replicas in the standby's.
                  "aws:ecr/repository:Repository": 4,
                  "aws:elasticache/replicationGroup:ReplicationGroup": 1,
                  "aws:kms/key:Key": 8,
                  "aws:kms/replicaKey:ReplicaKey": 2,
                  "aws:rds/instance:Instance": 1,
                  "aws:s3/bucket:Bucket": 3,
                  "aws:secretsmanager/secret:Secret": 6,
                }
              : {},
        );
      });

      it("writes every IAM policy document in the policy language's current version", () => {
        // IAM accepts "2012-10-17" and the legacy "2008-10-17", which lacks policy variables; a document without a
        // Version is read as the legacy one (IAM User Guide, "IAM JSON policy elements: Version").
        const documents = run.resources.flatMap((resource) =>
          ["policy", "assumeRolePolicy"]
            .filter((key) => typeof resource.inputs[key] === "string" && String(resource.inputs[key]).startsWith("{"))
            .map((key) => ({
              where: `${resource.name}.${key}`,
              document: json<{ Version?: string; Statement?: unknown }>(resource, key),
            }))
            // IAM-language documents only (ECR lifecycle policies are JSON too, in another language).
            .filter(({ document }) => document.Statement !== undefined),
        );
        expect(documents.length).to.be.greaterThan(20);
        for (const { where, document } of documents) expect(document.Version, where).to.equal("2012-10-17");
      });

      it("exports the network's ids for the other tiers and operators", () => {
        const vpc = single(run, "aws:ec2/vpc:Vpc");
        expect(run.outputs.vpcId).to.equal(vpc.id);
        expect(run.outputs.environment).to.equal(stackConfig(stack).environment);
        const subnetsOf = (tier: string) =>
          ofType(run, "aws:ec2/subnet:Subnet")
            .filter((subnet) => (subnet.inputs.tags as Record<string, string>).Tier === tier)
            .map((subnet) => subnet.id);
        for (const [key, tier] of [
          ["publicSubnetIds", "public"],
          ["privateSubnetIds", "private"],
          ["databaseSubnetIds", "database"],
        ] as const) {
          expect(run.outputs[key], key).to.deep.equal(subnetsOf(tier));
          expect(run.outputs[key], key).to.have.length(3);
        }
        expect(run.outputs.natPublicIps).to.deep.equal(
          ofType(run, "aws:ec2/eip:Eip").map((address) => address.outputs.publicIp),
        );
        expect(run.outputs.natPublicIps).to.have.length(stackConfig(stack).vpc.natGateways === "one-per-az" ? 3 : 1);
        expect(Object.keys(run.outputs.securityGroupIds as object).sort()).to.deep.equal([
          "alb",
          "apiAlb",
          "backend",
          "cache",
          "database",
          "frontend",
          "releaseChecks",
          "rotation",
        ]);
        expect(
          ofType(run, "aws:ec2/securityGroup:SecurityGroup")
            .map((group) => group.id)
            .sort(),
        ).to.deep.equal(Object.values(run.outputs.securityGroupIds as object).sort());
      });
    });
  }
});
