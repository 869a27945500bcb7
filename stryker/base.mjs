// @ts-check
/**
 * What every mutation run shares (npm run mutate:<area>; npm run mutate runs them all). Each area mutates the code
 * whose behaviour matters most and runs the tests that exercise it: the stack runs those tests share are computed
 * once per mutant (test/helpers.ts), so coverage cannot be attributed per test and every mutant runs the area's
 * whole set ("all"). Not part of npm test.
 */
/** @param {string} area @param {string[]} mutate @param {string[]} spec @returns {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export function area(area, mutate, spec) {
  return {
    packageManager: "npm",
    testRunner: "mocha",
    mochaOptions: { config: ".mocharc.json", spec },
    coverageAnalysis: "all",
    mutate,
    concurrency: 2,
    timeoutMS: 30000,
    reporters: ["clear-text", "progress", "html", "json"],
    htmlReporter: { fileName: `reports/mutation/${area}.html` },
    jsonReporter: { fileName: `reports/mutation/${area}.json` },
    // One folder per area, so areas can run side by side.
    tempDirName: `.stryker-tmp/${area}`,
    cleanTempDir: "always",
  };
}
