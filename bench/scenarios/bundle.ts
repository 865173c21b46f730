/**
 * bundleBytes / importMs: the production bundle as `npm run build` makes it (scripts/build.mjs, esbuild),
 * written to bench/results/bundle/ instead of dist/ so a concurrent build or test using dist/ is not
 * disturbed. bundleBytes = index.js plus the chunks it imports statically (what a cold start reads; the
 * same as index.js alone when the build does not split). importMs = the median, over 5 fresh `node` processes, of the time `await import(index.js)` takes
 * inside the child (performance.now around the import; node's own start-up excluded). Outside the
 * Functions host @azure/functions warns and skips registration, which is expected here.
 */
import { spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { appEnv, DEV_STORAGE } from "../../dev/stack/credentials.ts";
import { REPO_ROOT } from "../../dev/stack/paths.ts";
import { onCleanup } from "../lib/cleanup.ts";
import { progress } from "../lib/log.ts";
import type { ScenarioOutcome } from "../lib/result.ts";
import { median, round } from "../lib/util.ts";

const RUNS = 5;
const OUTDIR = join(REPO_ROOT, "bench", "results", "bundle");

/** What the child runs: time the import of argv[1] and print it. */
const IMPORT_PROBE = [
  'const { pathToFileURL } = await import("node:url");',
  "const started = performance.now();",
  "await import(pathToFileURL(process.argv[1]).href);",
  "const ms = performance.now() - started;",
  'process.stdout.write("IMPORT_MS " + ms + "\\n");',
  "process.exit(0);",
].join("\n");

/** The settings config.ts needs to parse; nothing is contacted at import time. */
const APP_ENV = appEnv({ connectionString: DEV_STORAGE }, { url: "http://127.0.0.1:9" });

function run(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const dispose = onCleanup(`child ${child.pid}`, async () => {
      child.kill("SIGKILL");
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      dispose();
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      dispose();
      resolve({ code, stdout, stderr });
    });
  });
}

export async function bundleScenario(): Promise<ScenarioOutcome> {
  progress("bundle: node scripts/build.mjs --outdir bench/results/bundle");
  const build = await run(
    [join(REPO_ROOT, "scripts", "build.mjs"), "--outdir", OUTDIR],
    { ...process.env, FORCE_COLOR: "0" },
    180_000,
  );
  if (build.code !== 0) throw new Error(`build failed (exit ${build.code}):\n${build.stdout}${build.stderr}`);
  const file = join(OUTDIR, "index.js");
  const bytes = (await stat(file)).size;
  const atStartup = await staticallyLoadedBytes(file);
  const allJs = await jsBytesUnder(OUTDIR);
  const largest = build.stdout
    .split("\n")
    .filter((line) => /^\s{9}\S/.test(line))
    .slice(0, 4)
    .map((line) => line.trim().replace(/\s+/g, " "))
    .join("; ");

  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const child = await run(
      ["--input-type=module", "-e", IMPORT_PROBE, file],
      { PATH: process.env.PATH, ...APP_ENV },
      30_000,
    );
    const match = /IMPORT_MS ([\d.]+)/.exec(child.stdout);
    if (child.code !== 0 || !match?.[1]) {
      throw new Error(`import probe failed (exit ${child.code}):\n${child.stdout}${child.stderr}`);
    }
    times.push(Number(match[1]));
  }
  progress(`bundle: ${bytes} bytes; import ${times.map((t) => Math.round(t)).join(", ")} ms`);
  return {
    // With code splitting, index.js alone would not be what a cold start reads: the headline counts the
    // entry and every chunk it imports statically (chunks behind `import()` are left out).
    metrics: { bundleBytes: atStartup, importMs: round(median(times), 1) },
    details: [
      {
        label: "bundle",
        value: `loaded at start-up (index.js + chunks it imports statically) ${atStartup} bytes (${round(atStartup / 1024, 1)} KiB), of which index.js ${bytes}; on-demand chunks ${allJs - atStartup} bytes; largest: ${largest}`,
      },
      {
        label: "import",
        value: `${RUNS} fresh node processes: ${times.map((t) => round(t, 1)).join(", ")} ms (median reported)`,
      },
    ],
  };
}

/** index.js plus every file it (transitively) imports statically: what a cold start loads. */
async function staticallyLoadedBytes(entry: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = await readFile(file, "utf8");
    total += Buffer.byteLength(text);
    // esbuild's output: `import{a as b}from"./chunks/x.js"` or `import"./chunks/x.js"`; `import("…")` is on demand.
    for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*)["'](\.{1,2}\/[^"']+\.js)["']/g)) {
      if (match[1]) await visit(resolve(dirname(file), match[1]));
    }
  };
  await visit(entry);
  return total;
}

async function jsBytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".js")) {
      total += (await stat(join(entry.parentPath, entry.name))).size;
    }
  }
  return total;
}
