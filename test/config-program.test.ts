import { expect } from "chai";
import { ProgramFailed, readStackSettings, runStack } from "../offline/harness";
import { BAD_CASES, settingsOf } from "./fixtures/bad-config";

describe("the program with bad settings", () => {
  for (const badCase of BAD_CASES) {
    it(`fails before declaring any resource: ${badCase.title} (${badCase.stack})`, async () => {
      const settings = settingsOf(badCase.stack);
      badCase.change(settings);
      const expected = badCase.value ? `${badCase.key} = ${badCase.value}: ` : `${badCase.key}: `;
      // The settings through the real program: it fails with the schema's message and declares nothing.
      const overrides = Object.fromEntries(
        [...new Set([...Object.keys(settings), ...Object.keys(readStackSettings(badCase.stack))])].map((key) => [
          key,
          settings[key],
        ]),
      );
      const failure = await runStack(badCase.stack, { configOverrides: overrides }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(ProgramFailed);
      const { cause, declared } = failure as ProgramFailed;
      expect((cause as Error).message).to.include(expected);
      expect(declared.map((resource) => resource.type)).to.deep.equal(["pulumi:pulumi:Stack"]);
    });
  }
});
