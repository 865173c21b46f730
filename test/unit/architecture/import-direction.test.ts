import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../../dev/stack/paths.ts";

/**
 * The import direction, enforced by biome.json's `noRestrictedImports` (one override per folder):
 *
 *   src  ←  dev, ops  ←  bench  ←  test        (scripts/ import none of them)
 *
 * src/ is the app; ops/ runs against production and so must not need dev/; bench/ builds on the
 * local stack in dev/; only test/ imports test/. `npm run lint` applies the rules; this test applies
 * them too, so that `npm test` fails on a wrong import, and checks the rules themselves: a probe file
 * in every folder imports every other folder, and exactly the forbidden imports must be reported.
 */

const FOLDERS = ["src", "dev", "ops", "bench", "test", "scripts"] as const;
type Folder = (typeof FOLDERS)[number];

const MAY_IMPORT: Record<Folder, readonly Folder[]> = {
  src: ["src"],
  dev: ["src", "dev"],
  ops: ["src", "ops"],
  bench: ["src", "dev", "bench"],
  test: FOLDERS,
  scripts: ["scripts"],
};

interface Diagnostic {
  category: string;
  message: string;
  location: { path: string; start: { line: number } };
}

const biome = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");

/** The import-direction diagnostics biome reports for `paths`, linted from `cwd` with its biome.json. */
function restrictedImports(cwd: string, paths: string[]): Diagnostic[] {
  const run = spawnSync(
    process.execPath,
    [biome, "lint", "--only=style/noRestrictedImports", "--reporter=json", ...paths],
    { cwd, encoding: "utf8", timeout: 60_000 },
  );
  const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  return report.diagnostics.filter((d) => d.category === "lint/style/noRestrictedImports");
}

const scratch = mkdtempSync(join(tmpdir(), "import-direction-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("import direction", () => {
  it("no file in the repository imports against it", () => {
    const found = restrictedImports(REPO_ROOT, ["."]).map(
      (d) => `${d.location.path}:${d.location.start.line}: ${d.message}`,
    );
    expect(found).toEqual([]);
  }, 60_000);

  it("biome.json forbids exactly the imports the direction forbids", () => {
    // The project's rules, without its VCS settings (the scratch folder is not a repository).
    const config = JSON.parse(readFileSync(join(REPO_ROOT, "biome.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(scratch, "biome.json"), JSON.stringify({ ...config, vcs: { enabled: false } }));
    for (const from of FOLDERS) {
      // One level down, as real files are, importing each folder in FOLDERS order (line n = FOLDERS[n-1]).
      mkdirSync(join(scratch, from, "sub"), { recursive: true });
      const lines = FOLDERS.map((to, i) => `import { x as x${i} } from "../../${to}/module.ts";`);
      lines.push(`export const all = [${FOLDERS.map((_, i) => `x${i}`).join(", ")}];`);
      writeFileSync(join(scratch, from, "sub", "probe.ts"), `${lines.join("\n")}\n`);
    }

    const reported = restrictedImports(scratch, [...FOLDERS]).map(
      (d) => `${d.location.path.split(/[\\/]/)[0]} → ${FOLDERS[d.location.start.line - 1]}`,
    );
    const forbidden = FOLDERS.flatMap((from) =>
      FOLDERS.filter((to) => !MAY_IMPORT[from].includes(to)).map((to) => `${from} → ${to}`),
    );
    expect(reported.sort()).toEqual(forbidden.sort());
    // Not vacuous: every folder but test/ has something it may not import.
    expect(forbidden).toHaveLength(5 + 4 + 4 + 3 + 0 + 5);
  }, 60_000);
});
