/**
 * Another revision of this repository on disk, to run its program beside the working tree's: `git archive` of the
 * ref into a temporary directory, with the working tree's `node_modules` linked in (the same SDK and mocks, so the
 * harness can run it). The offline plan's `--base <ref>` prices a change this way.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "./stack-files";

/** A revision checked out for reading; `remove()` deletes it. */
export interface Revision {
  /** The directory holding the revision's files (its Pulumi project root). */
  readonly dir: string;
  /** The commit the ref named. */
  readonly commit: string;
  remove(): void;
}

/** Thrown when the ref names no commit of the repository. */
export class UnknownRevision extends Error {
  constructor(ref: string, detail: string) {
    super(`--base ${ref}: not a commit of this repository (${detail})`);
    this.name = "UnknownRevision";
  }
}

/** Writes the tree of `ref` (a branch, tag, commit or `HEAD~1`) of the repository at `repoDir` to a temporary directory. */
export function checkoutRevision(ref: string, repoDir = PROJECT_ROOT): Revision {
  let commit: string;
  try {
    commit = execFileSync("git", ["-C", repoDir, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (error) {
    throw new UnknownRevision(
      ref,
      String((error as { stderr?: string | Buffer }).stderr ?? "").trim() || "git rev-parse found nothing",
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloudweave-base-"));
  try {
    const archive = execFileSync("git", ["-C", repoDir, "archive", "--format=tar", commit], {
      maxBuffer: 512 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, commit, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
