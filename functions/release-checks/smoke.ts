/**
 * The smoke suite: what a release must answer before and after it takes traffic. Defined once, run by the release
 * hook against the new tasks (functions/release-checks/hook.ts) and by the pipeline against CloudFront
 * (scripts/smoke.ts). Plain `node:http`/`node:https`, so the Lambda bundle carries no HTTP client.
 */
import { lookup as dnsLookup } from "node:dns";
import * as http from "node:http";
import * as https from "node:https";
import type { LookupFunction } from "node:net";

/** One request of a suite. */
export interface SmokeCheck {
  /** What it proves, for the report. */
  name: string;
  /** The path requested from the target's base URL. */
  path: string;
  /**
   * `health`: a 2xx answer. `page`: a 2xx HTML page whose same-origin scripts and stylesheets each answer 2xx with
   * content, and which loads at least one script (the React build always does).
   */
  kind: "health" | "page";
}

/**
 * The suites, by what they reach. `site` is the application as a viewer gets it (through the frontend, whose nginx
 * proxies `/api/` to the API); `api` is the API on its own load balancer.
 */
export const SMOKE_SUITES = {
  site: [
    { name: "frontend health", path: "/health", kind: "health" },
    { name: "API health through the frontend", path: "/api/v1/health", kind: "health" },
    { name: "the application's page and its assets", path: "/", kind: "page" },
  ],
  api: [{ name: "API health", path: "/api/v1/health", kind: "health" }],
} as const satisfies Record<string, readonly SmokeCheck[]>;

export type SmokeSuiteName = keyof typeof SMOKE_SUITES;

/** Where a suite runs and how it gets in. */
export interface SmokeTarget {
  /** `https://host[:port]` (or `http://` in tests): the name requests carry (Host header, TLS server name). */
  baseUrl: string;
  /** Headers every request carries (the credentials the load balancer's rules require). @default none */
  headers?: Record<string, string>;
  /**
   * Connect to this host's addresses instead of the base URL's, keeping the base URL's name for TLS and the Host
   * header: a load balancer's own DNS name, when the public name may point elsewhere (a failover pair).
   * @default the base URL's host
   */
  connectTo?: string;
  /** Milliseconds each request may take. @default 5000 */
  timeoutMs?: number;
}

/** What one request found. */
export interface CheckResult {
  check: string;
  url: string;
  ok: boolean;
  /** The HTTP status, when there was an answer. */
  status?: number;
  /** Why it failed, or what it saw. */
  detail: string;
  milliseconds: number;
}

/** A whole suite's outcome. */
export interface SuiteResult {
  ok: boolean;
  results: CheckResult[];
}

/** The most a page may weigh before the check stops reading it. */
const MAX_PAGE_BYTES = 2 * 1024 * 1024;
/** The most assets of a page the check fetches. */
const MAX_ASSETS = 25;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(url: URL, target: SmokeTarget): Promise<Answer> {
  const client = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
  if (!client) return Promise.reject(new Error(`${url.protocol} is not http: or https:`));
  const connectTo = target.connectTo;
  // Resolve another name's addresses for this connection only; TLS still checks the certificate against the URL's.
  const lookup: LookupFunction | undefined = connectTo
    ? (_hostname, options, callback) => dnsLookup(connectTo, options, callback)
    : undefined;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: "GET",
        headers: { "user-agent": "cloudweave-release-checks", accept: "*/*", ...target.headers },
        timeout: target.timeoutMs ?? 5000,
        ...(lookup ? { lookup } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_PAGE_BYTES) chunks.push(chunk);
          else res.destroy(new Error(`more than ${MAX_PAGE_BYTES} bytes`));
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${target.timeoutMs ?? 5000} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** The same-origin scripts and stylesheets an HTML page loads, as absolute URLs. */
export function pageAssets(html: string, pageUrl: URL): URL[] {
  const found = new Set<string>();
  const attribute = (tag: string, name: string) =>
    new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag)?.slice(2).find(Boolean);
  for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
    const src = attribute(tag, "src");
    if (src) found.add(src);
  }
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const rel = attribute(tag, "rel")?.toLowerCase().split(/\s+/) ?? [];
    const href = attribute(tag, "href");
    if (href && (rel.includes("stylesheet") || rel.includes("modulepreload"))) found.add(href);
  }
  return [...found]
    .map((reference) => new URL(reference, pageUrl))
    .filter((asset) => asset.origin === pageUrl.origin)
    .slice(0, MAX_ASSETS);
}

async function timed(check: string, url: URL, run: () => Promise<Omit<CheckResult, "check" | "url" | "milliseconds">>) {
  const started = Date.now();
  let outcome: Omit<CheckResult, "check" | "url" | "milliseconds">;
  try {
    outcome = await run();
  } catch (error) {
    outcome = { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
  return { check, url: url.href, ...outcome, milliseconds: Date.now() - started };
}

function statusProblem(answer: Answer): string | undefined {
  if (answer.status >= 200 && answer.status < 300) return undefined;
  const location = answer.headers.location ? ` to ${answer.headers.location}` : "";
  return `HTTP ${answer.status}${answer.status >= 300 && answer.status < 400 ? ` (redirected${location})` : ""}`;
}

async function runCheck(check: SmokeCheck, target: SmokeTarget): Promise<CheckResult[]> {
  const url = new URL(check.path, target.baseUrl);
  if (check.kind === "health") {
    return [
      await timed(check.name, url, async () => {
        const answer = await request(url, target);
        const problem = statusProblem(answer);
        return { ok: !problem, status: answer.status, detail: problem ?? `HTTP ${answer.status}` };
      }),
    ];
  }
  let assets: URL[] = [];
  const page = await timed(check.name, url, async () => {
    const answer = await request(url, target);
    const problem = statusProblem(answer);
    if (problem) return { ok: false, status: answer.status, detail: problem };
    const type = String(answer.headers["content-type"] ?? "");
    if (!type.includes("text/html"))
      return { ok: false, status: answer.status, detail: `${type || "no type"}, not HTML` };
    assets = pageAssets(answer.body.toString("utf8"), url);
    const scripts = assets.filter((asset) => /\.m?js$/i.test(asset.pathname)).length;
    if (scripts === 0) return { ok: false, status: answer.status, detail: "the page loads no script of its own" };
    return { ok: true, status: answer.status, detail: `HTML loading ${assets.length} assets` };
  });
  const assetResults = await Promise.all(
    assets.map((asset) =>
      timed(`${check.name}: ${asset.pathname}`, asset, async () => {
        const answer = await request(asset, target);
        const problem = statusProblem(answer) ?? (answer.body.length === 0 ? "empty" : undefined);
        return { ok: !problem, status: answer.status, detail: problem ?? `${answer.body.length} bytes` };
      }),
    ),
  );
  return [page, ...assetResults];
}

/** Runs every check of `suite` against `target` (in parallel) and reports each. */
export async function runSuite(suite: readonly SmokeCheck[], target: SmokeTarget): Promise<SuiteResult> {
  const results = (await Promise.all(suite.map((check) => runCheck(check, target)))).flat();
  return { ok: results.length > 0 && results.every((result) => result.ok), results };
}

/** One line per check: `ok|FAIL  <check>  <status/detail>  <ms>`. */
export function formatResults(result: SuiteResult): string {
  return result.results
    .map((check) => `${check.ok ? "ok  " : "FAIL"}  ${check.check}  ${check.detail}  (${check.milliseconds} ms)`)
    .join("\n");
}
