import * as path from "node:path";
import { expect } from "chai";
import { parseBootstrapConfig } from "../bootstrap/config";
import { PROJECT_ROOT, readStackSettings, runStack, stackNames, type StackRun } from "../offline/harness";
import type { DeclaredResource } from "../offline/mocks";
import { checkStack } from "../offline/policies";
import { policies } from "../policy-pack/policies";
import { STACKS, json, ofType, single, stackConfig, type Statement } from "./helpers";
import { evaluate, type PolicyDocument } from "./iam-evaluator";

const BOOTSTRAP = path.join(PROJECT_ROOT, "bootstrap");

describe("bootstrap program (state backend and CI roles, one stack per account)", () => {
  it("has one bootstrap stack per account, listing every stack of that account, in its primary's region", () => {
    const bootstraps = stackNames(BOOTSTRAP).map((name) =>
      parseBootstrapConfig(readStackSettings(name, {}, BOOTSTRAP)),
    );
    for (const stack of STACKS) {
      const config = stackConfig(stack);
      const inAccount = bootstraps.filter((bootstrap) => bootstrap.accountId === config.accountId);
      expect(inAccount, stack).to.have.length(1);
      const [bootstrap] = inAccount;
      expect(bootstrap?.stacks, stack).to.deep.include({ name: stack, environment: config.environment });
      // The backend lives in the primary's region and is replicated to the standby's (drRegion).
      const part = config.disasterRecovery;
      const home = part?.role === "standby" ? part.primaryRegion : config.region;
      expect(bootstrap?.region, stack).to.equal(home);
      if (part) {
        expect(bootstrap?.drRegion, stack).to.equal(part.role === "standby" ? config.region : config.backup.drRegion);
      }
    }
    // One account per stack: staging's deploy role has nothing in production's account to act on.
    expect(stackConfig("staging").accountId).to.not.equal(stackConfig("production").accountId);
  });

  it("refuses a bootstrap stack file whose default tags do not mark what it creates", () => {
    const settings = readStackSettings("staging", {}, BOOTSTRAP);
    const tags = (settings["aws:defaultTags"] as { tags: Record<string, string> }).tags;
    delete tags["cloudweave:bootstrap"];
    expect(() => parseBootstrapConfig(settings)).to.throw(
      /aws:defaultTags\.tags\.cloudweave:bootstrap: must be "true"/,
    );
  });

  for (const stack of stackNames(BOOTSTRAP)) {
    describe(`the ${stack} account`, () => {
      /** The stacks CI deploys into this account (a primary and its standby share one). */
      const listed = parseBootstrapConfig(readStackSettings(stack, {}, BOOTSTRAP)).stacks.map((entry) => entry.name);
      let run: StackRun;
      before(async () => {
        run = await runStack(stack, { projectDir: BOOTSTRAP });
      });

      const regionOf = (resource: DeclaredResource) => resource.region;
      const forBucket = (type: string, bucket: DeclaredResource) =>
        ofType(run, type).filter((resource) => resource.inputs.bucket === bucket.id);

      it("keeps state in a versioned, KMS-encrypted, private, TLS-only bucket named after the account and region", () => {
        const bucket = single(run, "aws:s3/bucket:Bucket", "cloudweave-pulumi-state");
        const stateKey = single(run, "aws:kms/key:Key", "cloudweave-pulumi-state-key");
        expect(bucket.inputs.bucket).to.equal(`cloudweave-pulumi-state-${run.accountId}-us-east-1`);
        expect(
          forBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", bucket)[0]
            ?.inputs.rules,
        ).to.deep.equal([
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: stateKey.outputs.arn },
            bucketKeyEnabled: true,
          },
        ]);
        expect(
          forBucket("aws:s3/bucketVersioning:BucketVersioning", bucket)[0]?.inputs.versioningConfiguration,
        ).to.deep.equal({ status: "Enabled" });
        expect(forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)[0]?.inputs).to.include({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        // Tag-based access control is on, so the CI roles' guardrail is judged on the bucket.
        expect(
          ofType(run, "aws:s3/bucketAbac:BucketAbac").find((abac) => abac.inputs.bucket === bucket.outputs.bucket)
            ?.inputs.abacStatus,
        ).to.deep.equal({ status: "Enabled" });
        const lifecycle = forBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket)[0];
        expect(
          (lifecycle?.inputs.rules as { noncurrentVersionExpiration: unknown }[])[0]?.noncurrentVersionExpiration,
        ).to.deep.equal({ noncurrentDays: 90 });
        const policy = forBucket("aws:s3/bucketPolicy:BucketPolicy", bucket)[0] as DeclaredResource;
        expect(json<{ Statement: Statement[] }>(policy, "policy").Statement[0]).to.deep.include({
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
        });
        expect(bucket.protect && stateKey.protect).to.equal(true);
        expect(run.outputs.backendUrl).to.equal(
          `s3://cloudweave-pulumi-state-${run.accountId}-us-east-1?region=us-east-1&awssdk=v2`,
        );
      });

      it("replicates the state bucket and the stack's secrets key to the second region, under the same alias", () => {
        const source = single(run, "aws:s3/bucket:Bucket", "cloudweave-pulumi-state");
        const replica = single(run, "aws:s3/bucket:Bucket", "cloudweave-pulumi-state-replica");
        expect(regionOf(replica)).to.equal("us-west-2");
        expect(replica.inputs.bucket).to.equal(`cloudweave-pulumi-state-${run.accountId}-us-west-2`);
        const replication = single(run, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        expect(replication.inputs.bucket).to.equal(source.id);
        const [rule] = replication.inputs.rules as {
          status: string;
          destination: { bucket: string; encryptionConfiguration: { replicaKmsKeyId: string } };
        }[];
        expect(rule?.status).to.equal("Enabled");
        expect(rule?.destination.bucket).to.equal(replica.outputs.arn);
        const replicaKey = single(run, "aws:kms/key:Key", "cloudweave-pulumi-state-replica-key");
        expect(regionOf(replicaKey)).to.equal("us-west-2");
        expect(rule?.destination.encryptionConfiguration.replicaKmsKeyId).to.equal(replicaKey.outputs.arn);

        for (const name of listed) {
          const secretsKey = single(run, "aws:kms/key:Key", `cloudweave-pulumi-secrets-${name}-key`);
          expect(secretsKey.inputs).to.include({ multiRegion: true, enableKeyRotation: true });
          const secretsReplica = single(
            run,
            "aws:kms/replicaKey:ReplicaKey",
            `cloudweave-pulumi-secrets-${name}-replica`,
          );
          expect(regionOf(secretsReplica)).to.equal("us-west-2");
          expect(secretsReplica.inputs.primaryKeyArn).to.equal(secretsKey.outputs.arn);
          expect(secretsReplica.inputs.policy).to.equal(secretsKey.inputs.policy);
          const aliases = ofType(run, "aws:kms/alias:Alias").filter(
            (alias) => alias.inputs.name === `alias/cloudweave-pulumi-secrets-${name}`,
          );
          expect(aliases.map((alias) => [regionOf(alias), alias.inputs.targetKeyId])).to.have.deep.members([
            ["us-east-1", secretsKey.outputs.keyId],
            ["us-west-2", secretsReplica.outputs.keyId],
          ]);
        }
        const providers = (region: string) =>
          Object.fromEntries(
            listed.map((name) => [name, `awskms://alias/cloudweave-pulumi-secrets-${name}?region=${region}`]),
          );
        expect(run.outputs.secretsProviders).to.deep.equal(providers("us-east-1"));
        expect(run.outputs.drSecretsProviders).to.deep.equal(providers("us-west-2"));
      });

      it("lets only each stack's CI roles and the configured operators use its secrets key directly", () => {
        for (const name of listed) {
          const statements = json<{ Statement: Statement[] }>(
            single(run, "aws:kms/key:Key", `cloudweave-pulumi-secrets-${name}-key`),
            "policy",
          ).Statement;
          const direct = statements.find((statement) => statement.Sid === "NamedPrincipalsUseTheKeyDirectly");
          expect(direct?.Condition).to.deep.equal({
            ArnLike: {
              "aws:PrincipalArn": [
                `arn:aws:iam::${run.accountId}:role/cloudweave-ci-deploy-${name}`,
                `arn:aws:iam::${run.accountId}:role/cloudweave-ci-preview`,
                "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_AdministratorAccess_*",
              ],
            },
          });
        }
      });

      it("trusts GitHub's OIDC provider for this repository only: pull requests preview, the environments deploy and flip flags", () => {
        const provider = single(run, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
        expect(provider.inputs).to.deep.include({
          url: "https://token.actions.githubusercontent.com",
          clientIdLists: ["sts.amazonaws.com"],
        });
        const subjects: Record<string, string> = {
          "cloudweave-ci-preview": "repo:cloudweave/infrastructure:pull_request",
          ...Object.fromEntries(
            listed.map((name) => [
              `cloudweave-ci-deploy-${name}`,
              `repo:cloudweave/infrastructure:environment:${name}`,
            ]),
          ),
          // Flag values have their own environment: its rules, not a release's approvals, gate them.
          ...Object.fromEntries(
            listed.map((name) => [
              `cloudweave-ci-flags-${name}`,
              `repo:cloudweave/infrastructure:environment:${name}-flags`,
            ]),
          ),
        };
        expect(ofType(run, "aws:iam/role:Role").map((role) => role.inputs.name)).to.include.members(
          Object.keys(subjects),
        );
        for (const [roleName, subject] of Object.entries(subjects)) {
          const role = ofType(run, "aws:iam/role:Role").find((candidate) => candidate.inputs.name === roleName);
          const [statement] = json<{ Statement: Statement[] }>(role!, "assumeRolePolicy").Statement;
          expect(statement?.Principal).to.deep.equal({ Federated: provider.outputs.arn });
          expect(statement?.Action).to.equal("sts:AssumeRoleWithWebIdentity");
          expect(statement?.Condition?.StringEquals).to.deep.equal({
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": subject,
          });
        }
        expect(run.outputs.deployRoleArns).to.have.keys(listed);
        expect(run.outputs.flagsRoleArns).to.have.keys(listed);
      });

      it("lets each flags role deploy flag values in AppConfig, and nothing else", () => {
        for (const name of listed) {
          const role = ofType(run, "aws:iam/role:Role").find(
            (candidate) => candidate.inputs.name === `cloudweave-ci-flags-${name}`,
          )!;
          const principal = {
            identityPolicies: ofType(run, "aws:iam/rolePolicy:RolePolicy")
              .filter((policy) => policy.inputs.role === role.outputs.name)
              .map((policy) => json<PolicyDocument>(policy, "policy")),
          };
          const application = `arn:aws:appconfig:us-east-1:${run.accountId}:application/abc1234`;
          const request = (action: string, resource: string, tags: Record<string, string> = {}) =>
            evaluate(principal, {
              principalArn: String(role.outputs.arn),
              action,
              resource,
              context: Object.fromEntries(
                Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]),
              ),
            });
          const environment = stackConfig(name).environment;
          expect(request("appconfig:ListApplications", "*"), name).to.equal("allow");
          expect(
            request("appconfig:CreateHostedConfigurationVersion", `${application}/configurationprofile/p1`),
          ).to.equal("allow");
          expect(
            request("appconfig:StartDeployment", `${application}/environment/e1`, { Environment: environment }),
          ).to.equal("allow");
          expect(
            request("appconfig:StartDeployment", `${application}/environment/e1`, { Environment: "elsewhere" }),
          ).to.equal("explicit deny");
          for (const action of [
            "appconfig:DeleteApplication",
            "appconfig:StopDeployment",
            "appconfig:UpdateEnvironment",
            "s3:GetObject",
          ])
            expect(request(action, application), action).to.equal("implicit deny");
        }
      });

      it("gives previews read access, and lock files as the only thing they write", () => {
        const preview = ofType(run, "aws:iam/role:Role").find((role) => role.inputs.name === "cloudweave-ci-preview")!;
        const attached = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
          .filter((attachment) => attachment.inputs.role === preview.outputs.name)
          .map((attachment) => attachment.inputs.policyArn);
        expect(attached).to.deep.equal(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
        const inline = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter(
          (p) => p.inputs.role === preview.outputs.name,
        );
        const principal = {
          identityPolicies: inline.map((policy) => json<PolicyDocument>(policy, "policy")),
        };
        const bucket = String(single(run, "aws:s3/bucket:Bucket", "cloudweave-pulumi-state").outputs.arn);
        const request = (action: string, key: string) =>
          evaluate(principal, { principalArn: String(preview.outputs.arn), action, resource: `${bucket}/${key}` });
        for (const name of listed) {
          expect(request("s3:GetObject", `.pulumi/stacks/cloudweave/${name}.json`)).to.equal("allow");
          expect(request("s3:PutObject", `.pulumi/locks/organization/cloudweave/${name}/1.json`)).to.equal("allow");
          expect(request("s3:PutObject", `.pulumi/stacks/cloudweave/${name}.json`)).to.equal("implicit deny");
          expect(request("s3:DeleteObject", `.pulumi/history/cloudweave/${name}/x`)).to.equal("implicit deny");
        }
      });

      it("tells what to set in GitHub: each environment's deploy role and backend, the repository's preview role", () => {
        const suffix = (name: string) => name.toUpperCase().replace(/-/g, "_");
        expect(run.outputs.githubVariables).to.deep.equal({
          environments: Object.fromEntries(
            listed.flatMap((name): [string, Record<string, unknown>][] => [
              [
                name,
                {
                  AWS_DEPLOY_ROLE_ARN: (run.outputs.deployRoleArns as Record<string, string>)[name],
                  PULUMI_BACKEND_URL: run.outputs.backendUrl,
                },
              ],
              [`${name}-flags`, { AWS_FLAGS_ROLE_ARN: (run.outputs.flagsRoleArns as Record<string, string>)[name] }],
            ]),
          ),
          repository: Object.fromEntries(
            listed.flatMap((name) => [
              [`AWS_PREVIEW_ROLE_ARN_${suffix(name)}`, run.outputs.previewRoleArn],
              [`PULUMI_BACKEND_URL_${suffix(name)}`, run.outputs.backendUrl],
            ]),
          ),
        });
      });

      it("marks everything it creates as the bootstrap's, through the default provider and its own", () => {
        const tags = JSON.parse(run.config["aws:defaultTags"] ?? "{}") as { tags: Record<string, string> };
        expect(tags.tags["cloudweave:bootstrap"]).to.equal("true");
        for (const provider of ofType(run, "pulumi:providers:aws")) {
          const providerTags = JSON.parse(String(provider.inputs.defaultTags)) as { tags: Record<string, string> };
          expect(providerTags.tags, provider.name).to.include({
            "cloudweave:bootstrap": "true",
          });
        }
      });

      it("passes the policy pack with no mandatory violation", async () => {
        const report = await checkStack({ ...run, stack }, policies);
        expect(report.violations.filter((violation) => violation.level === "mandatory")).to.deep.equal([]);
      });
    });
  }
});
