#!/usr/bin/env node
// owner-changes: the TypeScript source through tsx in a clone, the esbuild bundle (build/cli/) in a packed package.
import { existsSync } from "node:fs";

const source = new URL("../ops/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../build/cli/owner-changes.mjs", import.meta.url).href);
}
