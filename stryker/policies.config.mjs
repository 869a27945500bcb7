// @ts-check
import { area } from "./base.mjs";

export default area(
  "policies",
  ["policy-pack/policies/security-groups.ts"],
  // The policies' metadata (description, anchors, settings) is what the generated policy-pack/README.md shows.
  ["test/security-group-policies.test.ts", "test/references.test.ts"],
);
