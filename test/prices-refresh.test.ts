import { expect } from "chai";
import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { mockClient } from "aws-sdk-client-mock";
import { FIXED_PRICES } from "../offline/cost/price-list";
import type { PriceSnapshot } from "../offline/cost/estimate";
import { PriceNotFound, queryPrice, refreshSnapshots } from "../scripts/prices-refresh";

const client = new PricingClient({
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const pricing = mockClient(client);

/** One product as the Price List's GetProducts returns it: a JSON document with its On-Demand terms. */
function product(
  sku: string,
  usagetype: string,
  dimensions: { unit: string; usd: string; beginRange?: string }[],
): string {
  return JSON.stringify({
    product: { sku, attributes: { usagetype } },
    terms: {
      OnDemand: {
        [`${sku}.JRTCKXETXF`]: {
          effectiveDate: "2026-11-01T00:00:00Z",
          priceDimensions: Object.fromEntries(
            dimensions.map((dimension, index) => [
              `${sku}.JRTCKXETXF.${index}`,
              { unit: dimension.unit, beginRange: dimension.beginRange, pricePerUnit: { USD: dimension.usd } },
            ]),
          ),
        },
      },
    },
  });
}

describe("npm run prices:refresh: the snapshots rebuilt from the AWS Price List", () => {
  beforeEach(() => pricing.reset());

  it("asks for the key's product in the region and takes the one On-Demand price of its unit", async () => {
    pricing.on(GetProductsCommand).resolves({
      PriceList: [
        product("NAT1", "USW2-NatGateway-Bytes", [{ unit: "GB", usd: "0.0450000000" }]),
        product("NAT2", "USW2-NatGateway-Hours", [{ unit: "Hrs", usd: "0.0450000000" }]),
      ],
    });
    const price = await queryPrice(client, "us-west-2", "nat-gateway-hour", FIXED_PRICES["nat-gateway-hour"]!.query);
    expect(price).to.deep.equal({ usd: 0.045, sku: "NAT2", effectiveDate: "2026-11-01T00:00:00Z" });
    expect(pricing.commandCalls(GetProductsCommand)[0]?.args[0].input).to.deep.equal({
      ServiceCode: "AmazonEC2",
      FormatVersion: "aws_v1",
      NextToken: undefined,
      Filters: [
        { Type: "TERM_MATCH", Field: "regionCode", Value: "us-west-2" },
        { Type: "TERM_MATCH", Field: "productFamily", Value: "NAT Gateway" },
      ],
    });
  });

  it("reads every page, names no region for a global service, and takes a tiered price's first tier", async () => {
    pricing
      .on(GetProductsCommand)
      .resolvesOnce({
        PriceList: [product("X", "EU-DataTransfer-Out-Bytes", [{ unit: "GB", usd: "0.085" }])],
        NextToken: "2",
      })
      .resolvesOnce({
        PriceList: [
          product("CF", "US-DataTransfer-Out-Bytes", [
            { unit: "GB", usd: "0.0850000000", beginRange: "0" },
            { unit: "GB", usd: "0.0800000000", beginRange: "10240" },
          ]),
        ],
      });
    const price = await queryPrice(
      client,
      "us-east-1",
      "cloudfront-data-out-gb",
      FIXED_PRICES["cloudfront-data-out-gb"]!.query,
    );
    expect(price.usd).to.equal(0.085);
    const calls = pricing.commandCalls(GetProductsCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.NextToken)).to.deep.equal([undefined, "2"]);
    expect(calls[0]?.Filters?.map((filter) => filter.Field)).to.not.include("regionCode");
  });

  it("refuses a query that finds no price, or more than one, saying what it found", async () => {
    pricing
      .on(GetProductsCommand)
      .resolves({ PriceList: [product("A", "USE1-Something-Else", [{ unit: "Hrs", usd: "1" }])] });
    const none = await queryPrice(client, "us-east-1", "alb-hour", FIXED_PRICES["alb-hour"]!.query).catch(
      (e: unknown) => e,
    );
    expect(none).to.be.instanceOf(PriceNotFound);
    expect((none as Error).message).to.equal(
      "us-east-1 alb-hour: no Hrs price of a AWSELB product whose usagetype matches /LoadBalancerUsage$/ (usage types found: USE1-Something-Else)",
    );
    pricing.on(GetProductsCommand).resolves({
      PriceList: [
        product("A", "LoadBalancerUsage", [{ unit: "Hrs", usd: "0.0225" }]),
        product("B", "USE1-LoadBalancerUsage", [{ unit: "Hrs", usd: "0.0252" }]),
      ],
    });
    const two = await queryPrice(client, "us-east-1", "alb-hour", FIXED_PRICES["alb-hour"]!.query).catch(
      (e: unknown) => e,
    );
    expect((two as Error).message).to.match(
      /^us-east-1 alb-hour: the query matches 2 prices \(LoadBalancerUsage \$0\.0225, /,
    );
  });

  it("writes each price with its source and today's date, keeps what the Price List does not publish, and reports failures", async () => {
    pricing.on(GetProductsCommand, { ServiceCode: "awskms" }).resolves({
      PriceList: [product("KMS", "us-east-1-KMS-Keys", [{ unit: "Keys", usd: "1.0000000000" }])],
    });
    pricing.on(GetProductsCommand, { ServiceCode: "AmazonEC2" }).resolves({ PriceList: [] });
    const old = (usd: number) => ({
      usd,
      unit: "x",
      what: "x",
      recorded: "2026-01-01",
      from: "pricing page https://example.com/",
      query: {},
    });
    const current = new Map<string, PriceSnapshot>([
      [
        "us-east-1",
        {
          region: "us-east-1",
          currency: "USD",
          prices: { "budget-day": old(0.02) as never, "nat-gateway-hour": old(0.045) as never },
        },
      ],
    ]);
    const { snapshots, problems } = await refreshSnapshots(
      client,
      current,
      new Map([["us-east-1", new Set(["kms-key-month"])]]),
      "2026-11-26",
    );
    const prices = snapshots[0]?.prices ?? {};
    expect(prices["kms-key-month"]).to.deep.equal({
      usd: 1,
      unit: "Keys",
      what: FIXED_PRICES["kms-key-month"]!.what,
      recorded: "2026-11-26",
      from: "price-list-api",
      query: { ...FIXED_PRICES["kms-key-month"]!.query, regionCode: "us-east-1" },
      sku: "KMS",
      effectiveDate: "2026-11-01T00:00:00Z",
    });
    // Budgets' price is not in the Price List: kept as recorded, from its page.
    expect(prices["budget-day"]?.usd).to.equal(0.02);
    expect(prices["budget-day"]?.recorded).to.equal("2026-01-01");
    // A price the query no longer finds keeps its old value, and the run says so (and exits non-zero).
    expect(prices["nat-gateway-hour"]?.usd).to.equal(0.045);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^us-east-1 nat-gateway-hour: no Hrs price of a AmazonEC2 product/);
  });
});
