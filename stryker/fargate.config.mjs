// @ts-check
import { area } from "./base.mjs";

export default area(
  "fargate",
  ["components/compute/fargate-service/scaling.ts", "components/compute/fargate-service/blue-green.ts"],
  [
    "test/scaling.test.ts",
    "test/deployment.test.ts",
    "test/rollback-alarms.test.ts",
    "test/compute.test.ts",
    "test/release.test.ts",
    "test/rollout.test.ts",
  ],
);
