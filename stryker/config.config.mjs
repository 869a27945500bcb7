// @ts-check
import { area } from "./base.mjs";

// Most of the schema is built when its module loads: those mutants need a fresh test process each (Stryker's
// "static" mutants), so this area runs only the tests that exercise the schema.
export default area(
  "config",
  ["config/fields.ts", "config/settings.ts", "config/rules.ts", "config/schema.ts"],
  ["test/config.test.ts", "test/references.test.ts"],
);
