/**
 * `npm run game-day -- --pair staging [--execute] [--report <file>]`: rehearses the regional recovery of
 * docs/runbook-restore.md on a primary/standby pair (staging and its game-day standby, Pulumi.staging-dr.yaml).
 *
 * Without `--execute` it prints the rehearsal: every command of every phase, with the pair's names. With it, it runs
 * them in order with the credentials of the shell (the pair's account): brings the standby up and waits for its
 * replica, runs the runbook's timed steps — the same commands the on-call runs for production, with the pair's
 * variables — timing each against its budget, then fails back (destroys the standby, restores its stack file). It
 * stops at the first failing command and exits 1 when a step failed or the recovery took longer than the runbook's
 * RTO. The primary keeps running throughout: the rehearsal proves the standby, the switch and the runbook, and
 * writes during it go to the standby's promoted copy (staging's data is rebuilt, not recovered).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { PROJECT_ROOT, readStackSettings } from "../offline/stack-files";
import { pairVariables, readRunbook, substitute, type Runbook } from "../offline/runbook";

/** One phase of the rehearsal: the runbook's timed steps, or the game day's own setup and teardown. */
export interface Phase {
  readonly name: string;
  /** The runbook's budget in minutes; none for the game day's own phases. */
  readonly budgetMinutes: number | undefined;
  readonly commands: readonly string[];
}

/** What happened in a phase. */
export interface PhaseResult {
  readonly phase: Phase;
  readonly seconds: number;
  readonly failed: string | undefined;
}

/** Runs one shell command with the rehearsal's variables: its exit status, duration and standard output. */
export type Runner = (
  command: string,
  environment: Record<string, string>,
) => { status: number; seconds: number; stdout: string };

const USAGE = `usage: npm run game-day -- --pair <primary> [--execute] [--report <file>]

  --pair <primary>  the primary whose standby (Pulumi.<primary>-dr.yaml) the rehearsal recovers, e.g. staging
  --execute         run the commands (the shell's AWS credentials must be the pair's account); without it, print them
  --report <file>   also write the results as Markdown
`;

/** The phases of a rehearsal on the pair `primary` / `primary-dr`. */
export function rehearsal(
  primary: string,
  runbook: Runbook = readRunbook(),
): { phases: Phase[]; variables: Record<string, string> } {
  const standby = `${primary}-dr`;
  const variables = pairVariables(primary, standby);
  const settings = readStackSettings(standby);
  const part = settings["cloudweave:disasterRecovery"] as { role?: string; primaryRegion?: string } | undefined;
  if (part?.role !== "standby")
    throw new Error(`Pulumi.${standby}.yaml is not a standby (cloudweave:disasterRecovery.role)`);
  if (primary === "production")
    throw new Error("game days rehearse on staging; production's standby is recovered for real only");
  const primaryRegion = String(part.primaryRegion);
  // The runbook's first step exports production's names; the rehearsal exports the pair's instead.
  const steps = runbook.steps.map((step) => ({
    name: `${step.number}. ${step.title}`,
    budgetMinutes: step.minutes,
    commands: step.commands.filter(
      (command) => !/^export (PRIMARY|STANDBY|ENVIRONMENT|REGION|PREFIX|DOMAIN)=/.test(command),
    ),
  }));
  const dr = (command: string) => substitute(command, variables);
  const replicaLag = dr(
    'aws cloudwatch get-metric-statistics --region "$REGION" --namespace AWS/RDS --metric-name ReplicaLag --dimensions Name=DBInstanceIdentifier,Value="$PREFIX-postgres" --statistics Maximum --period 60 --start-time "$(date -u -d \'-5 min\' +%FT%TZ)" --end-time "$(date -u +%FT%TZ)" --query "max(Datapoints[].Maximum)" --output text',
  );
  return {
    variables,
    phases: [
      {
        name: "Bring the standby up (game day)",
        budgetMinutes: undefined,
        commands: [
          'export ACCOUNT_ID="$(aws sts get-caller-identity --region "$REGION" --query Account --output text)"',
          'pulumi login "s3://cloudweave-pulumi-state-${ACCOUNT_ID}-${REGION}?region=${REGION}&awssdk=v2"',
          "npm ci",
          'pulumi up --stack "$STANDBY" --yes',
          // A new AppConfig environment starts with every flag off (ADR 25): serve the standby's own values, as the
          // flags workflow keeps production's standby in step with production.
          'npm run flags -- "$STANDBY" sync --wait',
          // The replica must have caught up before the clock starts: under a minute behind.
          `for i in $(seq 1 60); do lag="$(${replicaLag})"; [ "$lag" != "None" ] && [ "\${lag%.*}" -lt 60 ] && exit 0; sleep 30; done; exit 1`,
        ],
      },
      ...steps,
      {
        name: "Fail back (game day)",
        budgetMinutes: undefined,
        commands: [
          // Destroying the standby stops its tasks: the switch alarm returns to OK and Route 53 to the primary.
          'pulumi destroy --stack "$STANDBY" --yes',
          `git -C "${PROJECT_ROOT}" checkout -- "Pulumi.$STANDBY.yaml"`,
          // Step 3 made the master secret's replica standalone: delete it and replicate the primary's again, as the
          // primary's stack declares it (its multi-Region key's replica, replicaAliasName).
          'aws secretsmanager delete-secret --region "$REGION" --secret-id "$PREFIX-postgres-master" --force-delete-without-recovery',
          `aws secretsmanager replicate-secret-to-regions --region "${primaryRegion}" --secret-id "$PREFIX-postgres-master" --add-replica-regions "Region=$REGION,KmsKeyId=alias/$PREFIX-secrets-replica"`,
          'curl -fsS "https://$DOMAIN/api/v1/health"',
        ],
      },
    ],
  };
}

/** Runs the phases in order, stopping at the first failed command. */
export function execute(phases: readonly Phase[], variables: Record<string, string>, run: Runner): PhaseResult[] {
  const results: PhaseResult[] = [];
  // Values a phase exports (ACCOUNT_ID) are carried into the next commands, as in the on-call's shell.
  const environment = { ...variables };
  for (const phase of phases) {
    let seconds = 0;
    let failed: string | undefined;
    for (const command of phase.commands) {
      const exported = /^export (\w+)="?\$\((.*)\)"?$/.exec(command);
      const outcome = run(exported ? `echo "$(${exported[2]})"` : command, environment);
      seconds += outcome.seconds;
      if (outcome.status !== 0) {
        failed = command;
        break;
      }
      if (exported) environment[exported[1] ?? ""] = outcome.stdout.trim();
    }
    results.push({ phase, seconds, failed });
    if (failed) break;
  }
  return results;
}

/** The rehearsal's verdict: each phase against its budget, and the recovery against the runbook's RTO. */
export function report(results: readonly PhaseResult[], rtoMinutes: number): { text: string; passed: boolean } {
  const minutes = (seconds: number) => (seconds / 60).toFixed(1);
  const rows = results.map(({ phase, seconds, failed }) => {
    const over = phase.budgetMinutes !== undefined && seconds > phase.budgetMinutes * 60;
    const verdict = failed ? `failed: \`${failed}\`` : over ? "over budget" : "ok";
    return `| ${phase.name} | ${phase.budgetMinutes ?? "—"} | ${minutes(seconds)} | ${verdict} |`;
  });
  const recovery = results.filter((result) => result.phase.budgetMinutes !== undefined);
  const recoverySeconds = recovery.reduce((sum, result) => sum + result.seconds, 0);
  const failed = results.some((result) => result.failed !== undefined);
  const passed = !failed && recoverySeconds <= rtoMinutes * 60;
  const text = [
    "| Phase | Budget (min) | Took (min) | |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    `Recovery: ${minutes(recoverySeconds)} min against the runbook's RTO of ${rtoMinutes} min — ${passed ? "met" : "NOT met"}.`,
  ].join("\n");
  return { text, passed };
}

/** Runs a command with bash, its output passed through, timed. */
const bash: Runner = (command, environment) => {
  const started = process.hrtime.bigint();
  const result = spawnSync("bash", ["-o", "pipefail", "-ec", command], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...environment, AWS_REGION: environment.REGION ?? "" },
    stdio: ["inherit", "pipe", "inherit"],
    encoding: "utf8",
  });
  process.stdout.write(result.stdout ?? "");
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { status: result.status ?? 1, seconds, stdout: result.stdout ?? "" };
};

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      pair: { type: "string" },
      execute: { type: "boolean" },
      report: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help || !values.pair) {
    process.stdout.write(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const runbook = readRunbook();
  const { phases, variables } = rehearsal(values.pair, runbook);
  if (!values.execute) {
    for (const phase of phases) {
      console.log(
        `\n## ${phase.name}${phase.budgetMinutes !== undefined ? ` (budget ${phase.budgetMinutes} min)` : ""}`,
      );
      for (const command of phase.commands) console.log(`  ${substitute(command, variables)}`);
    }
    console.log(`\nRTO to meet: ${runbook.rto} min. Run with --execute to rehearse (the pair's AWS credentials).`);
    process.exit(0);
  }
  const outcome = report(execute(phases, variables, bash), runbook.rto);
  console.log(`\n${outcome.text}`);
  if (values.report) fs.writeFileSync(values.report, `# Game day: ${values.pair}\n\n${outcome.text}\n`);
  process.exit(outcome.passed ? 0 : 1);
}
