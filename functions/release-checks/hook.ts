/**
 * The release hook's decision: which traffic to check at which stage of an ECS deployment, and what to answer ECS.
 * ECS invokes a Lambda hook with the stage and the service's `hookDetails`, and continues on `SUCCEEDED`, rolls back on
 * `FAILED` (or an error), and invokes again after `callBackDelay` seconds on `IN_PROGRESS`, passing back the
 * `hookDetails` returned with it (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/lambda-lifecycle-hooks.html).
 */
import { SMOKE_SUITES, type SmokeSuiteName, type SmokeTarget, type SuiteResult } from "./smoke";

/** The stages this hook checks, and through which rule: the test rule (green only) or the production rule. */
export const CHECKED_STAGES = {
  /** Test traffic reaches the new tasks only; production traffic is still all on the old ones. */
  POST_TEST_TRAFFIC_SHIFT: "test",
  /** Before each production step of a canary or linear deployment: the new tasks, still through the test rule. */
  PRE_PRODUCTION_TRAFFIC_SHIFT: "test",
  /** Every production request reaches the new tasks. */
  POST_PRODUCTION_TRAFFIC_SHIFT: "production",
} as const;

export type CheckedStage = keyof typeof CHECKED_STAGES;

/**
 * What the service's hook configuration passes (`hookDetails`, written by components/release/release-checks.ts):
 * where the service answers and with which credentials.
 */
export interface CheckPlan {
  /** The service, for the logs. */
  service: string;
  /** Which suite the service answers. */
  suite: SmokeSuiteName;
  /** The name requests carry: `https://<the load balancer's name for this service>`. */
  url: string;
  /** The load balancer's own DNS name, connected to instead of the URL's host. @default the URL's host */
  connectTo?: string;
  /** The secret (`{ header, value }`) whose header sends a request to the new tasks through the test rule. */
  testCredentialSecretArn: string;
  /** Secrets (`{ header, value }`) of headers both of the service's rules require (the origin header). */
  requiredCredentialSecretArns: string[];
  /** Minutes the checks of each kind may keep failing, retried, before the deployment rolls back. */
  budgetMinutes: { test: number; production: number };
}

/** The runtime state the hook keeps in `hookDetails` between the invocations of one check. */
export interface CheckProgress {
  /** The stage and the new tasks' production weight: a new step starts a new check. */
  key: string;
  /** When the first attempt ran (ms since the epoch). */
  firstAttemptAt: number;
  attempts: number;
}

/** What ECS sends (the fields the hook reads). */
export interface HookEvent {
  executionId?: string;
  lifecycleStage: string;
  resourceArn?: string;
  executionDetails?: {
    serviceArn?: string;
    targetServiceRevisionArn?: string;
    testTrafficWeights?: Record<string, number>;
    productionTrafficWeights?: Record<string, number>;
  };
  hookDetails?: Record<string, unknown>;
}

/** What ECS takes back. */
export interface HookResponse {
  hookStatus: "SUCCEEDED" | "FAILED" | "IN_PROGRESS";
  callBackDelay?: number;
  hookDetails?: Record<string, unknown>;
}

/** Seconds between the attempts of a failing check. */
export const RETRY_SECONDS = 30;

/** What the hook depends on, injected so tests run it without AWS. */
export interface HookDependencies {
  /** Reads a `{ header, value }` secret. */
  readCredential: (secretArn: string) => Promise<{ header: string; value: string }>;
  /** Runs a suite (smoke.ts's `runSuite`). */
  runSuite: (suite: SmokeSuiteName, target: SmokeTarget) => Promise<SuiteResult>;
  now: () => number;
  log: (entry: Record<string, unknown>) => void;
}

/** The plan in `hookDetails`, checked: a hook misconfigured fails the deployment rather than passing it unchecked. */
export function checkPlan(details: Record<string, unknown> | undefined): CheckPlan {
  const plan = details?.plan as Partial<CheckPlan> | undefined;
  const problems: string[] = [];
  if (!plan || typeof plan !== "object") throw new Error("hookDetails carries no plan");
  if (typeof plan.service !== "string") problems.push("service");
  if (!plan.suite || !(plan.suite in SMOKE_SUITES))
    problems.push(`suite (one of ${Object.keys(SMOKE_SUITES).join(", ")})`);
  if (typeof plan.url !== "string" || !/^https?:\/\//.test(plan.url)) problems.push("url");
  if (typeof plan.testCredentialSecretArn !== "string") problems.push("testCredentialSecretArn");
  if (!Array.isArray(plan.requiredCredentialSecretArns)) problems.push("requiredCredentialSecretArns");
  const budget = plan.budgetMinutes;
  if (!budget || !(budget.test > 0) || !(budget.production > 0)) problems.push("budgetMinutes");
  if (problems.length) throw new Error(`hookDetails.plan lacks a valid ${problems.join(", ")}`);
  return plan as CheckPlan;
}

/** The new tasks' share of production traffic, when the event says. */
function targetWeight(event: HookEvent): number | undefined {
  const details = event.executionDetails;
  const target = details?.targetServiceRevisionArn;
  return target ? details.productionTrafficWeights?.[target] : undefined;
}

/** Answers one invocation: runs the stage's checks and says whether the deployment goes on, waits or rolls back. */
export async function answerHook(event: HookEvent, deps: HookDependencies): Promise<HookResponse> {
  const stage = event.lifecycleStage;
  if (!(stage in CHECKED_STAGES)) {
    // A rollback re-invokes the traffic-shift stages; nothing here ever stands in a rollback's way.
    deps.log({ stage, outcome: "not checked at this stage" });
    return { hookStatus: "SUCCEEDED" };
  }
  const traffic = CHECKED_STAGES[stage as CheckedStage];
  const plan = checkPlan(event.hookDetails);
  const key = `${stage}@${targetWeight(event) ?? "-"}`;
  const previous = event.hookDetails?.progress as CheckProgress | undefined;
  const progress: CheckProgress =
    previous?.key === key
      ? { ...previous, attempts: previous.attempts + 1 }
      : { key, firstAttemptAt: deps.now(), attempts: 1 };

  const credentials = await Promise.all(
    [...plan.requiredCredentialSecretArns, ...(traffic === "test" ? [plan.testCredentialSecretArn] : [])].map(
      deps.readCredential,
    ),
  );
  const result = await deps.runSuite(plan.suite, {
    baseUrl: plan.url,
    headers: Object.fromEntries(credentials.map(({ header, value }) => [header, value])),
    ...(plan.connectTo ? { connectTo: plan.connectTo } : {}),
  });
  const failed = result.results.filter((check) => !check.ok);
  const budgetSeconds = 60 * (traffic === "test" ? plan.budgetMinutes.test : plan.budgetMinutes.production);
  const elapsedSeconds = (deps.now() - progress.firstAttemptAt) / 1000;
  const entry = {
    service: plan.service,
    stage,
    traffic,
    attempt: progress.attempts,
    elapsedSeconds: Math.round(elapsedSeconds),
    budgetSeconds,
    results: result.results,
  };
  if (result.ok) {
    deps.log({ ...entry, outcome: "SUCCEEDED" });
    return { hookStatus: "SUCCEEDED" };
  }
  // Another attempt only if it can still start within the budget; a check that keeps failing rolls the release back.
  if (elapsedSeconds + RETRY_SECONDS <= budgetSeconds) {
    deps.log({ ...entry, outcome: "IN_PROGRESS", failed: failed.map((check) => check.check) });
    // ECS documents merging these into the configured details; sending the plan back too keeps it either way.
    return { hookStatus: "IN_PROGRESS", callBackDelay: RETRY_SECONDS, hookDetails: { plan, progress } };
  }
  deps.log({ ...entry, outcome: "FAILED", failed: failed.map((check) => `${check.check}: ${check.detail}`) });
  return { hookStatus: "FAILED" };
}
