import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { builtinModules, createRequire } from "node:module";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { functionBundle } from "../functions/bundle";
import { readCredential } from "../functions/release-checks/handler";
import {
  answerHook,
  RETRY_SECONDS,
  type CheckPlan,
  type HookDependencies,
  type HookEvent,
} from "../functions/release-checks/hook";
import {
  pageAssets,
  runSuite,
  SMOKE_SUITES,
  type SmokeCheck,
  type SmokeTarget,
  type SuiteResult,
} from "../functions/release-checks/smoke";
import { smoke, smokeArguments } from "../scripts/smoke";

const TEST_HEADER = "x-cloudweave-test-traffic";
const ORIGIN_HEADER = "x-origin-verify";
const PAGE = `<!doctype html><html><head>
<link rel="stylesheet" href="/assets/index-3f2a.css"><link rel="icon" href="/favicon.ico">
<script type="module" crossorigin src='/assets/index-9b1c.js'></script>
<script src="https://cdn.example.net/analytics.js"></script>
</head><body><div id="root"></div></body></html>`;

/** A stand-in for a service behind its load balancer: blue and green versions, the test rule picks green. */
class FakeSite {
  server: Server;
  requests: { path: string; host: string | undefined; headers: IncomingMessage["headers"] }[] = [];
  /** Paths the green (new) version breaks. */
  greenBreaks = new Set<string>();
  /** A page that loads none of its own scripts. */
  page = PAGE;
  /** The origin header value every request must carry, when set. */
  requiredOrigin: string | undefined;
  hang = false;

  constructor() {
    this.server = createServer((req, res) => this.answer(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: IncomingMessage, res: ServerResponse) {
    const path = req.url ?? "/";
    this.requests.push({ path, host: req.headers.host, headers: req.headers });
    if (this.hang) return;
    if (this.requiredOrigin && req.headers[ORIGIN_HEADER] !== this.requiredOrigin)
      return this.send(res, 403, "text/plain", "");
    const green = req.headers[TEST_HEADER] === "test-secret";
    if (green && this.greenBreaks.has(path)) return this.send(res, 502, "text/plain", "bad gateway");
    if (path === "/health" || path === "/api/v1/health")
      return this.send(res, 200, "application/json", '{"status":"ok"}');
    if (path === "/") return this.send(res, 200, "text/html; charset=utf-8", this.page);
    if (path === "/old") return res.writeHead(301, { location: "/new" }).end();
    if (path.startsWith("/assets/")) return this.send(res, 200, "application/javascript", "export {};");
    return this.send(res, 404, "text/plain", "not found");
  }

  private send(res: ServerResponse, status: number, type: string, body: string) {
    res.writeHead(status, { "content-type": type }).end(body);
  }
}

describe("the smoke suite (functions/release-checks/smoke.ts) against a local HTTP server", () => {
  const site = new FakeSite();
  let url: string;
  before(async () => (url = await site.start()));
  after(() => site.stop());
  beforeEach(() => {
    site.requests = [];
    site.greenBreaks.clear();
    site.page = PAGE;
    site.requiredOrigin = undefined;
    site.hang = false;
  });

  it("passes a healthy site: both health endpoints, the page and each of its own scripts and stylesheets", async () => {
    const result = await runSuite(SMOKE_SUITES.site, { baseUrl: url });
    expect(result.ok, JSON.stringify(result.results)).to.equal(true);
    expect(site.requests.map((request) => request.path).sort()).to.deep.equal(
      ["/", "/api/v1/health", "/assets/index-3f2a.css", "/assets/index-9b1c.js", "/health"].sort(),
    );
  });

  it("reads only same-origin scripts, stylesheets and module preloads from a page", () => {
    const assets = pageAssets(
      `${PAGE}<link href="/assets/chunk.js" rel="modulepreload"><script>inline()</script><script src=rel.js></script>`,
      new URL("https://app.example.com/dir/"),
    );
    expect(assets.map((asset) => asset.href)).to.deep.equal([
      "https://app.example.com/assets/index-9b1c.js",
      "https://app.example.com/dir/rel.js",
      "https://app.example.com/assets/index-3f2a.css",
      "https://app.example.com/assets/chunk.js",
    ]);
  });

  it("fails on an error status, a redirect, a missing asset and a page that loads no script", async () => {
    const failing = async (target: Partial<SmokeTarget>, suite: readonly SmokeCheck[] = SMOKE_SUITES.site) => {
      const result = await runSuite(suite, { baseUrl: url, ...target });
      expect(result.ok).to.equal(false);
      return result.results.filter((check) => !check.ok).map((check) => check.detail);
    };
    site.greenBreaks.add("/api/v1/health");
    expect(await failing({ headers: { [TEST_HEADER]: "test-secret" } })).to.deep.equal(["HTTP 502"]);
    site.greenBreaks.clear();
    expect(await failing({}, [{ name: "moved", path: "/old", kind: "health" }])).to.deep.equal([
      "HTTP 301 (redirected to /new)",
    ]);
    site.page = PAGE.replace("/assets/index-9b1c.js", "/missing/index.js");
    expect(await failing({})).to.deep.equal(["HTTP 404"]);
    site.page = "<html><body>maintenance</body></html>";
    expect(await failing({})).to.deep.equal(["the page loads no script of its own"]);
  });

  it("sends the target's headers with every request, the page's assets included", async () => {
    site.requiredOrigin = "origin-secret";
    expect((await runSuite(SMOKE_SUITES.site, { baseUrl: url })).ok).to.equal(false);
    site.requests = [];
    const result = await runSuite(SMOKE_SUITES.site, { baseUrl: url, headers: { [ORIGIN_HEADER]: "origin-secret" } });
    expect(result.ok).to.equal(true);
    expect(site.requests.every((request) => request.headers[ORIGIN_HEADER] === "origin-secret")).to.equal(true);
  });

  it("connects to another name's addresses while requests keep the URL's name (connectTo)", async () => {
    const result = await runSuite(SMOKE_SUITES.api, {
      baseUrl: `http://api.release.invalid:${site.port}`,
      connectTo: "localhost",
    });
    expect(result.ok, JSON.stringify(result.results)).to.equal(true);
    expect(site.requests[0]?.host).to.equal(`api.release.invalid:${site.port}`);
  });

  it("gives up on a request that does not answer within its timeout", async () => {
    site.hang = true;
    const started = Date.now();
    const result = await runSuite(SMOKE_SUITES.api, { baseUrl: url, timeoutMs: 200 });
    expect(result.ok).to.equal(false);
    expect(result.results[0]?.detail).to.equal("no answer within 200 ms");
    expect(Date.now() - started).to.be.below(2000);
  });
});

const PLAN: CheckPlan = {
  service: "cloudweave-test-frontend",
  suite: "site",
  url: "https://origin.app.example.com",
  connectTo: "public-123.us-east-1.elb.amazonaws.com",
  testCredentialSecretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:test-traffic-AbCdEf",
  requiredCredentialSecretArns: ["arn:aws:secretsmanager:us-east-1:111122223333:secret:origin-verify-AbCdEf"],
  budgetMinutes: { test: 5, production: 3 },
};
const GREEN = "arn:aws:ecs:us-east-1:111122223333:service-revision/c/s/2";
const BLUE = "arn:aws:ecs:us-east-1:111122223333:service-revision/c/s/1";

function event(lifecycleStage: string, extra: Partial<HookEvent> = {}, greenWeight?: number): HookEvent {
  return {
    lifecycleStage,
    executionDetails: {
      targetServiceRevisionArn: GREEN,
      productionTrafficWeights: greenWeight === undefined ? {} : { [GREEN]: greenWeight, [BLUE]: 100 - greenWeight },
    },
    ...extra,
    hookDetails: { plan: PLAN, ...extra.hookDetails },
  };
}

/** Hook dependencies whose suite passes or fails as told, recording what it was asked. */
function fakes(outcomes: boolean[]) {
  const calls: { suite: string; target: SmokeTarget }[] = [];
  const logs: Record<string, unknown>[] = [];
  let clock = 1_000_000;
  const deps: HookDependencies = {
    readCredential: (arn) =>
      Promise.resolve(
        arn === PLAN.testCredentialSecretArn
          ? { header: TEST_HEADER, value: "test-secret" }
          : { header: ORIGIN_HEADER, value: "origin-secret" },
      ),
    runSuite: (suite, target) => {
      calls.push({ suite, target });
      const ok = outcomes.shift() ?? true;
      const result: SuiteResult = {
        ok,
        results: [{ check: "c", url: "u", ok, detail: ok ? "HTTP 200" : "HTTP 502", milliseconds: 1 }],
      };
      return Promise.resolve(result);
    },
    now: () => clock,
    log: (entry) => logs.push(entry),
  };
  return { deps, calls, logs, advance: (seconds: number) => (clock += seconds * 1000) };
}

describe("the release hook's answers to ECS (functions/release-checks/hook.ts)", () => {
  it("checks the new tasks through the test rule after the test shift: test and origin credentials, the load balancer's address", async () => {
    const { deps, calls } = fakes([true]);
    expect(await answerHook(event("POST_TEST_TRAFFIC_SHIFT"), deps)).to.deep.equal({ hookStatus: "SUCCEEDED" });
    expect(calls).to.deep.equal([
      {
        suite: "site",
        target: {
          baseUrl: PLAN.url,
          connectTo: PLAN.connectTo,
          headers: { [ORIGIN_HEADER]: "origin-secret", [TEST_HEADER]: "test-secret" },
        },
      },
    ]);
  });

  it("checks production traffic without the test credential after the production shift", async () => {
    const { deps, calls } = fakes([true]);
    expect(await answerHook(event("POST_PRODUCTION_TRAFFIC_SHIFT"), deps)).to.deep.equal({ hookStatus: "SUCCEEDED" });
    expect(calls[0]?.target.headers).to.deep.equal({ [ORIGIN_HEADER]: "origin-secret" });
  });

  it("checks the new tasks again before each production step of a canary or linear deployment", async () => {
    const { deps, calls } = fakes([true, true]);
    await answerHook(event("PRE_PRODUCTION_TRAFFIC_SHIFT", {}, 0), deps);
    await answerHook(event("PRE_PRODUCTION_TRAFFIC_SHIFT", {}, 10), deps);
    expect(calls.map((call) => call.target.headers?.[TEST_HEADER])).to.deep.equal(["test-secret", "test-secret"]);
  });

  it("answers SUCCEEDED without checking at a stage it has no checks for (a rollback's traffic shifts)", async () => {
    const { deps, calls } = fakes([false]);
    const rollback = event("PRODUCTION_TRAFFIC_SHIFT", {}, 0);
    expect(await answerHook(rollback, deps)).to.deep.equal({ hookStatus: "SUCCEEDED" });
    expect(calls).to.have.length(0);
  });

  it("retries a failing check every 30 s while its budget lasts, then fails the deployment (ECS rolls back)", async () => {
    const { deps, advance, logs } = fakes([false, false, false]);
    const first = await answerHook(event("POST_TEST_TRAFFIC_SHIFT"), deps);
    expect(first).to.deep.include({ hookStatus: "IN_PROGRESS", callBackDelay: RETRY_SECONDS });
    const progress = first.hookDetails?.progress as { attempts: number; firstAttemptAt: number };
    expect(progress.attempts).to.equal(1);
    // The plan goes back with the progress, whether ECS merges the details or replaces them.
    expect(first.hookDetails?.plan).to.deep.equal(PLAN);

    advance(4 * 60);
    const second = await answerHook(event("POST_TEST_TRAFFIC_SHIFT", { hookDetails: first.hookDetails }), deps);
    expect(second.hookStatus).to.equal("IN_PROGRESS");
    expect((second.hookDetails?.progress as { attempts: number }).attempts).to.equal(2);

    // 5-minute budget: a third attempt could not start before it ends.
    advance(31);
    const third = await answerHook(event("POST_TEST_TRAFFIC_SHIFT", { hookDetails: second.hookDetails }), deps);
    expect(third).to.deep.equal({ hookStatus: "FAILED" });
    expect(logs.at(-1)).to.deep.include({ outcome: "FAILED", attempt: 3, budgetSeconds: 300 });
    expect(logs.at(-1)?.failed).to.deep.equal(["c: HTTP 502"]);
  });

  it("uses the production budget after the production shift, and starts afresh at each new step", async () => {
    const { deps, advance } = fakes([false, false]);
    const first = await answerHook(event("POST_PRODUCTION_TRAFFIC_SHIFT"), deps);
    advance(3 * 60 - RETRY_SECONDS + 1);
    expect(
      (await answerHook(event("POST_PRODUCTION_TRAFFIC_SHIFT", { hookDetails: first.hookDetails }), deps)).hookStatus,
    ).to.equal("FAILED");

    const step = fakes([false, false]);
    const atZero = await answerHook(event("PRE_PRODUCTION_TRAFFIC_SHIFT", {}, 0), step.deps);
    step.advance(10 * 60);
    const nextStep = await answerHook(
      event("PRE_PRODUCTION_TRAFFIC_SHIFT", { hookDetails: atZero.hookDetails }, 10),
      step.deps,
    );
    expect(nextStep.hookStatus).to.equal("IN_PROGRESS");
    expect((nextStep.hookDetails?.progress as { attempts: number }).attempts).to.equal(1);
  });

  it("fails loudly (ECS rolls back) when the service's hook configuration carries no valid plan", async () => {
    const { deps } = fakes([true]);
    const broken = {
      lifecycleStage: "POST_TEST_TRAFFIC_SHIFT",
      hookDetails: { plan: { ...PLAN, suite: "everything", url: "origin" } },
    };
    let message = "";
    await answerHook(broken, deps).catch((error: Error) => (message = error.message));
    expect(message).to.equal("hookDetails.plan lacks a valid suite (one of site, api), url");
  });

  it("runs end to end against a site whose new version breaks the API: green fails under test traffic, blue passes", async () => {
    const site = new FakeSite();
    const url = await site.start();
    try {
      site.greenBreaks.add("/api/v1/health");
      const { deps } = fakes([]);
      const real: HookDependencies = {
        ...deps,
        runSuite: (suite, target) => runSuite(SMOKE_SUITES[suite], target),
      };
      const plan = { ...PLAN, url, connectTo: undefined, budgetMinutes: { test: 0.1, production: 0.1 } };
      const test = await answerHook({ ...event("POST_TEST_TRAFFIC_SHIFT"), hookDetails: { plan } }, real);
      expect(test).to.deep.equal({ hookStatus: "FAILED" });
      const production = await answerHook({ ...event("POST_PRODUCTION_TRAFFIC_SHIFT"), hookDetails: { plan } }, real);
      expect(production).to.deep.equal({ hookStatus: "SUCCEEDED" });
    } finally {
      await site.stop();
    }
  });
});

describe("the release hook's credentials and bundle (functions/release-checks/handler.ts)", () => {
  const client = new SecretsManagerClient({
    region: "us-east-1",
    credentials: { accessKeyId: "t", secretAccessKey: "t" },
  });
  const sm = mockClient(client);
  afterEach(() => sm.reset());

  it("reads a { header, value } credential's current version, and refuses anything else", async () => {
    sm.on(GetSecretValueCommand, { SecretId: PLAN.testCredentialSecretArn }).resolves({
      SecretString: JSON.stringify({ header: TEST_HEADER, value: "v1" }),
    });
    expect(await readCredential(client, PLAN.testCredentialSecretArn)).to.deep.equal({
      header: TEST_HEADER,
      value: "v1",
    });
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).to.deep.equal({
      SecretId: PLAN.testCredentialSecretArn,
    });
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ value: "no header" }) });
    let message = "";
    await readCredential(client, "other").catch((error: Error) => (message = error.message));
    expect(message).to.equal("other holds no { header, value } credential");
  });

  it("bundles into one file that needs only Node's own modules and exports the handler", () => {
    const bundle = functionBundle("release-checks");
    const required = new Set([...bundle.code.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1] as string));
    const external = [...required].filter((name) => !builtinModules.includes(name.replace(/^node:/, "")));
    // The SDK's CRT signer is an optional add-on it loads only on demand, which Secrets Manager never asks for.
    expect(external).to.deep.equal(["@aws-sdk/signature-v4-crt"]);
    const file = join(mkdtempSync(join(tmpdir(), "release-checks-")), "index.js");
    writeFileSync(file, bundle.code);
    const loaded = createRequire(file)(file) as { handler?: unknown };
    expect(loaded.handler).to.be.a("function");
  });
});

describe("npm run smoke (scripts/smoke.ts): the pipeline's smoke checks", () => {
  const site = new FakeSite();
  let url: string;
  before(async () => (url = await site.start()));
  after(() => site.stop());

  it("retries the suite until it passes, waiting --delay between runs", async () => {
    site.greenBreaks.clear();
    site.page = "<html>warming up</html>";
    const printed: string[] = [];
    const waits: number[] = [];
    const result = await smoke(
      url,
      { suite: "site", attempts: 3, delaySeconds: 15 },
      (line) => printed.push(line),
      (ms) => {
        waits.push(ms);
        site.page = PAGE;
        return Promise.resolve();
      },
    );
    expect(result.ok).to.equal(true);
    expect(waits).to.deep.equal([15000]);
    expect(printed[0]).to.match(/^attempt 1\/3: failed\n/);
    expect(printed[1]).to.match(/^attempt 2\/3: passed\n/);
  });

  it("gives up after --attempts failed runs", async () => {
    site.page = "<html>down</html>";
    const result = await smoke(url, { suite: "site", attempts: 2, delaySeconds: 0 }, () => undefined);
    expect(result.ok).to.equal(false);
    site.page = PAGE;
  });

  it("refuses bad arguments, naming them", () => {
    const refusal = (args: string[]) => {
      try {
        smokeArguments(args);
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(refusal([])).to.equal("one base URL, not none");
    expect(refusal(["app.example.com"])).to.equal("one base URL, not app.example.com");
    expect(refusal(["https://a.example.com", "--suite", "all"])).to.equal("--suite all: one of site, api");
    expect(refusal(["https://a.example.com", "--attempts", "0"])).to.equal("--attempts 0: a whole number ≥ 1");
    expect(
      smokeArguments(["https://a.example.com", "--suite", "api", "--attempts", "3", "--delay", "5"]),
    ).to.deep.equal({
      url: "https://a.example.com",
      options: { suite: "api", attempts: 3, delaySeconds: 5 },
    });
  });
});
