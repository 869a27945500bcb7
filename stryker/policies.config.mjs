// @ts-check
import { area } from "./base.mjs";

export default area(
  "policies",
  ["policy-pack/policies/security-groups.ts"],
  ["test/security-group-policies.test.ts", "test/policies.test.ts"],
);
