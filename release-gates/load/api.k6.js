// k6 load test of staging's API through CloudFront: the pipeline's gate before production.
// Thresholds fail the run (and the pipeline) when latency or errors exceed what production must meet.
import http from "k6/http";
import { check, sleep } from "k6";

const BASE_URL = __ENV.BASE_URL || "https://staging.cloudweave.io";

export const options = {
  scenarios: {
    api: {
      executor: "ramping-arrival-rate",
      startRate: 5,
      timeUnit: "1s",
      preAllocatedVUs: 20,
      maxVUs: 100,
      stages: [
        { target: 25, duration: "1m" },
        { target: 25, duration: "3m" },
        { target: 0, duration: "30s" },
      ],
    },
  },
  thresholds: {
    http_req_failed: ["rate<0.01"],
    http_req_duration: ["p(95)<500", "p(99)<1500"],
    checks: ["rate>0.99"],
  },
};

export default function () {
  const response = http.get(`${BASE_URL}/api/v1/health`);
  check(response, { "status is 200": (r) => r.status === 200 });
  sleep(1);
}
