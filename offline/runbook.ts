/**
 * The recovery runbook (docs/runbook-restore.md) as data: its timed steps with their commands and checks, its budget
 * table, and the shell variables that make it a runbook for any primary/standby pair. The tests check it against the
 * stack files; the game day (scripts/game-day.ts) runs it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, readStackSettings } from "./stack-files";

/** Where the runbook lives. */
export const RUNBOOK_PATH = path.join(PROJECT_ROOT, "docs", "runbook-restore.md");

/** One timed step: `## <n>. <title> (<h:mm>, <minutes> min)`. */
export interface RunbookStep {
  readonly number: number;
  readonly title: string;
  /** Minutes after the declaration at which it starts. */
  readonly start: number;
  /** Its budget in minutes. */
  readonly minutes: number;
  /** The shell commands of its `sh` blocks, one per line, in order. */
  readonly commands: readonly string[];
  /** What its **Verify:** paragraph says. */
  readonly verify: string;
}

/** A row of the budget table. */
export interface BudgetRow {
  readonly title: string;
  readonly start: number;
  readonly minutes: number | undefined;
}

export interface Runbook {
  readonly steps: readonly RunbookStep[];
  readonly budget: readonly BudgetRow[];
  /** The RTO row: when the application serves from the standby. */
  readonly rto: number;
  /** The untimed sections (fallback, fail-back, ...) by heading, with their commands. */
  readonly sections: Readonly<Record<string, readonly string[]>>;
}

/** `h:mm` as minutes. */
export function minutesOf(clock: string): number {
  const match = /^(\d+):(\d\d)$/.exec(clock.trim());
  if (!match) throw new Error(`"${clock}" is not h:mm`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** The `sh` blocks' lines of a piece of markdown, indentation removed, comments and blanks dropped. */
function commandsIn(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => (block[1] ?? "").split("\n"))
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** Reads the runbook's structure; throws when a timed step or the budget table is malformed. */
export function readRunbook(text: string = fs.readFileSync(RUNBOOK_PATH, "utf8")): Runbook {
  const parts = text.split(/^## /m).slice(1);
  const steps: RunbookStep[] = [];
  const sections: Record<string, string[]> = {};
  let budget: BudgetRow[] = [];
  let rto: number | undefined;
  for (const part of parts) {
    const [heading = "", ...body] = part.split("\n");
    const content = body.join("\n");
    const timed = /^(\d+)\. (.+) \((\d+:\d\d), (\d+) min\)$/.exec(heading);
    if (timed) {
      steps.push({
        number: Number(timed[1]),
        title: timed[2] ?? "",
        start: minutesOf(timed[3] ?? ""),
        minutes: Number(timed[4]),
        commands: commandsIn(content),
        verify: /\*\*Verify:\*\*([\s\S]*?)(\n\n|$)/.exec(content)?.[1]?.trim() ?? "",
      });
    } else if (heading === "Budget") {
      const rows = content
        .split("\n")
        .filter((line) => line.startsWith("| ") && !line.startsWith("| Step") && !line.startsWith("| ---"))
        .map((line) => line.split("|").map((cell) => cell.trim().replace(/\*\*/g, "")));
      budget = rows.map(([, title = "", start = "", minutes = ""]) => ({
        title,
        start: minutesOf(start),
        minutes: minutes === "" ? undefined : Number(minutes),
      }));
      rto = budget.find((row) => row.minutes === undefined)?.start;
    } else {
      sections[heading.trim()] = commandsIn(content);
    }
  }
  if (steps.length === 0) throw new Error("the runbook has no timed step (## <n>. <title> (<h:mm>, <m> min))");
  if (rto === undefined) throw new Error("the runbook's budget table has no RTO row");
  return { steps, budget, rto, sections };
}

/**
 * The shell variables that make the runbook a primary/standby pair's, from the two stack files: what its first step
 * exports for production, and what a game day exports for staging.
 */
export function pairVariables(
  primary: string,
  standby: string,
  projectDir: string = PROJECT_ROOT,
): Record<string, string> {
  const settings = readStackSettings(standby, {}, projectDir);
  const environment = String(settings["cloudweave:environment"]);
  const domain = (settings["cloudweave:domain"] as { name: string }).name;
  return {
    PRIMARY: primary,
    STANDBY: standby,
    ENVIRONMENT: environment,
    REGION: String(settings["aws:region"]),
    PREFIX: `cloudweave-${environment}`,
    DOMAIN: domain,
  };
}

/** The `export NAME=value` assignments of plain values in `commands` (not command substitutions). */
export function exportedValues(commands: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const command of commands) {
    if (!command.startsWith("export ")) continue;
    for (const match of command.slice("export ".length).matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      const value = (match[2] ?? "").replace(/^"|"$/g, "");
      if (!value.includes("$")) values[match[1] ?? ""] = value;
    }
  }
  return values;
}

/** `text` with `$NAME` / `${NAME}` replaced from `variables` (others left as they are). */
export function substitute(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? "";
    return variables[name] ?? whole;
  });
}
