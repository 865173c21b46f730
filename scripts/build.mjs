#!/usr/bin/env node
/**
 * Production build: bundles the function app into one ESM file and makes the output folder a
 * complete Functions app root, which is what azd deploys (azure.yaml `dist: dist`):
 *
 *   dist/index.js       every function registration and all their dependencies, minified
 *   dist/chunks/        code imported only on demand (Application Insights), loaded when configured
 *   dist/index.js.map   source map, for reading production stack traces; never deployed
 *   dist/host.json      copied from the project root
 *   dist/package.json   "type": "module", "main": "index.js", no dependencies, no scripts
 *   dist/.funcignore    copied from the project root (keeps the source map out of the upload)
 *
 * The package.json written there has neither dependencies nor a build script on purpose: Flex
 * Consumption's remote build (Oryx) runs `npm install` and `npm run build` on what it receives, and
 * both must be no-ops because the bundle already holds everything and src/ is not uploaded.
 *
 * Usage: node scripts/build.mjs [--entry <file>] [--outdir <dir>]
 * (defaults: src/index.ts and dist/, relative to the project root; given paths are relative to the
 * current directory — the options exist so the build can be tried on a scratch entry and folder).
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * `@azure/functions` loads `@azure/functions-core` with require(); the Functions host's Node worker
 * answers that require itself (it patches Module.prototype.require). Bundling the module would
 * replace the host's with nothing, so it stays external.
 */
const EXTERNAL = ["@azure/functions-core"];

/**
 * CommonJS packages bundled into an ES module still call require() (for externals and Node
 * built-ins) and read __filename/__dirname, none of which exist in ESM scope. A require made with
 * createRequire goes through Module.prototype.require, so the worker's `@azure/functions-core`
 * hook still answers it.
 */
const BANNER = [
  'import { createRequire as __bundleCreateRequire } from "node:module";',
  'import { fileURLToPath as __bundleFileURLToPath } from "node:url";',
  'import { dirname as __bundleDirname } from "node:path";',
  "const require = __bundleCreateRequire(import.meta.url);",
  "const __filename = __bundleFileURLToPath(import.meta.url);",
  "const __dirname = __bundleDirname(__filename);",
].join("\n");

/**
 * npm installs one version of a package twice when hoisting is blocked: debug 4 (and its ms) sit under
 * both proxy agents of the Azure SDK because a dev tool's dependency holds the top-level `debug` slot.
 * Bundled as found, that is the same code twice in what every cold start reads. This resolves each copy
 * of name@version to the first one seen; copies of different versions stay apart.
 */
const dedupePackages = {
  name: "dedupe-packages",
  setup(build) {
    const firstRoot = new Map();
    const versions = new Map();
    const versionAt = async (packageRoot) => {
      if (!versions.has(packageRoot)) {
        const manifest = JSON.parse(await readFile(path.join(packageRoot, "package.json"), "utf8"));
        versions.set(packageRoot, `${manifest.name}@${manifest.version}`);
      }
      return versions.get(packageRoot);
    };
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.deduping) return undefined;
      const { kind, resolveDir, importer } = args;
      const found = await build.resolve(args.path, {
        kind,
        resolveDir,
        importer,
        pluginData: { deduping: true },
      });
      if (found.errors.length > 0 || found.external || found.namespace !== "file") return undefined;
      const match = /^(.*[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)([\\/].*)$/.exec(found.path);
      if (match === null) return found;
      const [, packageRoot, rest] = match;
      const key = await versionAt(packageRoot);
      if (!firstRoot.has(key)) firstRoot.set(key, packageRoot);
      return { ...found, path: `${firstRoot.get(key)}${rest}` };
    });
  },
};

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function formatBytes(bytes) {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(2)} MiB`
    : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Groups a metafile input path by the package it came from ("src" for our own code). */
function packageOf(inputPath) {
  const parts = inputPath.split(/[\\/]/);
  const index = parts.lastIndexOf("node_modules");
  if (index === -1) return parts[0] === "src" ? "src" : inputPath;
  const name = parts[index + 1] ?? inputPath;
  return name.startsWith("@") ? `${name}/${parts[index + 2]}` : name;
}

const { values } = parseArgs({
  options: { entry: { type: "string" }, outdir: { type: "string" } },
  strict: true,
});
const entry = values.entry ? path.resolve(values.entry) : path.join(root, "src", "index.ts");
const outdir = values.outdir ? path.resolve(values.outdir) : path.join(root, "dist");
const outfile = path.join(outdir, "index.js");
const shown = (file) => {
  const relative = path.relative(process.cwd(), file);
  return relative === "" ? "." : relative.startsWith("..") ? file : relative;
};

if (!existsSync(entry)) {
  fail(
    `entry ${shown(entry)} not found. It is the module that registers every function (design §1); ` +
      "create it, or pass --entry <file>.",
  );
}
// The folder is emptied first so nothing stale is deployed; refuse anything that holds the project.
if (outdir === root || root.startsWith(`${outdir}${path.sep}`) || outdir === path.parse(outdir).root) {
  fail(`refusing to empty ${outdir}: it contains the project`);
}

const projectPackage = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

let result;
try {
  result = await build({
    entryPoints: { index: entry },
    outdir,
    // Code loaded only on demand (Application Insights, src/observability/azure-monitor.ts) goes to
    // its own chunk, so an app without telemetry never reads it and cold starts stay short.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: EXTERNAL,
    // An --entry outside the project still resolves packages from the project's node_modules.
    nodePaths: [path.join(root, "node_modules")],
    banner: { js: BANNER },
    plugins: [dedupePackages],
    minify: true,
    sourcemap: "external",
    metafile: true,
    logLevel: "warning",
  });
} catch {
  // esbuild has already printed the errors.
  fail("esbuild failed");
}

// The app root: the host reads host.json and package.json's "main" next to the bundle.
const deployPackage = {
  name: projectPackage.name,
  version: projectPackage.version,
  private: true,
  description: projectPackage.description,
  type: "module",
  main: "index.js",
  engines: projectPackage.engines,
};
await writeFile(path.join(outdir, "package.json"), `${JSON.stringify(deployPackage, null, 2)}\n`);
await copyFile(path.join(root, "host.json"), path.join(outdir, "host.json"));
if (existsSync(path.join(root, ".funcignore"))) {
  await copyFile(path.join(root, ".funcignore"), path.join(outdir, ".funcignore"));
}

/**
 * esbuild puts the banner on every output file, but only the files of CommonJS code use what it
 * declares; most chunks are our ES modules and ESM packages. It is taken off those (about 350 bytes
 * each, a few KB of what a cold start reads), with the same number of lines taken off the front of the
 * source map's mappings so every position still points where it did.
 */
const BANNER_NAMES = /\b(?:require|__filename|__dirname)\b/;
async function dropUnusedBanners(outputs) {
  for (const file of Object.keys(outputs).filter((key) => key.endsWith(".js"))) {
    const code = await readFile(file, "utf8");
    if (!code.startsWith(`${BANNER}\n`) || BANNER_NAMES.test(code.slice(BANNER.length + 1))) continue;
    const map = JSON.parse(await readFile(`${file}.map`, "utf8"));
    // A file with no mappings at all (a chunk that only re-exports) has none for the banner either.
    const bannerLines = map.mappings === "" ? "" : ";".repeat(BANNER.split("\n").length);
    if (!map.mappings.startsWith(bannerLines)) fail(`${file}.map has mappings on the banner's lines`);
    map.mappings = map.mappings.slice(bannerLines.length);
    await writeFile(`${file}.map`, JSON.stringify(map));
    await writeFile(file, code.slice(BANNER.length + 1));
  }
}
await dropUnusedBanners(result.metafile.outputs);
const bytesOf = (key) => (existsSync(key) ? statSync(key).size : 0);

// The banner declares require/__filename/__dirname at the top level; a bundled ES module declaring
// one of them too would make the whole file a SyntaxError, found here rather than at cold start.
const check = spawnSync(process.execPath, ["--check", outfile], { encoding: "utf8" });
if (check.status !== 0) {
  console.error(check.stderr);
  fail(
    `${shown(outfile)} does not parse. If the error names require, __filename or __dirname, a ` +
      "bundled module declares it at top level and collides with the banner in scripts/build.mjs.",
  );
}

const outputKey = (file) => path.relative(process.cwd(), file).split(path.sep).join("/");
const output = result.metafile.outputs[outputKey(outfile)];
const bytes = output === undefined ? 0 : bytesOf(outputKey(outfile));
// What a cold start reads: the entry and the chunks it imports statically (not the dynamic ones).
const eager = new Set([outputKey(outfile)]);
for (let grew = true; grew; ) {
  grew = false;
  for (const key of [...eager]) {
    for (const { path: imported, kind } of result.metafile.outputs[key]?.imports ?? []) {
      if (kind === "import-statement" && result.metafile.outputs[imported] && !eager.has(imported)) {
        eager.add(imported);
        grew = true;
      }
    }
  }
}
const eagerBytes = [...eager].reduce((sum, key) => sum + bytesOf(key), 0);
const chunks = Object.entries(result.metafile.outputs).filter(
  ([key]) => key.endsWith(".js") && !eager.has(key),
);
const byPackage = new Map();
for (const key of eager) {
  for (const [input, { bytesInOutput }] of Object.entries(result.metafile.outputs[key]?.inputs ?? {})) {
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
}
const largest = [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);

console.log(`build: ${shown(outfile)}  ${formatBytes(bytes)}  (${bytes} bytes, minified ESM, node20)`);
console.log(
  `build: loaded at start-up  ${formatBytes(eagerBytes)}  (${eagerBytes} bytes, entry and static chunks)`,
);
for (const [key] of chunks) {
  console.log(`build: on demand  ${key}  ${formatBytes(bytesOf(key))}`);
}
console.log(`build: source map ${shown(`${outfile}.map`)} (kept out of the deploy package)`);
console.log("build: largest contributors");
for (const [name, size] of largest) {
  console.log(`         ${name.padEnd(36)} ${formatBytes(size).padStart(10)}`);
}
console.log(`build: ${shown(outdir)} is a complete app root (index.js, host.json, package.json)`);
