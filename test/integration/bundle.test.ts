import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appEnv, DEV_STORAGE } from "../../dev/stack/credentials.ts";
import { REPO_ROOT } from "../../dev/stack/paths.ts";
import { scimAnswers } from "../support/scim-bundle-probe.ts";

/**
 * The real app, bundled as azd deploys it, imported by plain Node with a valid configuration: every
 * module-level statement of every function runs, minified. The tests under tsx never run the bundle,
 * and a library that breaks when minified (scimmy declares resources under their class names) only shows
 * up here.
 */

const scratch = mkdtempSync(path.join(tmpdir(), "bundle-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const PROBE = [
  'const { pathToFileURL } = await import("node:url");',
  "await import(pathToFileURL(process.argv[1]).href);",
  'process.stdout.write("IMPORTED\\n");',
  "process.exit(0);",
].join("\n");

describe("the production bundle", () => {
  it("builds and imports without an error", () => {
    const out = path.join(scratch, "dist");
    const build = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, "scripts", "build.mjs"), "--outdir", out],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect(build.status, build.stderr).toBe(0);
    const probe = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", PROBE, path.join(out, "index.js")],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          ...appEnv({ connectionString: DEV_STORAGE }, { url: "http://127.0.0.1:9" }),
        },
      },
    );
    // Outside the host, @azure/functions only warns that it found no runtime; anything thrown fails.
    expect(probe.status, probe.stderr).toBe(0);
    expect(probe.stdout).toBe("IMPORTED\n");
  });

  it("answers SCIM discovery, filters and patches as the sources do", async () => {
    const out = path.join(scratch, "probe");
    const entry = path.join(REPO_ROOT, "test", "support", "scim-bundle-probe.ts");
    const build = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, "scripts", "build.mjs"), "--entry", entry, "--outdir", out],
      { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 },
    );
    expect(build.status, build.stderr).toBe(0);
    const probe = spawnSync(process.execPath, [path.join(out, "index.js"), "--print"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(probe.status, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toEqual(JSON.parse(JSON.stringify(await scimAnswers())));
  });
});
