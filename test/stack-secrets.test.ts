import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { stackSecretsProblems } from "../offline/stack-secrets";

describe("the stack-file check CI runs before Pulumi (npm run stack:secrets)", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-secrets-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (lines: string[]) =>
    fs.writeFileSync(
      path.join(dir, "Pulumi.staging.yaml"),
      [...lines, "config:", "  aws:region: us-east-1", ""].join("\n"),
    );
  const provider = "secretsprovider: awskms://alias/cloudweave-pulumi-secrets-staging?region=us-east-1";

  it("passes a stack file with the stack's KMS provider and the data key stack init wrote", () => {
    write([provider, "encryptedkey: AQICAHhQZ2Vk+/aGVsbG8="]);
    expect(stackSecretsProblems("staging", dir)).to.deep.equal([]);
  });

  it("says to run stack init when the data key is missing, naming the provider", () => {
    write([provider]);
    const [problem] = stackSecretsProblems("staging", dir);
    expect(problem).to.include(
      'has no encryptedkey: run `pulumi stack init staging --secrets-provider "awskms://alias/cloudweave-pulumi-secrets-staging?region=us-east-1"`',
    );
  });

  it("refuses a passphrase stack, another stack's key and a missing file", () => {
    write(["encryptionsalt: v1:abc", "encryptedkey: AQICAHhQZ2Vk"]);
    const problems = stackSecretsProblems("staging", dir);
    expect(problems.join("\n")).to.include("has an encryptionsalt").and.include("secretsprovider is (not set)");
    write([provider.replace("secrets-staging", "secrets-production"), "encryptedkey: AQICAHhQZ2Vk"]);
    expect(stackSecretsProblems("staging", dir).join("\n")).to.include(
      "it must be awskms://alias/cloudweave-pulumi-secrets-staging",
    );
    expect(stackSecretsProblems("production", dir)).to.deep.equal(["Pulumi.production.yaml does not exist"]);
  });
});
