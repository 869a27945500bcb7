/**
 * Loads the TypeScript compiler only if something uses it. The Pulumi SDK requires it when it loads (for function
 * serialization, which this program never does), and compiling its 9 MB takes most of a second: a third of the
 * offline plan. Importing this module first (see plan.ts) puts a lazy stand-in for the SDK's TypeScript shim in the
 * require cache; the first property read loads the real compiler.
 */
import Module from "node:module";
import * as path from "node:path";

const sdkRoot = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const shimPath = path.join(sdkRoot, "typescript-shim.js");

if (!(shimPath in require.cache)) {
  let compiler: Record<string | symbol, unknown> | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, by design
  const load = () => (compiler ??= require("typescript") as Record<string | symbol, unknown>);
  const shim = new Module(shimPath);
  shim.filename = shimPath;
  shim.loaded = true;
  shim.exports = new Proxy({}, { get: (_target, key) => load()[key], has: (_target, key) => key in load() });
  require.cache[shimPath] = shim;
}
