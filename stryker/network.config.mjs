// @ts-check
import { area } from "./base.mjs";

export default area(
  "network",
  ["components/network/network.ts"],
  ["test/network.test.ts", "test/stacks.test.ts", "test/naming.test.ts", "test/regions.test.ts"],
);
