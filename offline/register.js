// @ts-check
/**
 * The project's one TypeScript runtime, for the offline plan, the scripts and the tests: `node -r
 * ./offline/register.js`. Sucrase strips the types (it keeps every line where it was, so stack traces point at the
 * source without source maps), and each file's output is cached under node_modules/.cache/sucrase by a hash of its
 * text, so a run compiles only what changed since the last. Type checking is `npm run typecheck`'s job.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { addHook } = require("pirates");
const { transform } = require("sucrase");
const sucraseVersion = require("sucrase/package.json").version;

/** @type {import("sucrase").Options["transforms"]} */
const TRANSFORMS = ["imports", "typescript"];
const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "sucrase");

/** @param {string} code @param {string} filePath */
function compile(code, filePath) {
  const key = crypto
    .createHash("sha256")
    .update(`${sucraseVersion}\0${TRANSFORMS.join(",")}\0${filePath}\0${code}`)
    .digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    const output = transform(code, { transforms: TRANSFORMS, filePath }).code;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written under a unique name, then renamed: processes running side by side never read half a file.
      const partial = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(partial, output);
      fs.renameSync(partial, cached);
    } catch {
      // A read-only checkout still runs, uncached.
    }
    return output;
  }
}

addHook(compile, { exts: [".ts"], ignoreNodeModules: true });
