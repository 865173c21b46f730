#!/usr/bin/env node
/**
 * Runs a command with Node 22 first on PATH, on a machine whose own Node is 20.
 *
 *   node scripts/node22.mjs <command> [args…]      e.g. node scripts/node22.mjs npm test
 *
 * StrykerJS needs Node ≥ 22, and Azure runs the app on Node 22 while dev machines and CI have 20. The
 * npm package `node@22` ships that binary, so it is installed on first use into the git-ignored
 * `.tools/node22` (a later run finds it there and installs nothing). It is deliberately not a
 * devDependency: its `node` bin would then shadow the system node in every npm script and silently
 * move everything else off Node 20.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const MAJOR = "22";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const prefix = path.join(root, ".tools", `node${MAJOR}`);
const bin = path.join(prefix, "node_modules", ".bin");
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
// npm and its bin shims are .cmd files on Windows, which only a shell starts.
const shell = process.platform === "win32";

/** The major version of the node that PATH finds first with `env`, or undefined when none starts. */
function nodeMajor() {
  const run = spawnSync("node", ["--version"], { env, shell, encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim().replace(/^v/, "").split(".")[0] : undefined;
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error("usage: node scripts/node22.mjs <command> [args…]");
  process.exit(2);
}

if (nodeMajor() !== MAJOR) {
  console.error(`[node${MAJOR}] installing node@${MAJOR} into .tools/node${MAJOR} (once)`);
  const install = spawnSync(
    "npm",
    [
      "install",
      "--prefix",
      prefix,
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      `node@${MAJOR}`,
    ],
    { stdio: ["ignore", "inherit", "inherit"], shell },
  );
  const found = nodeMajor();
  if (install.status !== 0 || found !== MAJOR) {
    console.error(
      `[node${MAJOR}] could not install node@${MAJOR} (npm exited ${install.status}, node is ${found})`,
    );
    process.exit(1);
  }
}

const run = spawnSync(command, args, { stdio: "inherit", env, shell });
if (run.error) {
  console.error(`[node${MAJOR}] ${run.error.message}`);
  process.exit(1);
}
process.exit(run.status ?? 1);
