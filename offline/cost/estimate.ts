/**
 * The monthly cost of what a stack declares: each resource's line items (offline/cost/models.ts) priced from the
 * committed snapshot of its region (offline/cost/prices/<region>.json), summed per component and per resource type,
 * with the usage assumptions shown as such and every resource left out of the total listed with why.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { outermostComponent, type StackRun } from "../harness";
import {
  ASSUMPTION_CARRIERS,
  COST_MODELS,
  FREE_TYPES,
  USAGE_NOT_ESTIMATED,
  type CostItem,
  type UsageAssumptions,
} from "./models";
import type { PriceQuery } from "./price-list";

/** Where the committed price snapshots live, one file per region. */
export const PRICES_DIR = path.join(__dirname, "prices");

/** One price of a snapshot, with where it came from. */
export interface PriceEntry {
  /** US dollars per unit. */
  readonly usd: number;
  /** The unit, as the Price List states it. */
  readonly unit: string;
  readonly what: string;
  /** The day the price was read (YYYY-MM-DD). */
  readonly recorded: string;
  /** `price-list-api` (npm run prices:refresh), or the pricing page it was copied from. */
  readonly from: string;
  /** The Price List query that finds it (offline/cost/price-list.ts), with the region it was run for. */
  readonly query: PriceQuery & { readonly regionCode?: string };
  /** The product's SKU and the price's effective date, when read from the Price List API. */
  readonly sku?: string;
  readonly effectiveDate?: string;
}

/** The prices of one region. */
export interface PriceSnapshot {
  readonly region: string;
  readonly currency: "USD";
  readonly prices: Readonly<Record<string, PriceEntry>>;
}

/** Snapshots by region. */
export type PriceBook = ReadonlyMap<string, PriceSnapshot>;

/** Reads every committed snapshot. */
export function loadPrices(dir = PRICES_DIR): PriceBook {
  const book = new Map<string, PriceSnapshot>();
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith(".json"))) {
    const snapshot = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as PriceSnapshot;
    book.set(snapshot.region, snapshot);
  }
  return book;
}

/** One priced line: a resource's item at its region's price. */
export interface CostLine {
  /** The top-level component the resource belongs to (its name), or the stack for a resource declared outside one. */
  readonly component: string;
  /** That component's type token. */
  readonly componentType: string;
  readonly resource: string;
  readonly type: string;
  readonly region: string;
  readonly what: string;
  readonly quantity: number;
  readonly price: string;
  readonly usdPerUnit: number;
  readonly monthly: number;
  /** The month's cost with every service at its maximum task count. */
  readonly monthlyAtMax: number;
  readonly basis: CostItem["basis"];
}

/** A resource or an item the estimate could not price, and why. */
export interface Unpriced {
  readonly type: string;
  readonly resource: string;
  readonly reason: string;
}

/** An assumption and whether any resource carried it. */
export interface AppliedAssumption {
  readonly name: keyof UsageAssumptions;
  readonly value: number;
  /** The resource type that carries it; none of it in the stack: the assumption prices nothing. */
  readonly carrier: string;
  readonly applied: boolean;
  readonly monthly: number;
}

/** The estimate of one stack. */
export interface CostReport {
  readonly stack: string;
  readonly lines: readonly CostLine[];
  readonly total: number;
  readonly totalAtMax: number;
  readonly unpriced: readonly Unpriced[];
  /** Types charged by use that no assumption covers, with how many the stack declares. */
  readonly notEstimated: readonly { readonly type: string; readonly count: number; readonly reason: string }[];
  readonly assumptions: readonly AppliedAssumption[];
  /** Where the usage came from (the stack file, or another stack's when comparing). */
  readonly usageSource: string;
  /** `cloudweave:cost.monthlyBudgetUsd`, when the stack sets it. */
  readonly budgetUsd: number | undefined;
  /** The snapshots used: region and the dates their prices were recorded. */
  readonly priceSources: readonly { readonly region: string; readonly recorded: readonly string[] }[];
}

const NO_USAGE: UsageAssumptions = {
  cdnDataTransferOutGb: 0,
  cdnRequestsMillions: 0,
  loadBalancerCapacityUnits: 0,
  natDataProcessedGb: 0,
  logIngestionGb: 0,
  backupStorageGb: 0,
};

/** The stack's `cloudweave:cost` settings as the run recorded them (unset: no budget, no usage assumed). */
export function costSettings(run: StackRun): { budgetUsd?: number; usage?: UsageAssumptions } {
  const text = run.config["cloudweave:cost"];
  if (text === undefined) return {};
  const parsed = JSON.parse(text) as { monthlyBudgetUsd?: number; usage?: UsageAssumptions };
  return {
    ...(parsed.monthlyBudgetUsd !== undefined ? { budgetUsd: parsed.monthlyBudgetUsd } : {}),
    ...(parsed.usage ? { usage: { ...NO_USAGE, ...parsed.usage } } : {}),
  };
}

/** Options of {@link estimateCost}. */
export interface EstimateOptions {
  /** Usage to assume instead of the run's own (a base revision is priced with the head's assumptions). */
  readonly usage?: { readonly assumptions: UsageAssumptions; readonly source: string };
}

/** Prices every resource the run declares. */
export function estimateCost(run: StackRun, prices: PriceBook, options: EstimateOptions = {}): CostReport {
  const settings = costSettings(run);
  const usage = options.usage?.assumptions ?? settings.usage ?? NO_USAGE;
  const usageSource =
    options.usage?.source ??
    (settings.usage ? `cloudweave:cost.usage in Pulumi.${run.stack}.yaml` : "none (no cloudweave:cost.usage)");
  const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
  const counts = new Map<string, number>();
  for (const resource of run.resources) counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
  const context = { run, usage, count: (type: string) => counts.get(type) ?? 0 };

  const lines: CostLine[] = [];
  const unpriced: Unpriced[] = [];
  const usedRecords = new Map<string, Set<string>>();
  for (const resource of run.resources.filter((candidate) => candidate.custom)) {
    const model = COST_MODELS[resource.type];
    if (!model) {
      if (!(resource.type in FREE_TYPES) && !(resource.type in USAGE_NOT_ESTIMATED)) {
        unpriced.push({ type: resource.type, resource: resource.name, reason: "no cost model for this type" });
      }
      continue;
    }
    const owner = outermostComponent(resource, byUrn);
    for (const item of model(resource, context)) {
      const entry = prices.get(resource.region)?.prices[item.price];
      if (!entry) {
        unpriced.push({
          type: resource.type,
          resource: resource.name,
          reason: `${item.what}: no price "${item.price}" in offline/cost/prices/${resource.region}.json (npm run prices:refresh adds it)`,
        });
        continue;
      }
      const recorded = usedRecords.get(resource.region) ?? new Set<string>();
      recorded.add(entry.recorded);
      usedRecords.set(resource.region, recorded);
      lines.push({
        component: owner?.name ?? run.stack,
        componentType: owner?.type ?? "pulumi:pulumi:Stack",
        resource: resource.name,
        type: resource.type,
        region: resource.region,
        what: item.what,
        quantity: item.quantity,
        price: item.price,
        usdPerUnit: entry.usd,
        monthly: item.quantity * entry.usd,
        monthlyAtMax: (item.quantityAtMax ?? item.quantity) * entry.usd,
        basis: item.basis,
      });
    }
  }

  const assumptions = (Object.keys(ASSUMPTION_CARRIERS) as (keyof UsageAssumptions)[]).map((name) => ({
    name,
    value: usage[name],
    carrier: ASSUMPTION_CARRIERS[name],
    applied: (counts.get(ASSUMPTION_CARRIERS[name]) ?? 0) > 0,
    monthly: sum(
      lines.filter((line) => typeof line.basis === "object" && line.basis.assumption === name),
      (line) => line.monthly,
    ),
  }));
  const notEstimated = Object.entries(USAGE_NOT_ESTIMATED)
    .filter(([type]) => counts.has(type))
    .map(([type, reason]) => ({ type, count: counts.get(type) ?? 0, reason }));
  return {
    stack: run.stack,
    lines,
    total: sum(lines, (line) => line.monthly),
    totalAtMax: sum(lines, (line) => line.monthlyAtMax),
    unpriced,
    notEstimated,
    assumptions,
    usageSource,
    budgetUsd: settings.budgetUsd,
    priceSources: [...usedRecords]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([region, dates]) => ({ region, recorded: [...dates].sort() })),
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

/** Dollars with cents and thousands separators. */
export function usd(amount: number): string {
  return `$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A signed difference in dollars. */
function signedUsd(amount: number): string {
  const rounded = Math.round(amount * 100) / 100;
  return `${rounded < 0 ? "-" : "+"}${usd(Math.abs(rounded))}`;
}

const isAssumed = (line: CostLine) => typeof line.basis === "object";

/** Sums lines by a key, keeping the key's first-seen label. */
function totalsBy(lines: readonly CostLine[], key: (line: CostLine) => string) {
  const totals = new Map<
    string,
    { declared: number; assumed: number; monthly: number; atMax: number; count: Set<string> }
  >();
  for (const line of lines) {
    const entry = totals.get(key(line)) ?? { declared: 0, assumed: 0, monthly: 0, atMax: 0, count: new Set<string>() };
    if (isAssumed(line)) entry.assumed += line.monthly;
    else entry.declared += line.monthly;
    entry.monthly += line.monthly;
    entry.atMax += line.monthlyAtMax;
    entry.count.add(line.resource);
    totals.set(key(line), entry);
  }
  return totals;
}

/** The short name of a component type: `cloudweave:network:Network` → `Network`. */
function shortType(type: string): string {
  return type.split(":").pop() ?? type;
}

const money = (amount: number) => usd(amount).padStart(12);

/** The estimate as the plan prints it. */
export function renderCost(report: CostReport): string {
  const sources = report.priceSources
    .map(({ region, recorded }) => `${region} (recorded ${recorded.join(", ")})`)
    .join(", ");
  const lines = [
    `Estimated monthly cost of stack "${report.stack}": ${usd(report.total)}` +
      (report.totalAtMax !== report.total
        ? ` (with every service at its maximum task count: ${usd(report.totalAtMax)})`
        : ""),
    `On-demand prices, 730 hours a month, no free tier, discount or tax; from offline/cost/prices/: ${sources || "none"}.`,
    "",
    `${"By component".padEnd(58)}${"declared".padStart(12)}${"usage*".padStart(12)}${"monthly".padStart(12)}${"at max tasks".padStart(14)}`,
  ];
  const components = totalsBy(report.lines, (line) => `${line.component}\u0000${line.componentType}`);
  for (const [key, entry] of [...components].sort(([, a], [, b]) => b.monthly - a.monthly)) {
    const [name = "", type = ""] = key.split("\u0000");
    lines.push(
      `  ${`${name} (${shortType(type)})`.padEnd(56)}${money(entry.declared)}${money(entry.assumed)}${money(entry.monthly)}${money(entry.atMax).padStart(14)}`,
    );
  }
  lines.push(
    `  ${"total".padEnd(56)}${money(report.total - assumedTotal(report))}${money(assumedTotal(report))}${money(report.total)}${money(report.totalAtMax).padStart(14)}`,
    "",
    `${"By resource type".padEnd(58)}${"count".padStart(12)}${"monthly".padStart(12)}`,
  );
  const types = totalsBy(report.lines, (line) => line.type);
  for (const [type, entry] of [...types].sort(([, a], [, b]) => b.monthly - a.monthly)) {
    lines.push(`  ${type.padEnd(56)}${String(entry.count.size).padStart(12)}${money(entry.monthly)}`);
  }
  lines.push("", `* Usage assumed per month (${report.usageSource}):`);
  for (const assumption of report.assumptions) {
    const note = assumption.applied
      ? usd(assumption.monthly)
      : `prices nothing: the stack declares no ${assumption.carrier}`;
    lines.push(`  ${assumption.name.padEnd(28)}${String(assumption.value).padStart(10)}  → ${note}`);
  }
  lines.push("", "Not estimated (charged by use; no assumption covers it):");
  if (report.notEstimated.length === 0) lines.push("  (none)");
  for (const { type, count, reason } of report.notEstimated) lines.push(`  ${type} ×${count}: ${reason}`);
  lines.push("", "Unpriced (no cost model or no price: left out of the total):");
  if (report.unpriced.length === 0) lines.push("  (none)");
  for (const { type, resource, reason } of report.unpriced) lines.push(`  ${type}  ${resource}: ${reason}`);
  if (report.budgetUsd !== undefined) {
    const share = Math.round((report.total / report.budgetUsd) * 100);
    const verdict =
      report.total > report.budgetUsd
        ? "over it: the actual-spend alert would fire every month"
        : report.total > report.budgetUsd * 0.8
          ? "above the 80 % forecast alert"
          : "below the 80 % forecast alert";
    lines.push(
      "",
      `Budget: ${usd(report.budgetUsd)} a month (cloudweave:cost.monthlyBudgetUsd); the estimate is ${share} % of it, ${verdict}.`,
    );
  }
  return lines.join("\n");
}

function assumedTotal(report: CostReport): number {
  return sum(report.lines.filter(isAssumed), (line) => line.monthly);
}

/** The monthly difference between a base revision's estimate and the head's: total, per component, per type. */
export function renderCostDiff(head: CostReport, base: CostReport, baseRef: string): string {
  const delta = head.total - base.total;
  const percent = base.total > 0 ? ` (${delta >= 0 ? "+" : ""}${((delta / base.total) * 100).toFixed(1)} %)` : "";
  const lines = [
    `Monthly cost of stack "${head.stack}": ${usd(base.total)} at ${baseRef} → ${usd(head.total)} now, ${signedUsd(delta)}${percent}`,
    `Both priced with the working tree's price snapshots and usage assumptions (${head.usageSource}): the difference is the change's.`,
  ];
  const section = (title: string, key: (line: CostLine) => string) => {
    const now = totalsBy(head.lines, key);
    const before = totalsBy(base.lines, key);
    const changed = [...new Set([...now.keys(), ...before.keys()])]
      .map((name) => ({ name, from: before.get(name)?.monthly ?? 0, to: now.get(name)?.monthly ?? 0 }))
      .filter(({ from, to }) => Math.abs(to - from) >= 0.005)
      .sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from));
    lines.push("", `${title}:`);
    if (changed.length === 0) lines.push("  (no change)");
    for (const { name, from, to } of changed) {
      lines.push(`  ${name.replace("\u0000", " ").padEnd(70)}${money(from)} →${money(to)}  ${signedUsd(to - from)}`);
    }
  };
  section("By component", (line) => line.component);
  section("By resource type", (line) => line.type);
  const newlyUnpriced = head.unpriced.filter(
    (item) => !base.unpriced.some((old) => old.resource === item.resource && old.reason === item.reason),
  );
  if (newlyUnpriced.length > 0) {
    lines.push("", "Unpriced in this change (left out of the difference):");
    for (const { type, resource, reason } of newlyUnpriced) lines.push(`  ${type}  ${resource}: ${reason}`);
  }
  return lines.join("\n");
}
