import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { PROJECT_ROOT, runStack, stackNames, type StackRun } from "../offline/harness";
import { STACKS, canaryRelease, ofType, single, stackConfig, stackRun } from "./helpers";

/** Minutes of a Go-style duration the program sets as a custom timeout (`45m`). */
function minutes(duration: string | undefined): number {
  const match = /^(\d+)m$/.exec(duration ?? "");
  if (!match) throw new Error(`not a minutes timeout: ${String(duration)}`);
  return Number(match[1]);
}

function serviceTimeouts(run: StackRun): number[] {
  return ofType(run, "aws:ecs/service:Service").map((service) => minutes(service.customTimeouts.update));
}

describe("releases fit their timeouts and CI's credentials", () => {
  for (const stack of STACKS) {
    it(`${stack}: waits for each service's whole rollout — tasks starting, checks, bake — and no longer than CI can`, async () => {
      const run = await stackRun(stack);
      const { deployment } = stackConfig(stack);
      for (const timeout of serviceTimeouts(run)) {
        // Fargate tasks take minutes to start and pass three 30-second health checks: ten at the very least.
        expect(timeout, "a blue/green release: start, both checks' budgets, then the bake").to.be.at.least(
          10 + deployment.checks.testMinutes + deployment.checks.productionMinutes + deployment.bakeTimeMinutes,
        );
        expect(timeout).to.be.at.most(deployment.ciSessionMinutes);
      }
    });
  }

  it("gives a canary release time for the canary's bake and the checks before each of its two steps", async () => {
    const run = await stackRun("production", canaryRelease("production"));
    const blueGreen = serviceTimeouts(await stackRun("production"));
    const { productionMinutes } = stackConfig("production").deployment.checks;
    for (const [index, timeout] of serviceTimeouts(run).entries()) {
      expect(timeout - (blueGreen[index] as number), "the canary's 20 minutes and two more checks added").to.equal(
        20 + 2 * productionMinutes,
      );
    }
  });

  it("matches CI's deploy credentials: deploy.yml's sessions and the bootstrap roles' maximum", async () => {
    const workflow = parse(fs.readFileSync(path.join(PROJECT_ROOT, ".github/workflows/deploy.yml"), "utf8")) as {
      jobs: Record<string, { steps: { with?: Record<string, unknown> }[] }>;
    };
    const sessions = Object.values(workflow.jobs)
      .flatMap((job) => job.steps)
      .map((step) => step.with?.["role-duration-seconds"])
      .filter((seconds) => seconds !== undefined);
    expect(sessions.length).to.be.greaterThan(0);
    // The deploy roles as the bootstrap program declares them (not as its source reads).
    const bootstraps = stackNames(path.join(PROJECT_ROOT, "bootstrap"));
    for (const stack of STACKS) {
      // Each account's bootstrap stack is named after its primary stack and lists the account's stacks.
      const home = bootstraps.find((name) => stackConfig(name).accountId === stackConfig(stack).accountId)!;
      const bootstrap = await runStack(home, { projectDir: path.join(PROJECT_ROOT, "bootstrap") });
      const budget = stackConfig(stack).deployment.ciSessionMinutes * 60;
      for (const seconds of sessions) expect(Number(seconds), `${stack}: deploy.yml session`).to.be.at.least(budget);
      const deployRole = single(bootstrap, "aws:iam/role:Role", `cloudweave-ci-deploy-${stack}`);
      expect(deployRole.inputs.maxSessionDuration, `${stack}: the deploy role's maximum session`).to.be.at.least(
        budget,
      );
    }
  });
});
