import type { Context } from "mocha";
import { activeMutant, stackRun, STACKS } from "../helpers";

/**
 * A mocha root hook (`.mocharc.json` requires this file): before the first test, run every stack file once, so the
 * first test that reads a stack does not pay the process's cold start (loading the provider's modules, the first
 * compile of the program) inside its own 10 s timeout. On a loaded CI machine that cold start alone once took longer
 * than the timeout. The runs are the ones the tests share (`stackRun` caches them), so this adds no work to a full
 * run. A mutation run (StrykerJS) runs a subset of the tests per mutant and skips it.
 */
export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    if (activeMutant() !== "none" || "__stryker__" in globalThis) return;
    this.timeout(120_000);
    for (const stack of STACKS) await stackRun(stack);
  },
};
