/**
 * `npm run plan -- --stack <name>`: runs the real program on mocks with the stack's settings and prints what
 * `pulumi preview` would create, as a tree under each component, with counts by type and the stack outputs.
 * Its views answer what reviewers ask: `--cost` (offline/cost/), `--diagram` (offline/diagram.ts) and `--diff`
 * (offline/stack-diff.ts). Needs no Pulumi CLI, no provider plugins and no AWS credentials.
 */
// First: keeps the SDK from loading the parts an offline run never uses (offline/lazy-sdk.ts).
import "./lazy-sdk";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { isConfigError } from "../config";
import { PROJECT_ROOT, ProgramFailed, runStack, stackNames, type RunOptions, type StackRun } from "./harness";
import { policies } from "../policy-pack/policies";
import { SecretValue, isAwsRejection, type DeclaredResource } from "./mocks";
import { checkStack, type PolicyReport } from "./policies";
import { AWS_NAME_RULES } from "../components/lib/aws-names";
import { releaseTimeline, type RolloutSettings } from "../config/rollout";
import type { CheckPlan } from "../functions/release-checks/hook";
import { costSettings, estimateCost, loadPrices, renderCost, renderCostDiff, type CostReport } from "./cost/estimate";
import { checkoutRevision, UnknownRevision, type Revision } from "./revision";
import { renderDiagram } from "./diagram";
import { diffStacks, renderStackDiff } from "./stack-diff";

const USAGE = `usage: npm run plan -- --stack <name> [--project <dir>] [--json]
       npm run plan -- --stack <name> --cost [--base <git ref>] [--json]
       npm run plan -- --stack <name> --diagram
       npm run plan -- --diff <stack> <stack>

  --stack <name>   the stack to plan: one of ${stackNames().join(", ")}
  --project <dir>  another Pulumi project of this repository, e.g. bootstrap (stack: main)
  --json           print every declared resource (type, name, inputs, parent, dependencies) as JSON,
                   or with --cost the estimate's lines
  --cost           the estimated monthly cost, per component and per resource type (docs/cost.md)
  --base <ref>     with --cost: the monthly difference from the same stack at a git ref (a branch, tag or commit)
  --diagram        the architecture as a Mermaid diagram, from the declared resources (docs/architecture.md)
  --diff <a> <b>   how two stacks differ, per component: what only one has and the settings that differ`;

/** Inputs worth showing next to a resource in the tree, in this order, when present. */
const SUMMARY_INPUTS = [
  "cidrBlock",
  "availabilityZone",
  "routeTableId",
  "subnetId",
  "destinationCidrBlock",
  "gatewayId",
  "natGatewayId",
  "ipProtocol",
  "fromPort",
  "cidrIpv4",
  "referencedSecurityGroupId",
  "description",
  "vpcEndpointType",
  "serviceName",
  "trafficType",
  "retentionInDays",
  "enableKeyRotation",
  "domainName",
  "internal",
  "port",
  "protocol",
  "sslPolicy",
  "priority",
  "cpu",
  "memory",
  "desiredCount",
  "minCapacity",
  "maxCapacity",
  "metricName",
  "comparisonOperator",
  "threshold",
  "evaluationPeriods",
  "imageTagMutability",
] as const;

/**
 * What a plan command prints and how it exits: 0 planned, 1 the program failed (bad config), 2 bad usage,
 * 3 planned but a mandatory policy is violated (a real preview with the pack would fail).
 */
export interface PlanResult {
  readonly code: 0 | 1 | 2 | 3;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link plan}: overrides for the run, and the runner (tests hand in one that shares runs). */
export interface PlanOptions extends RunOptions {
  /** Runs the stack. @default {@link runStack} */
  readonly run?: (stack: string, options: RunOptions) => Promise<StackRun>;
  /** The git repository `--base` reads revisions from. @default the project root */
  readonly repoDir?: string;
}

/**
 * The plan command, without touching the process: parses `argv`, runs the stack (or the two stacks of `--diff`), and
 * renders the plan or the view asked for.
 */
export async function plan(argv: readonly string[], options: PlanOptions = {}): Promise<PlanResult> {
  let values: {
    stack?: string;
    json?: boolean;
    help?: boolean;
    project?: string;
    cost?: boolean;
    base?: string;
    diagram?: boolean;
    diff?: boolean;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string", short: "s" },
        json: { type: "boolean" },
        project: { type: "string" },
        cost: { type: "boolean" },
        base: { type: "string" },
        diagram: { type: "boolean" },
        diff: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) return { code: 0, stdout: USAGE, stderr: "" };
  const { run: runner = runStack, repoDir, ...runOptions } = options;
  if (values.diff) {
    if (positionals.length !== 2 || values.stack) return usageError("--diff takes two stack names and no --stack");
    const unknown = positionals.find((name) => !stackNames().includes(name));
    if (unknown) return usageError(`unknown stack "${unknown}" (stacks: ${stackNames().join(", ")})`);
    const [a = "", b = ""] = positionals;
    const runs = await runAll([a, b], (stack) => runner(stack, { ...runOptions, projectDir: PROJECT_ROOT }));
    if ("failed" in runs) return runs.failed;
    return { code: 0, stdout: renderStackDiff(diffStacks(runs.ok[0] as StackRun, runs.ok[1] as StackRun)), stderr: "" };
  }
  if (positionals.length > 0) return usageError(`unexpected argument "${positionals[0]}"`);
  if (values.base && !values.cost) return usageError("--base needs --cost");
  if ([values.cost, values.diagram, values.json && !values.cost].filter(Boolean).length > 1) {
    return usageError("choose one of --cost, --diagram and --json (--json may go with --cost)");
  }
  if (!values.stack) return usageError("--stack is required");
  const projectDir = path.resolve(PROJECT_ROOT, values.project ?? ".");
  if (!fs.existsSync(path.join(projectDir, "Pulumi.yaml"))) {
    return { code: 2, stdout: "", stderr: `--project ${values.project ?? "."}: no Pulumi.yaml there` };
  }
  if (!stackNames(projectDir).includes(values.stack)) {
    const known = stackNames(projectDir).join(", ");
    return {
      code: 2,
      stdout: "",
      stderr: `unknown stack "${values.stack}": there is no Pulumi.${values.stack}.yaml (stacks: ${known})`,
    };
  }
  const stack = values.stack;

  const runs = await runAll([stack], (name) => runner(name, { ...runOptions, projectDir }));
  if ("failed" in runs) return runs.failed;
  const run = runs.ok[0] as StackRun;
  if (values.cost) return costView(run, { projectDir, json: values.json === true, base: values.base, repoDir });
  if (values.diagram) return { code: 0, stdout: renderDiagram(run), stderr: "" };
  // The policy pack judges the plan, as `pulumi preview --policy-pack policy-pack` would.
  const report = await checkStack(run, policies);
  const mandatory = report.violations.filter((violation) => violation.level === "mandatory");
  return {
    code: mandatory.length > 0 ? 3 : 0,
    stdout: values.json
      ? JSON.stringify({ ...run, policies: report }, null, 2)
      : `${renderPlan(run)}\n\n${renderReleaseOrder(run)}\n\n${renderAlertRouting(run)}\n\n${renderPolicies(report)}`,
    stderr:
      mandatory.length > 0
        ? `${mandatory.length} mandatory policy violation${mandatory.length === 1 ? "" : "s"}: pulumi preview would fail`
        : "",
  };
}

/**
 * `--cost`: the run's estimate; with `base`, the same stack at that git ref run beside it and priced with the same
 * prices and usage assumptions, so the difference printed first is the change's.
 */
async function costView(
  run: StackRun,
  options: { projectDir: string; json: boolean; base: string | undefined; repoDir: string | undefined },
): Promise<PlanResult> {
  const prices = loadPrices();
  const report = estimateCost(run, prices);
  const { base } = options;
  if (!base)
    return { code: 0, stdout: options.json ? JSON.stringify(report, null, 2) : renderCost(report), stderr: "" };
  let revision: Revision;
  try {
    revision = checkoutRevision(base, options.repoDir);
  } catch (error) {
    if (error instanceof UnknownRevision) return { code: 2, stdout: "", stderr: error.message };
    throw error;
  }
  try {
    const baseDir = path.join(revision.dir, path.relative(PROJECT_ROOT, options.projectDir));
    let baseReport: CostReport;
    if (fs.existsSync(path.join(baseDir, `Pulumi.${run.stack}.yaml`))) {
      const baseRuns = await runAll([run.stack], (name) => runStack(name, { projectDir: baseDir }), `${base}: `);
      if ("failed" in baseRuns) return baseRuns.failed;
      const usage = costSettings(run).usage;
      baseReport = estimateCost(
        baseRuns.ok[0] as StackRun,
        prices,
        usage ? { usage: { assumptions: usage, source: report.usageSource } } : {},
      );
    } else {
      // A stack the change adds: everything it costs is the change's.
      baseReport = { ...report, lines: [], total: 0, totalAtMax: 0, unpriced: [] };
    }
    const label = `${base} (${revision.commit.slice(0, 12)})`;
    const stdout = options.json
      ? JSON.stringify({ base: { ref: base, commit: revision.commit, ...baseReport }, head: report }, null, 2)
      : `${renderCostDiff(report, baseReport, label)}\n\n${renderCost(report)}`;
    return { code: 0, stdout, stderr: "" };
  } finally {
    revision.remove();
  }
}

function usageError(message: string): PlanResult {
  return { code: 2, stdout: "", stderr: `${message}\n\n${USAGE}` };
}

/**
 * Runs stacks one after the other; a program that fails (bad config, a setting AWS would refuse) becomes the plan's
 * exit 1 with its message, as `pulumi preview` would fail.
 */
async function runAll(
  stacks: readonly string[],
  runner: (stack: string) => Promise<StackRun>,
  label = "",
): Promise<{ ok: StackRun[] } | { failed: PlanResult }> {
  const ok: StackRun[] = [];
  for (const stack of stacks) {
    try {
      ok.push(await runner(stack));
    } catch (error) {
      if (error instanceof ProgramFailed && isConfigError(error.cause)) {
        return { failed: { code: 1, stdout: "", stderr: `${label}Pulumi.${stack}.yaml: ${error.message}` } };
      }
      if (error instanceof ProgramFailed && isAwsRejection(error.cause)) {
        return {
          failed: {
            code: 1,
            stdout: "",
            stderr: `${label}stack ${stack}: ${error.message}\npulumi preview would fail.`,
          },
        };
      }
      throw error instanceof ProgramFailed ? error.cause : error;
    }
  }
  return { ok };
}

/**
 * The order of events of a release of each ECS service, from what the stack declares: its deployment configuration
 * and lifecycle hooks, laid on config/rollout.ts's timeline (ECS's stage order), with each event's bound in minutes.
 * A stage the timeline checks but no hook runs at is called out.
 */
export function renderReleaseOrder(run: StackRun): string {
  const lines = ["Release order (each deployment of a service; minutes are upper bounds):"];
  for (const service of run.resources.filter((resource) => resource.type === "aws:ecs/service:Service")) {
    const configuration = (service.inputs.deploymentConfiguration ?? {}) as Record<string, unknown>;
    const strategy = String(configuration.strategy) as RolloutSettings["strategy"];
    if (!["BLUE_GREEN", "CANARY", "LINEAR"].includes(strategy)) continue;
    const canary = (configuration.canaryConfiguration ?? {}) as Record<string, unknown>;
    const linear = (configuration.linearConfiguration ?? {}) as Record<string, unknown>;
    const hooks = (configuration.lifecycleHooks ?? []) as { lifecycleStages?: string[]; hookDetails?: string }[];
    const hookStages = new Set(hooks.flatMap((hook) => hook.lifecycleStages ?? []));
    const plan = hooks
      .map((hook) => (JSON.parse(hook.hookDetails ?? "{}") as { plan?: CheckPlan }).plan)
      .find((candidate) => candidate !== undefined);
    const timeline = releaseTimeline({
      strategy,
      bakeTimeMinutes: Number(configuration.bakeTimeInMinutes ?? 0),
      canary: { percent: Number(canary.canaryPercent ?? 0), bakeMinutes: Number(canary.canaryBakeTimeInMinutes ?? 0) },
      linear: {
        stepPercent: Number(linear.stepPercent ?? 100),
        stepBakeMinutes: Number(linear.stepBakeTimeInMinutes ?? 0),
      },
      checks: {
        testMinutes: plan?.budgetMinutes.test ?? 0,
        productionMinutes: plan?.budgetMinutes.production ?? 0,
      },
    });
    lines.push(`  ${service.name}: ${strategy}, pulumi up waits up to ${service.customTimeouts.update ?? "?"}`);
    timeline.forEach((event, index) => {
      const hook = event.checks ? (hookStages.has(event.stage) ? "[hook]" : "[NO HOOK]") : "";
      const bound = event.minutes ? `≤${event.minutes} min` : "";
      lines.push(
        `    ${String(index + 1).padStart(2)}. ${event.stage.padEnd(30)} ${hook.padEnd(9)} ${bound.padEnd(10)} ${event.what}`,
      );
    });
  }
  return lines.join("\n");
}

/**
 * Who hears of each severity, from what the stack declares: each alert topic's subscriptions and chat channels, and
 * how many alarms and event rules publish to it. A topic nobody receives is called out.
 */
export function renderAlertRouting(run: StackRun): string {
  const topics = run.resources.filter((resource) => resource.type === "aws:sns/topic:Topic");
  const lines = ["Alert routing (who hears of each severity):"];
  for (const topic of topics) {
    const arn = topic.outputs.arn;
    const severity = (topic.inputs.tags as Record<string, string> | undefined)?.Severity ?? topic.name;
    const receivers: string[] = [];
    for (const resource of run.resources) {
      if (resource.type === "aws:sns/topicSubscription:TopicSubscription" && resource.inputs.topic === arn) {
        const endpoint = resource.inputs.endpoint;
        // A secret endpoint (PagerDuty's URL holds its integration key) is shown by its host alone.
        const shown =
          endpoint instanceof SecretValue ? `${new URL(String(endpoint.value)).host} [secret]` : String(endpoint);
        receivers.push(`${String(resource.inputs.protocol)} ${shown}`);
      }
      const chatTopics = resource.inputs.snsTopicArns;
      if (resource.type.startsWith("aws:chatbot/") && Array.isArray(chatTopics) && chatTopics.includes(arn)) {
        receivers.push(`Slack ${String(resource.inputs.slackTeamId)}/${String(resource.inputs.slackChannelId)}`);
      }
    }
    const publishers = (type: string, key: string) =>
      run.resources.filter((resource) => {
        const value = resource.inputs[key];
        return resource.type === type && (value === arn || (Array.isArray(value) && value.includes(arn)));
      }).length;
    const alarms = publishers("aws:cloudwatch/metricAlarm:MetricAlarm", "alarmActions");
    const rules = publishers("aws:cloudwatch/eventTarget:EventTarget", "arn");
    lines.push(
      `  ${severity.padEnd(9)} ${receivers.length > 0 ? receivers.join(", ") : "NO ONE (the topic has no subscriber)"}` +
        `  ← ${alarms} alarm${alarms === 1 ? "" : "s"}, ${rules} event rule${rules === 1 ? "" : "s"}`,
    );
  }
  return lines.join("\n");
}

/** The policy pack's findings, most severe first, each with its policy, level and resource. */
export function renderPolicies(report: PolicyReport): string {
  const order = ["mandatory", "remediate", "advisory"];
  const violations = [...report.violations].sort(
    (a, b) => order.indexOf(a.level) - order.indexOf(b.level) || a.policy.localeCompare(b.policy),
  );
  const count = (level: string) => violations.filter((violation) => violation.level === level).length;
  const lines = [
    `Policies: ${report.evaluated} evaluated from policy-pack/ with ${report.configFile ?? "no pack config"} — ` +
      `${count("mandatory")} mandatory, ${count("advisory")} advisory violation(s)`,
  ];
  for (const violation of violations) {
    const subject = violation.resource ? `${violation.resource.name} (${violation.resource.type})` : "(stack)";
    lines.push(`  ${violation.level.padEnd(9)} ${violation.policy}  ${subject}: ${violation.message}`);
  }
  return lines.join("\n");
}

/** Renders a run as `pulumi preview` would summarise it: a tree of resources, counts by type, outputs. */
export function renderPlan(run: StackRun): string {
  const names = new Map(run.resources.filter((r) => r.id).map((r) => [r.id as string, r.name]));
  const children = new Map<string | undefined, DeclaredResource[]>();
  for (const resource of run.resources) {
    const siblings = children.get(resource.parent) ?? [];
    siblings.push(resource);
    children.set(resource.parent, siblings);
  }
  // Registration order depends on when inputs resolve; sort for a stable, readable plan: components first.
  for (const siblings of children.values()) {
    siblings.sort(
      (a, b) => Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
    );
  }

  const lines = [
    `Offline plan of stack "${run.stack}" (project ${run.project}, aws:region ${run.config["aws:region"] ?? "(default)"}, account ${run.accountId})`,
    `The real program on Pulumi mocks with the settings of Pulumi.${run.stack}.yaml: what \`pulumi preview\` would create.`,
    "",
  ];
  if (run.encryptedKeys.length > 0) {
    lines.push(`Encrypted settings not readable offline (left unset): ${run.encryptedKeys.join(", ")}`, "");
  }
  for (const warning of run.warnings) lines.push(`warning: ${warning}`);
  if (run.warnings.length > 0) lines.push("");
  const walk = (resource: DeclaredResource, indent: string, last: boolean, root: boolean) => {
    const branch = root ? "" : last ? "└─ " : "├─ ";
    const protectedMark = resource.protect ? "  [protected]" : "";
    // An explicit provider (say, the us-east-1 one for CloudFront's certificate and WAF) is named by its resource.
    const providerMark = resource.provider ? `  [provider ${providerName(resource.provider)}, ${resource.region}]` : "";
    const summary = summarize(resource, names);
    lines.push(
      `${indent}${branch}+ ${resource.type}  ${resource.name}${protectedMark}${providerMark}${summary ? `  (${summary})` : ""}`,
    );
    const kids = children.get(resource.urn) ?? [];
    const nextIndent = root ? indent : indent + (last ? "   " : "│  ");
    kids.forEach((kid, index) => walk(kid, nextIndent, index === kids.length - 1, false));
  };
  for (const root of children.get(undefined) ?? []) walk(root, "", true, true);

  const counts = new Map<string, number>();
  for (const resource of run.resources) counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
  const width = Math.max(...[...counts.keys()].map((type) => type.length));
  lines.push("", `Resources: ${run.resources.length} to create`);
  for (const [type, count] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${type.padEnd(width)}  ${String(count).padStart(3)}`);
  }

  lines.push("", "Outputs:");
  for (const [key, value] of Object.entries(run.outputs)) {
    lines.push(`  ${key}: ${JSON.stringify(value instanceof SecretValue ? "[secret]" : value)}`);
  }
  return lines.join("\n");
}

function summarize(resource: DeclaredResource, names: ReadonlyMap<string, string>): string {
  // The physical names AWS will know the resource by (given or generated), checked against AWS_NAME_RULES.
  const parts: string[] = (AWS_NAME_RULES[resource.type] ?? [])
    .filter((rule) => typeof resource.outputs[rule.property] === "string")
    .map((rule) => `${rule.property}=${String(resource.outputs[rule.property])}`);
  for (const key of SUMMARY_INPUTS) {
    const value = resource.inputs[key];
    if (value === undefined || value === null || value === "") continue;
    const shown =
      value instanceof SecretValue
        ? "[secret]"
        : typeof value === "string"
          ? (names.get(value) ?? value)
          : JSON.stringify(value);
    parts.push(`${key}=${shown}`);
  }
  return parts.join(", ");
}

if (require.main === module) {
  plan(process.argv.slice(2)).then(
    ({ code, stdout, stderr }) => {
      if (stdout) console.log(stdout);
      if (stderr) console.error(stderr);
      // exitCode, not exit(): a large plan piped elsewhere is flushed before the process ends.
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

/** The resource name in a provider reference (`<provider urn>::<id>`). */
function providerName(reference: string): string {
  const urn = reference.split("::").slice(0, -1);
  return urn[urn.length - 1] ?? reference;
}
