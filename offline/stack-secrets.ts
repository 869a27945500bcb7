/**
 * Whether a stack file lets `pulumi preview` / `pulumi up` decrypt the stack's secrets without a passphrase, checked
 * before CI runs Pulumi: `npm run stack:secrets -- <stack> [--project <dir>]` exits 1 and says what to do if not.
 *
 * How the CLI picks a stack's secrets manager (pulumi/pulumi pkg/cmd/pulumi/stack/secrets.go,
 * `SecretsManagerLoader.GetSecretsManager`): a `secretsprovider` URL in the stack file other than `passphrase` or
 * `default` selects the cloud secrets manager (`cloud.NewCloudSecretsManager`), which decrypts the stack's data key,
 * `encryptedkey`, with that KMS key — or, when `encryptedkey` is missing, generates and saves a new data key (the CLI
 * must then write the stack file, and every CI run would make another). Otherwise an `encryptionsalt` selects the
 * passphrase manager (`PULUMI_CONFIG_PASSPHRASE`). With neither, the DIY backend's default is the passphrase manager
 * (pkg/backend/diy `DefaultSecretManager`), unless `PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER` makes the CLI reuse
 * the one recorded in the state. The `secrets-provider` input of pulumi/actions only applies when the action creates
 * the stack (`upsert`); CI never does. So the stack file carries both lines, written once by
 * `pulumi stack init --secrets-provider <url>` (docs/delivery.md) and committed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { secretsProviderUrl } from "../components/lib/delivery";
import { PROJECT_ROOT } from "./harness";

/** The top-level keys of a stack file that configure its secrets (pulumi/pulumi sdk/go/common/workspace ProjectStack). */
interface StackFileSecrets {
  secretsprovider?: string;
  encryptedkey?: string;
  encryptionsalt?: string;
  config?: Record<string, unknown>;
}

/** What keeps CI from decrypting `stack`'s secrets without a passphrase; empty when nothing does. */
export function stackSecretsProblems(stack: string, projectDir: string = PROJECT_ROOT): string[] {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return [`${path.basename(file)} does not exist`];
  const document = (parse(fs.readFileSync(file, "utf8")) ?? {}) as StackFileSecrets;
  const configuredRegion = document.config?.["aws:region"];
  const region = typeof configuredRegion === "string" ? configuredRegion : "(no aws:region)";
  const expected = secretsProviderUrl(stack, region);
  const problems: string[] = [];
  if (document.encryptionsalt !== undefined) {
    problems.push("has an encryptionsalt: the stack uses a passphrase, which CI does not have");
  }
  if (document.secretsprovider !== expected) {
    problems.push(
      `secretsprovider is ${document.secretsprovider ?? "(not set)"}; it must be ${expected} (the bootstrap output secretsProviders.${stack})`,
    );
  }
  if (!document.encryptedkey) {
    problems.push(
      `has no encryptedkey: run \`pulumi stack init ${stack} --secrets-provider "${expected}"\` against the stack's backend and commit the line it writes (docs/delivery.md)`,
    );
  } else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(document.encryptedkey)) {
    problems.push("encryptedkey is not base64 (as `pulumi stack init` writes it)");
  }
  return problems.map((problem) => `${path.relative(PROJECT_ROOT, file)}: ${problem}`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const projectIndex = args.indexOf("--project");
  const projectDir = projectIndex >= 0 ? path.resolve(PROJECT_ROOT, args[projectIndex + 1] ?? ".") : PROJECT_ROOT;
  const stacks =
    projectIndex >= 0 ? args.filter((_, index) => index !== projectIndex && index !== projectIndex + 1) : args;
  if (stacks.length === 0) {
    console.error("usage: npm run stack:secrets -- <stack>... [--project <dir>]");
    process.exit(2);
  }
  const problems = stacks.flatMap((stack) => stackSecretsProblems(stack, projectDir));
  for (const problem of problems) console.error(`error: ${problem}`);
  if (problems.length === 0) console.log(`${stacks.join(", ")}: KMS secrets provider and data key in place`);
  process.exit(problems.length > 0 ? 1 : 0);
}
