import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { replicaAliasName } from "../components/security/encryption-key";
import { parseStackConfig, programSettings } from "../config";
import { PROJECT_ROOT, readStackSettings, runStack, type StackRun } from "../offline/harness";
import { exportedValues, pairVariables, readRunbook, substitute } from "../offline/runbook";
import { flagsArguments } from "../scripts/flags";
import { execute, rehearsal, report, type Runner } from "../scripts/game-day";
import { RECOVERY_PAIRS, ofType, recoveredSettings, stackConfig, stackRun } from "./helpers";

const runbook = readRunbook();
const recovery = runbook.steps;
const PRIMARY = "production";
const STANDBY = "production-dr";
/** The runbook's names for production, as its first step exports them and the shell resolves them. */
const variables = { ...pairVariables(PRIMARY, STANDBY), ACCOUNT_ID: stackConfig(STANDBY).accountId };
const resolved = (command: string) => substitute(command, variables);
const recoveryCommands = recovery.flatMap((step) => step.commands);

/** The words of a shell command, quotes removed (enough for the runbook's commands). */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|"((?:[^"\\]|\\.|\$\([^)]*\))*)"|(\S+)/g)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? "",
  );
}

/** The value of `--flag value` in a command. */
function option(command: string, flag: string): string | undefined {
  const list = words(command);
  const index = list.indexOf(flag);
  return index >= 0 ? list[index + 1] : undefined;
}

describe("the recovery runbook (docs/runbook-restore.md): its budget and names agree with the stack files", () => {
  let standby: StackRun;
  let recovered: StackRun;
  let primary: StackRun;
  let bootstrap: StackRun;
  before(async () => {
    standby = await stackRun(STANDBY);
    primary = await stackRun(PRIMARY);
    recovered = await stackRun(STANDBY, recoveredSettings(STANDBY));
    bootstrap = await runStack(PRIMARY, { projectDir: path.join(PROJECT_ROOT, "bootstrap") });
  });

  it("budgets every step in order, and the recovery ends within the 1-hour RTO", () => {
    expect(recovery.map((step) => step.number)).to.deep.equal(recovery.map((_, index) => index + 1));
    let clock = 0;
    for (const step of recovery) {
      expect(step.start, `${step.title} starts when the step before ends`).to.equal(clock);
      expect(step.commands.length, `${step.title} has commands`).to.be.greaterThan(0);
      expect(step.verify, `${step.title} says how to verify it`).to.not.equal("");
      clock += step.minutes;
    }
    expect(runbook.budget.filter((row) => row.minutes !== undefined)).to.deep.equal(
      recovery.map((step) => ({ title: `${step.number}. ${step.title}`, start: step.start, minutes: step.minutes })),
    );
    expect(runbook.rto, "the RTO row is the sum of the steps").to.equal(clock);
    expect(runbook.rto).to.be.at.most(60);
  });

  it("sets up production's pair with the names the stack files give it", () => {
    const setup = recovery[0]!.commands;
    expect(exportedValues(setup)).to.deep.include(pairVariables(PRIMARY, STANDBY));
    // Everything the recovery runs, it runs in the standby's region against the state backend's replica there.
    const login = recoveryCommands.filter((command) => command.startsWith("pulumi login "));
    expect(login.map((command) => resolved(words(command)[2] ?? ""))).to.deep.equal([bootstrap.outputs.drBackendUrl]);
    for (const command of recoveryCommands.filter((candidate) => candidate.startsWith("aws "))) {
      expect(resolved(option(command, "--region") ?? "(none)"), command).to.equal(stackConfig(STANDBY).region);
    }
    for (const command of recoveryCommands.filter((candidate) => /^pulumi (config|up|stack)/.test(candidate))) {
      expect(resolved(option(command, "--stack") ?? ""), command).to.equal(STANDBY);
    }
    expect(recoveryCommands.join("\n")).to.not.match(/us-east-1|route53|\biam\b|acm|cloudfront/);
  });

  it("fails back through the primary's backend, and the standby's secrets provider is its key's replica there", () => {
    const failBack = Object.entries(runbook.sections).find(([heading]) =>
      heading.startsWith("After us-east-1 returns"),
    );
    const logins = (failBack?.[1] ?? [])
      .filter((command) => command.startsWith("pulumi login "))
      .map((command) => substitute(words(command)[2] ?? "", { ...variables }));
    expect(logins).to.deep.equal([String(bootstrap.outputs.backendUrl), String(bootstrap.outputs.drBackendUrl)]);
    const file = fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${STANDBY}.yaml`), "utf8");
    const provider = /^secretsprovider: (.+)$/m.exec(file)?.[1];
    expect(provider).to.equal((bootstrap.outputs.drSecretsProviders as Record<string, string>)[STANDBY]);
  });

  it("changes one setting, from the stack file's value to the recovered one the tests deploy", () => {
    const sets = recoveryCommands.filter((command) => command.startsWith("pulumi config set "));
    expect(sets).to.have.length(1);
    const [, , , , , , key = "", value = ""] = words(sets[0]!);
    expect(words(sets[0]!)).to.include("--path");
    expect(key).to.equal("cloudweave:disasterRecovery.state");
    const settings = readStackSettings(STANDBY);
    const part = settings["cloudweave:disasterRecovery"] as Record<string, unknown>;
    expect(part.state, "the stack file stands by").to.equal("standby");
    const changed = parseStackConfig(
      programSettings({ ...settings, "cloudweave:disasterRecovery": { ...part, state: value } }),
    );
    expect(changed.disasterRecovery).to.deep.equal({ ...part, state: "recovered" });
  });

  it("names what the stacks declare: the instance, the secret, the alarms, the repositories and the outputs", () => {
    const all = [...recoveryCommands, ...Object.values(runbook.sections).flat()].join("\n");
    /** Every quoted value of `--flag` in the runbook (also inside command substitutions), resolved. */
    const values = (text: string, flag: string) =>
      [...text.matchAll(new RegExp(`${flag} "([^"]+)"`, "g"))].map((match) => resolved(match[1]!));
    const recoveryText = recoveryCommands.join("\n");
    expect(values(recoveryText, "--db-instance-identifier")).to.include(
      ofType(standby, "aws:rds/instance:Instance")[0]!.inputs.identifier,
    );
    const replicated = ofType(primary, "aws:secretsmanager/secret:Secret")
      .filter((secret) => (secret.inputs.replicas as unknown[]).length > 0)
      .map((secret) => secret.inputs.name);
    expect(values(all, "--secret-id").length).to.be.greaterThan(3);
    for (const secret of values(all, "--secret-id")) expect(replicated).to.include(secret);
    // The standby's alarms, and the switch the primary keeps in the standby's region.
    const alarmNames = [
      ...ofType(standby, "aws:cloudwatch/metricAlarm:MetricAlarm"),
      ...ofType(primary, "aws:cloudwatch/metricAlarm:MetricAlarm").filter(
        (alarm) => alarm.region === stackConfig(STANDBY).region,
      ),
    ].map((alarm) => String(alarm.inputs.name ?? alarm.outputs.name));
    expect(alarmNames).to.include.members(values(recoveryText, "--alarm-names"));
    const [opsPrefix = ""] = values(recoveryText, "--alarm-name-prefix");
    expect(alarmNames.filter((name) => name.startsWith(opsPrefix)).length, "the -ops alarms").to.be.greaterThan(20);
    // The repositories production keeps in the standby's region.
    const repositories = ofType(primary, "aws:ecr/repository:Repository")
      .filter((repository) => repository.region === stackConfig(STANDBY).region)
      .map((repository) => repository.inputs.name);
    expect(values(all, "--repository-name").length).to.be.greaterThan(0);
    for (const name of values(all, "--repository-name")) expect(repositories).to.include(name);
    // `pulumi stack output <name>` of either stack, and the URNs the fallback and the fail-back work on.
    for (const [, name] of all.matchAll(/pulumi stack output (\w+)/g)) {
      expect(Object.keys(standby.outputs), name).to.include(name);
    }
    // `npm run flags` for the standby, with arguments the command accepts (the `<flag>` placeholder aside).
    const flagCommands = [...resolved(all).matchAll(/npm run flags -- (.+)$/gm)].map((match) =>
      match[1]!.split(" ").map((word) => word.replace(/^"(.*)"$/, "$1")),
    );
    expect(flagCommands.length).to.be.greaterThan(0);
    for (const words of flagCommands) {
      expect(words[0]).to.equal(STANDBY);
      if (!words.includes("<flag>")) expect(flagsArguments(words), words.join(" ")).to.not.equal(undefined);
    }
    const urns = new Set([...standby.resources, ...recovered.resources].map((resource) => resource.urn));
    const named = [...all.matchAll(/'(urn:pulumi:[^']+)'/g)].map((match) => match[1]!);
    expect(named.length).to.be.greaterThan(1);
    for (const urn of named) expect(urns.has(urn), urn).to.equal(true);
  });

  it("states the RPO the replica-lag alarm watches", () => {
    const lag = stackConfig(STANDBY).alarms.databaseReplicaLagSeconds;
    expect(lag % 60).to.equal(0);
    const text = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "runbook-restore.md"), "utf8");
    expect(text).to.include(`RPO, ≤ ${lag / 60} minutes`);
    expect(text).to.include(`lags more than ${lag / 60} minutes`);
  });
});

describe("the game day (scripts/game-day.ts) rehearses the runbook on staging", () => {
  for (const { primary, standby } of RECOVERY_PAIRS.filter((pair) => pair.primary !== "production")) {
    it(`runs the runbook's steps with ${primary}'s names, between bringing ${standby} up and tearing it down`, () => {
      const { phases, variables: pair } = rehearsal(primary);
      expect(pair).to.deep.equal(pairVariables(primary, standby));
      expect(phases.map((phase) => phase.name)).to.deep.equal([
        "Bring the standby up (game day)",
        ...recovery.map((step) => `${step.number}. ${step.title}`),
        "Fail back (game day)",
      ]);
      const printed = phases.flatMap((phase) => phase.commands.map((command) => substitute(command, pair))).join("\n");
      expect(printed).to.not.include("production");
      expect(printed).to.include(`pulumi up --stack "${standby}" --yes`);
      // Its flags: a new environment starts with every flag off; the standby serves its own file's values.
      const bringUp = phases[0]!.commands.map((command) => substitute(command, pair));
      expect(bringUp.indexOf(`npm run flags -- "${standby}" sync --wait`)).to.equal(
        bringUp.indexOf(`pulumi up --stack "${standby}" --yes`) + 1,
      );
      expect(printed).to.include(`pulumi destroy --stack "${standby}" --yes`);
      // The teardown replicates the primary's master secret again under its key's replica, as the primary declares.
      expect(printed).to.include(`KmsKeyId=${replicaAliasName(`${pair.PREFIX}-secrets`)}`);
    });
  }

  it("refuses to rehearse on production", () => {
    expect(() => rehearsal("production")).to.throw(/game days rehearse on staging/);
  });

  it("times each step against its budget, stops at the first failure, and judges the RTO", () => {
    const { phases, variables: pair } = rehearsal("staging");
    const ran: string[] = [];
    const runner =
      (minutesPerCommand: number, failOn?: RegExp): Runner =>
      (command) => {
        ran.push(command);
        const failed = failOn?.test(command) ?? false;
        return { status: failed ? 1 : 0, seconds: minutesPerCommand * 60, stdout: "111122223333\n" };
      };
    const quick = report(execute(phases, pair, runner(0.5)), runbook.rto);
    expect(quick.passed).to.equal(true);
    expect(quick.text).to.match(/Recovery: [\d.]+ min against the runbook's RTO of 57 min — met/);

    ran.length = 0;
    const failing = execute(phases, pair, runner(0.5, /stop-replication-to-replica/));
    expect(failing.at(-1)?.failed).to.match(/stop-replication-to-replica/);
    expect(ran.at(-1), "nothing runs after the failed command").to.match(/stop-replication-to-replica/);
    expect(report(failing, runbook.rto).passed).to.equal(false);

    const slow = report(execute(phases, pair, runner(20)), runbook.rto);
    expect(slow.passed).to.equal(false);
    expect(slow.text).to.include("over budget");
    expect(slow.text).to.include("NOT met");
  });

  it("carries a value a step exports into the commands after it, as the on-call's shell does", () => {
    const { phases, variables: pair } = rehearsal("staging");
    const environments: Record<string, string>[] = [];
    execute(phases.slice(0, 1), pair, (_command, environment) => {
      environments.push({ ...environment });
      return { status: 0, seconds: 1, stdout: "444455556666\n" };
    });
    expect(environments[0]?.ACCOUNT_ID).to.equal(undefined);
    expect(environments[1]?.ACCOUNT_ID).to.equal("444455556666");
  });
});
