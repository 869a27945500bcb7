/**
 * `npm run smoke -- <url> [--suite site|api] [--attempts N] [--delay S]`: the pipeline's smoke checks after a
 * deployment, through CloudFront and the WAF. The same suite the release hook runs against the new tasks before they
 * take traffic (functions/release-checks/smoke.ts). It retries the whole suite (a fresh deployment's first requests
 * may still meet a cold cache or DNS) and exits 1 when the last attempt failed.
 */
import { parseArgs } from "node:util";
import {
  formatResults,
  runSuite,
  SMOKE_SUITES,
  type SmokeSuiteName,
  type SuiteResult,
} from "../functions/release-checks/smoke";

const USAGE = `usage: npm run smoke -- <url> [--suite site|api] [--attempts N] [--delay S]

  <url>          the site's base URL, e.g. https://app.cloudweave.io
  --suite        which checks: site (default; the frontend, the API through it, the page and its assets) or api
  --attempts N   runs of the suite before giving up (default 10)
  --delay S      seconds between runs (default 15)
`;

/** Runs `suite` against `url` until it passes or `attempts` runs failed; reports each run through `print`. */
export async function smoke(
  url: string,
  options: { suite: SmokeSuiteName; attempts: number; delaySeconds: number },
  print: (line: string) => void = console.log,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<SuiteResult> {
  let result: SuiteResult = { ok: false, results: [] };
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    result = await runSuite(SMOKE_SUITES[options.suite], { baseUrl: url });
    print(`attempt ${attempt}/${options.attempts}: ${result.ok ? "passed" : "failed"}\n${formatResults(result)}`);
    if (result.ok) break;
    if (attempt < options.attempts) await sleep(options.delaySeconds * 1000);
  }
  return result;
}

/** The command line, checked: a usage error names the argument. */
export function smokeArguments(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      suite: { type: "string", default: "site" },
      attempts: { type: "string", default: "10" },
      delay: { type: "string", default: "15" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return undefined;
  const [url] = positionals;
  if (!url || !/^https?:\/\/[^/]+/.test(url) || positionals.length > 1)
    throw new Error(`one base URL, not ${positionals.join(" ") || "none"}`);
  if (!(values.suite in SMOKE_SUITES))
    throw new Error(`--suite ${values.suite}: one of ${Object.keys(SMOKE_SUITES).join(", ")}`);
  const attempts = Number(values.attempts);
  const delaySeconds = Number(values.delay);
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`--attempts ${values.attempts}: a whole number ≥ 1`);
  if (!Number.isFinite(delaySeconds) || delaySeconds < 0) throw new Error(`--delay ${values.delay}: seconds ≥ 0`);
  return { url, options: { suite: values.suite as SmokeSuiteName, attempts, delaySeconds } };
}

if (require.main === module) {
  let parsed: ReturnType<typeof smokeArguments>;
  try {
    parsed = smokeArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (!parsed) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  void smoke(parsed.url, parsed.options).then((result) => process.exit(result.ok ? 0 : 1));
}
