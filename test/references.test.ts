import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { z } from "zod";
import { rawSettings } from "../config/schema";
import { PROJECT_ROOT } from "../offline/harness";
import { policies } from "../policy-pack/policies";
import { REFERENCES, configurationReference, policyReference } from "../scripts/references";
import { stackRun } from "./helpers";

describe("generated references", () => {
  for (const [file, render] of Object.entries(REFERENCES)) {
    it(`${file} is what npm run docs writes from the code (run it after changing the source)`, async () => {
      const committed = fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
      expect(committed === (await render((stack) => stackRun(stack))), `${file} is stale: run npm run docs`).to.equal(
        true,
      );
    });
  }

  it("describes every setting the schema accepts, with the default the schema applies", () => {
    const reference = configurationReference();
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, key: string): void => {
      if (key && typeof node.description !== "string") missing.push(key);
      const properties = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [child, schema] of Object.entries(properties)) walk(schema, key ? `${key}.${child}` : child);
      for (const variant of (node.anyOf ?? []) as Record<string, unknown>[]) walk({ ...variant, description: "" }, key);
    };
    walk(z.toJSONSchema(rawSettings, { io: "input", unrepresentable: "any" }), "");
    expect(missing, "settings without a description").to.deep.equal([]);
    // The scale-out threshold: one default in the schema, shown as the schema applies it.
    const applied = rawSettings.shape["cloudweave:scaling"].parse(undefined).scaleOutCpuPercent;
    expect(reference).to.match(
      new RegExp(`\\| \`cloudweave:scaling\\.scaleOutCpuPercent\` \\(optional\\) \\| number \\| \`${applied}\``),
    );
  });

  it("lists every policy of the pack with each stack's level", () => {
    const reference = policyReference();
    for (const policy of policies)
      expect(reference, policy.name).to.match(new RegExp(`^\\| \`${policy.name}\` \\|`, "m"));
    // Columns: the stacks in order (production, production-dr, staging).
    expect(reference).to.match(/^\| `rds-multi-az` \|[^|]+\| mandatory \| mandatory \| advisory \|/m);
  });
});
