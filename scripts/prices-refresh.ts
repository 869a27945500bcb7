/**
 * `npm run prices:refresh [-- --dry-run]`: rebuilds the committed price snapshots (offline/cost/prices/<region>.json)
 * from the AWS Price List Query API (`GetProducts`, @aws-sdk/client-pricing) with the shell's AWS credentials (any
 * principal allowed `pricing:GetProducts`; the API is read-only and global). It prices every key the snapshots hold
 * and every key the stacks need today (each stack is run offline to find them), each with the query
 * offline/cost/price-list.ts defines, and records the SKU, the price's effective date and today's date. A price the
 * Price List does not publish (AWS Budgets) keeps its recorded value. `--dry-run` prints the changes only.
 */
// First: keeps the SDK from loading the parts an offline run never uses (offline/lazy-sdk.ts).
import "../offline/lazy-sdk";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { GetProductsCommand, PricingClient, type Filter } from "@aws-sdk/client-pricing";
import { PRICES_DIR, loadPrices, type PriceEntry, type PriceSnapshot } from "../offline/cost/estimate";
import { ASSUMPTION_CARRIERS, COST_MODELS, type UsageAssumptions } from "../offline/cost/models";
import { priceDefinition, type PriceQuery } from "../offline/cost/price-list";
import { runStack, stackNames } from "../offline/harness";

/**
 * The Price List Query API answers in us-east-1 (also eu-central-1 and ap-south-1)
 * (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html#price-list-query-api-endpoints).
 */
export const PRICING_API_REGION = "us-east-1";

/** The On-Demand price of one product as `GetProducts` returns it (one JSON document per product). */
interface PriceListProduct {
  product: { sku: string; attributes: Record<string, string> };
  terms: {
    OnDemand?: Record<
      string,
      {
        effectiveDate: string;
        priceDimensions: Record<string, { unit: string; beginRange?: string; pricePerUnit: { USD?: string } }>;
      }
    >;
  };
}

/** Why a price could not be refreshed: the query found no product, or more than one. */
export class PriceNotFound extends Error {
  constructor(region: string, key: string, detail: string) {
    super(`${region} ${key}: ${detail}`);
    this.name = "PriceNotFound";
  }
}

/** The one On-Demand price a query finds, with its SKU and effective date. */
export async function queryPrice(
  client: Pick<PricingClient, "send">,
  region: string,
  key: string,
  query: PriceQuery,
): Promise<{ usd: number; sku: string; effectiveDate: string }> {
  const filters: Filter[] = [
    ...(query.global ? [] : [{ Type: "TERM_MATCH" as const, Field: "regionCode", Value: region }]),
    ...Object.entries(query.attributes).map(([Field, Value]) => ({ Type: "TERM_MATCH" as const, Field, Value })),
  ];
  const usagetype = new RegExp(query.usagetype);
  const found: { usd: number; sku: string; effectiveDate: string; usagetype: string }[] = [];
  const seen: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new GetProductsCommand({
        ServiceCode: query.serviceCode,
        Filters: filters,
        FormatVersion: "aws_v1",
        NextToken: token,
      }),
    );
    for (const document of (page.PriceList ?? []) as unknown[]) {
      // Each product is a JSON document in a string (the SDK types it as a lazily parsed JSON string).
      const product = JSON.parse(String(document)) as PriceListProduct;
      const type = product.product.attributes.usagetype ?? "";
      seen.push(type);
      if (!usagetype.test(type)) continue;
      for (const offer of Object.values(product.terms.OnDemand ?? {})) {
        for (const dimension of Object.values(offer.priceDimensions)) {
          // A tiered price (CloudFront, CloudWatch Logs) starts at 0: the estimate uses the first tier.
          if (dimension.unit.toLowerCase() !== query.unit.toLowerCase()) continue;
          if (dimension.beginRange !== undefined && dimension.beginRange !== "0") continue;
          const usd = Number(dimension.pricePerUnit.USD);
          if (!(usd > 0)) continue;
          found.push({ usd, sku: product.product.sku, effectiveDate: offer.effectiveDate, usagetype: type });
        }
      }
    }
    token = page.NextToken;
  } while (token);
  if (found.length === 0) {
    const types = [...new Set(seen)].sort().slice(0, 12).join(", ") || "none";
    throw new PriceNotFound(
      region,
      key,
      `no ${query.unit} price of a ${query.serviceCode} product whose usagetype matches /${query.usagetype}/ (usage types found: ${types})`,
    );
  }
  const distinct = new Map(found.map((candidate) => [`${candidate.sku} ${candidate.usd}`, candidate]));
  if (distinct.size > 1) {
    const list = [...distinct.values()].map((candidate) => `${candidate.usagetype} $${candidate.usd}`).join(", ");
    throw new PriceNotFound(
      region,
      key,
      `the query matches ${distinct.size} prices (${list}): narrow it in price-list.ts`,
    );
  }
  const [{ usd, sku, effectiveDate }] = [...distinct.values()] as [(typeof found)[number]];
  return { usd, sku, effectiveDate };
}

/** Refreshes every key of every snapshot (plus `needed` keys per region) and returns the new snapshots. */
export async function refreshSnapshots(
  client: Pick<PricingClient, "send">,
  current: ReadonlyMap<string, PriceSnapshot>,
  needed: ReadonlyMap<string, ReadonlySet<string>>,
  today: string,
): Promise<{ snapshots: PriceSnapshot[]; problems: string[] }> {
  const snapshots: PriceSnapshot[] = [];
  const problems: string[] = [];
  for (const region of [...new Set([...current.keys(), ...needed.keys()])].sort()) {
    const old = current.get(region)?.prices ?? {};
    const keys = [...new Set([...Object.keys(old), ...(needed.get(region) ?? [])])].sort();
    const prices: Record<string, PriceEntry> = {};
    for (const key of keys) {
      const definition = priceDefinition(key);
      if (!definition) {
        problems.push(`${region} ${key}: no Price List query for this key (offline/cost/price-list.ts)`);
        continue;
      }
      const recordedQuery = { ...definition.query, ...(definition.query.global ? {} : { regionCode: region }) };
      if (definition.query.notInPriceList) {
        const kept = old[key];
        if (kept) prices[key] = { ...kept, query: recordedQuery };
        else
          problems.push(
            `${region} ${key}: not in the Price List; add its price from ${definition.query.notInPriceList}`,
          );
        continue;
      }
      try {
        const { usd, sku, effectiveDate } = await queryPrice(client, region, key, definition.query);
        prices[key] = {
          usd,
          unit: definition.query.unit,
          what: definition.what,
          recorded: today,
          from: "price-list-api",
          query: recordedQuery,
          sku,
          effectiveDate,
        };
      } catch (error) {
        if (!(error instanceof PriceNotFound)) throw error;
        problems.push(error.message);
        const kept = old[key];
        if (kept) prices[key] = kept;
      }
    }
    snapshots.push({ region, currency: "USD", prices });
  }
  return { snapshots, problems };
}

/** The price keys each region needs for what the stacks declare today. */
async function neededKeys(): Promise<Map<string, Set<string>>> {
  const needed = new Map<string, Set<string>>();
  for (const stack of stackNames()) {
    const run = await runStack(stack);
    // Every assumption at 1: each item is asked for, whatever the stack files assume.
    const usage = Object.fromEntries(
      Object.keys(ASSUMPTION_CARRIERS).map((name) => [name, 1]),
    ) as unknown as UsageAssumptions;
    const context = { run, usage, count: () => 1 };
    for (const resource of run.resources) {
      for (const item of COST_MODELS[resource.type]?.(resource, context) ?? []) {
        const keys = needed.get(resource.region) ?? new Set<string>();
        keys.add(item.price);
        needed.set(resource.region, keys);
      }
    }
  }
  return needed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "dry-run": { type: "boolean" } }, strict: true });
  const current = loadPrices();
  const today = new Date().toISOString().slice(0, 10);
  const { snapshots, problems } = await refreshSnapshots(
    new PricingClient({ region: PRICING_API_REGION }),
    current,
    await neededKeys(),
    today,
  );
  for (const snapshot of snapshots) {
    for (const [key, entry] of Object.entries(snapshot.prices)) {
      const before = current.get(snapshot.region)?.prices[key]?.usd;
      if (before !== entry.usd)
        console.log(`${snapshot.region} ${key}: ${before ?? "(new)"} → ${entry.usd} USD per ${entry.unit}`);
    }
    if (!values["dry-run"]) {
      fs.writeFileSync(path.join(PRICES_DIR, `${snapshot.region}.json`), `${JSON.stringify(snapshot, null, 2)}\n`);
    }
  }
  for (const problem of problems) console.error(`not refreshed: ${problem}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    // No credentials, or AWS refused: one line, not a stack trace.
    console.error(`prices:refresh: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    process.exitCode = 1;
  });
}
