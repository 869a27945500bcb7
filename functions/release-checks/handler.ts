/**
 * The release hook's entry point, bundled by esbuild into one file (functions/bundle.ts). ECS invokes it at the
 * deployment stages the services name (components/release/release-checks.ts); hook.ts decides, smoke.ts checks.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { answerHook, type HookEvent, type HookResponse } from "./hook";
import { runSuite, SMOKE_SUITES } from "./smoke";

const secrets = new SecretsManagerClient({});

/** Reads a `{ header, value }` credential: the current version, at every invocation (they rotate). */
export async function readCredential(
  client: Pick<SecretsManagerClient, "send">,
  secretArn: string,
): Promise<{ header: string; value: string }> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const parsed = JSON.parse(SecretString ?? "{}") as { header?: unknown; value?: unknown };
  if (typeof parsed.header !== "string" || typeof parsed.value !== "string")
    throw new Error(`${secretArn} holds no { header, value } credential`);
  return { header: parsed.header, value: parsed.value };
}

export async function handler(event: HookEvent): Promise<HookResponse> {
  return answerHook(event, {
    readCredential: (arn) => readCredential(secrets, arn),
    runSuite: (suite, target) => runSuite(SMOKE_SUITES[suite], target),
    now: () => Date.now(),
    // One JSON line per invocation (the function's log format is JSON).
    log: (entry) => console.log(JSON.stringify(entry)),
  });
}
