/**
 * The project's stack files, read as Pulumi reads them: which stacks exist and the `config:` map of each. Light on
 * purpose (no Pulumi SDK), so the config tests and scripts can read stack files without loading the runtime.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

/** The project's root folder (where `Pulumi.yaml` is). */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** The stacks that have a `Pulumi.<stack>.yaml` in the project. */
export function stackNames(projectDir: string = PROJECT_ROOT): string[] {
  return fs
    .readdirSync(projectDir)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

/** The `config:` map of `Pulumi.<stack>.yaml` as written (structured values as objects), with overrides applied. */
export function readStackSettings(
  stack: string,
  overrides: Readonly<Record<string, unknown>> = {},
  projectDir: string = PROJECT_ROOT,
): Record<string, unknown> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(
      `no stack "${stack}": ${path.basename(file)} does not exist (stacks: ${stackNames(projectDir).join(", ")})`,
    );
  }
  const document = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const merged: Record<string, unknown> = { ...(document.config ?? {}), ...overrides };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}
