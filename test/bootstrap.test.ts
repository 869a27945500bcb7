import * as path from "node:path";
import { expect } from "chai";
import { PROJECT_ROOT, runStack, type StackRun } from "../offline/harness";
import { MOCK_ACCOUNT_ID, type DeclaredResource } from "../offline/mocks";
import { checkStack } from "../offline/policies";
import { policies } from "../policy-pack/policies";
import { json, ofType, single, type Statement } from "./helpers";

const BOOTSTRAP = path.join(PROJECT_ROOT, "bootstrap");

describe("bootstrap program (state backend and CI roles)", () => {
  let run: StackRun;
  before(async () => {
    run = await runStack("main", { projectDir: BOOTSTRAP });
  });

  const regionOf = (resource: DeclaredResource) => {
    if (!resource.provider) return "default";
    const urn = resource.provider.split("::").slice(0, -1).join("::");
    return String(run.resources.find((candidate) => candidate.urn === urn)?.inputs.region);
  };
  const forBucket = (type: string, bucket: DeclaredResource) =>
    ofType(run, type).filter((resource) => resource.inputs.bucket === bucket.id);

  it("keeps state in a versioned, KMS-encrypted, private, TLS-only bucket that expires old versions", () => {
    const bucket = single(run, "aws:s3/bucket:Bucket", "cloudweave-pulumi-state");
    const stateKey = single(run, "aws:kms/key:Key", "cloudweave-pulumi-state-key");
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
    ).to.deep.equal({
      status: "Enabled",
    });
    expect(forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)[0]?.inputs).to.include({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const lifecycle = forBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket)[0];
    expect(
      (lifecycle?.inputs.rules as { noncurrentVersionExpiration: unknown }[])[0]?.noncurrentVersionExpiration,
    ).to.deep.equal({
      noncurrentDays: 90,
    });
    const policy = forBucket("aws:s3/bucketPolicy:BucketPolicy", bucket)[0] as DeclaredResource;
    expect(json<{ Statement: Statement[] }>(policy, "policy").Statement[0]).to.deep.include({ Effect: "Deny" });
    expect(bucket.protect && stateKey.protect).to.equal(true);
    expect(run.outputs.backendUrl).to.equal(`s3://${String(bucket.outputs.bucket)}?region=us-east-1&awssdk=v2`);
  });

  it("replicates the state bucket and the secrets key to the second region", () => {
    const source = single(run, "aws:s3/bucket:Bucket", "cloudweave-pulumi-state");
    const replica = single(run, "aws:s3/bucket:Bucket", "cloudweave-pulumi-state-replica");
    expect(regionOf(replica)).to.equal("us-west-2");
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

    const secretsKey = single(run, "aws:kms/key:Key", "cloudweave-pulumi-secrets-key");
    expect(secretsKey.inputs).to.include({ multiRegion: true, enableKeyRotation: true });
    const secretsReplica = single(run, "aws:kms/replicaKey:ReplicaKey");
    expect(regionOf(secretsReplica)).to.equal("us-west-2");
    expect(secretsReplica.inputs.primaryKeyArn).to.equal(secretsKey.outputs.arn);
    expect(secretsReplica.inputs.policy).to.equal(secretsKey.inputs.policy);
    expect(run.outputs.secretsProvider).to.equal("awskms://alias/cloudweave-pulumi-secrets?region=us-east-1");
  });

  it("lets only the CI roles and the configured operators use the secrets key directly", () => {
    const statements = json<{ Statement: Statement[] }>(
      single(run, "aws:kms/key:Key", "cloudweave-pulumi-secrets-key"),
      "policy",
    ).Statement;
    const direct = statements.find((statement) => statement.Sid === "NamedPrincipalsUseTheKeyDirectly");
    expect(direct?.Condition).to.deep.equal({
      ArnLike: {
        "aws:PrincipalArn": [
          `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/cloudweave-ci-*`,
          "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_AdministratorAccess_*",
        ],
      },
    });
  });

  it("trusts GitHub's OIDC provider for this repository only: pull requests preview, environments deploy", () => {
    const provider = single(run, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    expect(provider.inputs).to.deep.include({
      url: "https://token.actions.githubusercontent.com",
      clientIdLists: ["sts.amazonaws.com"],
    });
    const subjects: Record<string, string> = {
      "cloudweave-ci-preview": "repo:cloudweave/infrastructure:pull_request",
      "cloudweave-ci-deploy-staging": "repo:cloudweave/infrastructure:environment:staging",
      "cloudweave-ci-deploy-production": "repo:cloudweave/infrastructure:environment:production",
    };
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
    expect(run.outputs.deployRoleArns).to.have.keys(["staging", "production"]);
  });

  it("gives the preview role read access and lock files only; deploy roles manage their own stack's IAM", () => {
    const policyOf = (roleName: string) => {
      const role = ofType(run, "aws:iam/role:Role").find((candidate) => candidate.inputs.name === roleName)!;
      const inline = ofType(run, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role.outputs.name)!;
      const attached = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.inputs.role === role.outputs.name)
        .map((a) => a.inputs.policyArn);
      return { statements: json<{ Statement: Statement[] }>(inline, "policy").Statement, attached };
    };
    const preview = policyOf("cloudweave-ci-preview");
    expect(preview.attached).to.deep.equal(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    const bucket = single(run, "aws:s3/bucket:Bucket", "cloudweave-pulumi-state");
    expect(preview.statements.find((s) => s.Sid === "WriteLocks")?.Resource).to.equal(
      `${String(bucket.outputs.arn)}/.pulumi/locks/*`,
    );
    expect(preview.statements.some((s) => s.Sid === "WriteState")).to.equal(false);

    for (const stack of ["staging", "production"]) {
      const deploy = policyOf(`cloudweave-ci-deploy-${stack}`);
      expect(deploy.attached).to.deep.equal(["arn:aws:iam::aws:policy/PowerUserAccess"]);
      const iam = deploy.statements.find((s) => s.Sid === "ManageTheStacksOwnRoles");
      expect(iam?.Resource).to.deep.equal([
        `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/cloudweave-${stack}-*`,
        `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/cloudweave-${stack}-*`,
      ]);
      for (const statement of deploy.statements) {
        const actions = [statement.Action].flat();
        expect(
          actions.some((action) => action === "*" || action === "iam:*"),
          statement.Sid,
        ).to.equal(false);
      }
    }
  });

  it("passes the policy pack with no mandatory violation", async () => {
    const report = await checkStack({ ...run, stack: "production" }, policies);
    expect(report.violations.filter((violation) => violation.level === "mandatory")).to.deep.equal([]);
  });
});
