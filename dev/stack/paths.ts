/** Where the local stack's programs are: the repository, tsx's loader, azurite's CLI script. */
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Repository root (dev/stack/../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const require = createRequire(import.meta.url);

/** tsx's ESM loader, so a TypeScript entry runs as `node --import <loader> file.ts`: one process, no npx. */
export function tsxLoaderUrl(): string {
  return pathToFileURL(join(dirname(require.resolve("tsx/package.json")), "dist", "loader.mjs")).href;
}

/** azurite's CLI script inside node_modules (run with this process's node, not a shell shim). */
export function azuriteCli(): string {
  return join(dirname(require.resolve("azurite/package.json")), "dist", "src", "azurite.js");
}
