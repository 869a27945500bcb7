import { expect } from "chai";
import { dailyWindow, everyDay, overlaps, weeklyWindow, widenedBefore } from "../config/windows";
import type { StackRun } from "../offline/harness";
import type { DeclaredResource } from "../offline/mocks";
import { STACKS, prefixOf, isIdleStandby, stackConfig, json, ofType, single, stackRun } from "./helpers";

const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

interface Pattern {
  source: string[];
  "detail-type": string[];
  detail: Record<string, string[]>;
}

function backupRules(run: StackRun): { rule: DeclaredResource; pattern: Pattern; target: DeclaredResource }[] {
  return ofType(run, RULE)
    .map((rule) => ({ rule, pattern: json<Pattern>(rule, "eventPattern") }))
    .filter(({ pattern }) => pattern.source.includes("aws.backup"))
    .map(({ rule, pattern }) => ({
      rule,
      pattern,
      target: ofType(run, TARGET).find((target) => target.inputs.rule === rule.outputs.name)!,
    }));
}

/** "hh:mm" of an AWS Backup cron expression `cron(m h ...)`. */
function timeOf(cron: string): string {
  const [, minutes = "0", hours = "0"] = /^cron\((\d+) (\d+) /.exec(cron) ?? [];
  return `${hours.padStart(2, "0")}:${minutes.padStart(2, "0")}`;
}

/**
 * CloudWatch's evaluation of an alarm over whole periods, most recent last: ALARM when `datapointsToAlarm` of the last
 * `evaluationPeriods` breach, missing data treated as the alarm says
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation).
 */
function alarmState(alarm: DeclaredResource, periods: readonly (number | undefined)[]): "ALARM" | "OK" {
  const window = periods.slice(-Number(alarm.inputs.evaluationPeriods));
  const threshold = Number(alarm.inputs.threshold);
  const breaches = window.filter((value) => {
    if (value === undefined) return alarm.inputs.treatMissingData === "breaching";
    return alarm.inputs.comparisonOperator === "LessThanThreshold" ? value < threshold : value > threshold;
  }).length;
  return breaches >= Number(alarm.inputs.datapointsToAlarm) ? "ALARM" : "OK";
}

describe("backups watch their own stack and keep out of each other's way", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      before(async () => (run = await stackRun(stack)));
      const vault = () => single(run, "aws:backup/vault:Vault", `${prefixOf(stack)}-backup-vault`);
      const role = () => single(run, "aws:iam/role:Role", `${prefixOf(stack)}-backup-role`);

      it("uses none of AWS Backup's account-wide metrics, which count every stack's jobs", () => {
        const accountWide = ofType(run, ALARM).filter((alarm) => alarm.inputs.namespace === "AWS/Backup");
        expect(accountWide.map((alarm) => alarm.name)).to.deep.equal([]);
      });

      it("selects this stack's jobs in every rule: its vault for backups and copies, its role for restores", () => {
        const rules = backupRules(run);
        expect(rules.length).to.be.at.least(4);
        for (const { rule, pattern } of rules) {
          const [type] = pattern["detail-type"];
          const own =
            type === "Restore Job State Change"
              ? { iamRoleArn: [role().outputs.arn] }
              : type === "Copy Job State Change"
                ? { sourceBackupVaultArn: [vault().outputs.arn] }
                : { backupVaultName: [vault().outputs.name] };
          expect(pattern.detail, rule.name).to.deep.include(own);
        }
      });

      it("notifies the critical topic of each failed backup, copy and restore, with the job in the message", () => {
        const critical = single(run, "aws:sns/topic:Topic", `${prefixOf(stack)}-alerts-critical`).outputs.arn;
        const failures = backupRules(run).filter(({ target }) => target.inputs.arn === critical);
        const states = failures.map(({ pattern }) => [
          pattern["detail-type"][0],
          pattern.detail.state ?? pattern.detail.status,
        ]);
        expect(states).to.deep.include(["Backup Job State Change", ["FAILED", "ABORTED", "EXPIRED"]]);
        expect(states).to.deep.include(["Restore Job State Change", ["FAILED", "ABORTED"]]);
        expect(states.some(([type]) => type === "Copy Job State Change")).to.equal(
          stackConfig(stack).backup.copyRetentionDays > 0,
        );
        for (const { target } of failures) {
          const transformer = target.inputs.inputTransformer as { inputTemplate: string; inputPaths: object };
          expect(transformer.inputTemplate).to.match(/^"\[critical\] .*<job>.*<status>"$/);
          expect(target.inputs.roleArn, "SNS targets use the topic policy, not a role").to.equal(undefined);
        }
      });

      it("records completed backups and restore tests in an encrypted log group only EventBridge may write", () => {
        const events = single(run, "aws:cloudwatch/logGroup:LogGroup", `${prefixOf(stack)}-backup-events`);
        expect(String(events.inputs.name)).to.match(/^\/aws\/events\//);
        const recorders = backupRules(run).filter(({ target }) => target.inputs.arn === events.outputs.arn);
        expect(recorders.map(({ pattern }) => pattern["detail-type"][0]).sort()).to.deep.equal([
          "Backup Job State Change",
          "Restore Job State Change",
        ]);
        const policy = single(run, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy");
        const [statement] = json<{ Statement: { Principal: unknown; Resource: string; Action: string[] }[] }>(
          policy,
          "policyDocument",
        ).Statement;
        expect(statement?.Principal).to.deep.equal({
          Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"],
        });
        expect(statement?.Resource).to.equal(`${String(events.outputs.arn)}:*`);
        expect(statement?.Action).to.deep.equal(["logs:CreateLogStream", "logs:PutLogEvents"]);
      });

      it("starts no backup rule during, or in the hour before, the database's backup or maintenance window", () => {
        const instance = single(run, "aws:rds/instance:Instance");
        const blocked = [
          dailyWindow(String(instance.inputs.backupWindow)),
          weeklyWindow(String(instance.inputs.maintenanceWindow)),
        ];
        const rules = single(run, "aws:backup/plan:Plan").inputs.rules as {
          ruleName: string;
          schedule: string;
          startWindow: number;
        }[];
        expect(rules).to.have.length(2);
        const starts = rules.map((rule) => everyDay(timeOf(rule.schedule), rule.startWindow));
        for (const start of starts) {
          for (const window of blocked) expect(overlaps(start, widenedBefore(window, 60))).to.equal(false);
        }
        expect(overlaps(starts[0]!, starts[1]!), "AWS Backup would skip one of two overlapping rules").to.equal(false);
        // An idle standby has no cache cluster yet: its windows are the stack file's, applied when it is created.
        const cacheWindows = isIdleStandby(stack)
          ? stackConfig(stack).cache
          : (single(run, "aws:elasticache/replicationGroup:ReplicationGroup").inputs as {
              snapshotWindow: string;
              maintenanceWindow: string;
            });
        expect(
          overlaps(
            dailyWindow(String(cacheWindows.snapshotWindow)),
            weeklyWindow(String(cacheWindows.maintenanceWindow)),
          ),
        ).to.equal(false);
        const testing = single(run, "aws:backup/restoreTestingPlan:RestoreTestingPlan");
        const daily = rules.find((rule) => rule.ruleName === "daily")!;
        const restoreAt = timeOf(String(testing.inputs.scheduleExpression));
        expect(restoreAt > timeOf(daily.schedule), "restore tests run after the day's backups start").to.equal(true);
      });

      it("keeps the design's 7 days of automated backups (a standby's replica too)", () => {
        expect(single(run, "aws:rds/instance:Instance").inputs.backupRetentionPeriod).to.equal(7);
      });
    });
  }

  it("gives each stack its own names, so two stacks in one account never watch each other", async () => {
    const [staging, production] = await Promise.all(STACKS.map((stack) => stackRun(stack)));
    const facts = (run: StackRun) => [
      single(run, "aws:backup/vault:Vault", `${prefixOf(run.stack)}-backup-vault`).outputs.name,
      single(run, "aws:backup/restoreTestingPlan:RestoreTestingPlan").outputs.name,
      single(run, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy").inputs.policyName,
      single(run, "aws:cloudwatch/logMetricFilter:LogMetricFilter", `${prefixOf(run.stack)}-backup-restores-completed`)
        .inputs.metricTransformation,
    ];
    const [a, b] = [facts(staging!), facts(production!)];
    a.forEach((value, index) => expect(JSON.stringify(value)).to.not.equal(JSON.stringify(b[index])));
  });

  describe("the missing-restore-test alarm (production restore-tests daily)", () => {
    let run: StackRun;
    let alarm: DeclaredResource;
    /** The metric per day from the events of each day, as the declared metric filter computes it. */
    let metric: (days: readonly string[][]) => (number | undefined)[];
    before(async () => {
      run = await stackRun("production");
      alarm = single(run, ALARM, "cloudweave-production-backup-restore-test-missing");
      const filter = single(
        run,
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "cloudweave-production-backup-restores-completed",
      );
      const transformation = filter.inputs.metricTransformation as {
        value: string;
        defaultValue: string;
        namespace: string;
        name: string;
      };
      expect(alarm.inputs).to.include({
        namespace: transformation.namespace,
        metricName: transformation.name,
        period: 86400,
      });
      expect(filter.inputs.pattern).to.equal('{ $.detail.status = "COMPLETED" }');
      // Backup-job events say `state`, restore-job events `status`: only a completed restore matches.
      metric = (days) =>
        days.map((events) =>
          events.length === 0
            ? undefined
            : events.reduce(
                (sum, event) =>
                  sum + Number(event === "restore completed" ? transformation.value : transformation.defaultValue),
                0,
              ),
        );
    });

    it("does not page on a new stack's first day, before its first restore test", () => {
      expect(alarmState(alarm, metric([[], ["backup completed"]]))).to.equal("OK");
      expect(alarmState(alarm, metric([["backup completed"], ["backup completed", "restore completed"]]))).to.equal(
        "OK",
      );
    });

    it("pages after two days of backups without a completed restore test", () => {
      expect(alarmState(alarm, metric([["backup completed"], ["backup completed"]]))).to.equal("ALARM");
      expect(alarm.inputs.alarmActions).to.deep.equal([
        single(run, "aws:sns/topic:Topic", "cloudweave-production-alerts-critical").outputs.arn,
      ]);
    });

    it("stays quiet on days without any backup event (failures are reported by their own rules)", () => {
      expect(alarmState(alarm, metric([[], []]))).to.equal("OK");
    });
  });
});
