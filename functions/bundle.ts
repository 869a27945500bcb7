/**
 * Bundles a function's TypeScript with its dependencies into one file with esbuild, for `aws.lambda.Function`'s
 * code archive. The output is deterministic (same sources and lockfile, same bytes), so the function's code hash
 * changes only when its code does. Bundles are cached on disk by that content, so the offline plan and the tests
 * build each one once per change.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { buildSync } from "esbuild";

const ROOT = join(__dirname, "..");
const CACHE = join(ROOT, "node_modules", ".cache", "cloudweave-functions");

/** The Lambda runtime the bundles target (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html: Node.js 24, deprecated Apr 30, 2028). */
export const LAMBDA_RUNTIME = "nodejs24.x";
const ESBUILD_TARGET = "node24";

/** A built function: its code and the name of the file in the archive that holds it. */
export interface Bundle {
  /** The handler setting: `<file without extension>.<export>`. */
  handler: string;
  fileName: string;
  /**
   * Where the code is on disk (the cache): what a Pulumi asset names, so a deployment reads the file instead of the
   * program passing a megabyte of code through every resource registration.
   */
  path: string;
  code: string;
  /** SHA-256 of the code, hex. */
  sha256: string;
}

const built = new Map<string, Bundle>();

function sourceHash(directory: string): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(directory)
    .filter((name) => name.endsWith(".ts"))
    .sort()) {
    hash.update(relative(ROOT, join(directory, file))).update(readFileSync(join(directory, file)));
  }
  hash.update(readFileSync(join(ROOT, "package-lock.json")));
  return hash.digest("hex");
}

/** The bundle of `functions/<name>/handler.ts` (exporting `handler`). */
export function functionBundle(name: string): Bundle {
  const cached = built.get(name);
  if (cached) return cached;
  const directory = join(ROOT, "functions", name);
  const key = sourceHash(directory);
  const cacheFile = join(CACHE, `${name}-${key}.js`);
  let code: string;
  if (existsSync(cacheFile)) {
    code = readFileSync(cacheFile, "utf8");
  } else {
    const result = buildSync({
      entryPoints: [join(directory, "handler.ts")],
      bundle: true,
      platform: "node",
      target: ESBUILD_TARGET,
      format: "cjs",
      minify: true,
      legalComments: "none",
      write: false,
      logLevel: "silent",
    });
    code = result.outputFiles[0]!.text;
    mkdirSync(CACHE, { recursive: true });
    // Written aside, then renamed: a plan running beside this one never reads half a bundle.
    const partial = `${cacheFile}.${process.pid}`;
    writeFileSync(partial, code);
    renameSync(partial, cacheFile);
  }
  const bundle = {
    handler: "index.handler",
    fileName: "index.js",
    path: cacheFile,
    code,
    sha256: createHash("sha256").update(code).digest("hex"),
  };
  built.set(name, bundle);
  return bundle;
}
