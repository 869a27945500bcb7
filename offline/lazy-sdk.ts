/**
 * Loads three heavy parts of the Pulumi SDK only if something uses them. The SDK requires them when it loads, and an
 * offline run (mocks, no engine) never does: the TypeScript compiler (for function serialization, 9 MB to compile),
 * `@npmcli/arborist` (reads the npm tree, for the same), and the Automation API. Loading the SDK took 0.8 s with
 * them and 0.44 s without (this machine, `require("@pulumi/pulumi")` timed three times). Importing this module before
 * the SDK puts a lazy stand-in for each in the require cache; the first property read of a stand-in loads the real
 * module. Real `pulumi preview/up` runs never import it.
 */
import Module from "node:module";
import * as path from "node:path";

const sdkRoot = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

/** Loads a module from its own file, once its stand-in has left the require cache. */
function fromOwnFile(file: string): () => unknown {
  return () => {
    delete require.cache[file];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, by design
    return require(file) as unknown;
  };
}

const arborist = require.resolve("@npmcli/arborist", { paths: [sdkRoot] });
const automation = path.join(sdkRoot, "automation", "index.js");

/** The modules a mocked run never calls into, by the file the SDK requires, and how to load the real one. */
const LAZY_MODULES: readonly { file: string; load: () => unknown }[] = [
  // The SDK's shim re-exports the compiler: the stand-in can be the compiler itself.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, by design
  { file: path.join(sdkRoot, "typescript-shim.js"), load: () => require("typescript") as unknown },
  { file: arborist, load: fromOwnFile(arborist) },
  { file: automation, load: fromOwnFile(automation) },
];

for (const { file, load } of LAZY_MODULES) {
  if (file in require.cache) continue;
  let real: Record<string | symbol, unknown> | undefined;
  const loaded = () => (real ??= load() as Record<string | symbol, unknown>);
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = new Proxy(
    {},
    {
      // `__importStar` asks first: answering "an ES module" lets it hand the stand-in on without loading anything.
      get: (_target, key) => (key === "__esModule" ? true : loaded()[key]),
      has: (_target, key) => key in loaded(),
    },
  );
  require.cache[file] = standIn;
}
