import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { settingsSchema } from "../../../src/config.ts";
import {
  documentedRoutes,
  findCitations,
  readRegistrations,
  registrationDrift,
  type SourceFile,
  settingsMissingFromReadme,
  unresolvedCitations,
} from "./design-references.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const here = path
  .relative(root, path.dirname(fileURLToPath(import.meta.url)))
  .split(path.sep)
  .join("/");

/** Where "design §N" may be cited. This folder is left out: its tests cite missing sections on purpose. */
const CITING = ["src", "dev", "ops", "bench", "scripts", "infra", "docs", "test", "README.md"];
const SKIPPED_FOLDERS = new Set(["node_modules", "dist", "reports", ".azurite", "coverage"]);
const TEXT_FILE = /\.(?:ts|mts|mjs|js|md|bicep|json|ya?ml)$/;

function read(relative: string): string {
  return readFileSync(path.join(root, relative), "utf8");
}

function filesUnder(relative: string, accept: (file: string) => boolean): SourceFile[] {
  const full = path.join(root, relative);
  const entries = readdirSync(full, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && accept(entry.name))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .filter((file) => !file.split("/").some((part) => SKIPPED_FOLDERS.has(part)))
    .filter((file) => file !== here && !file.startsWith(`${here}/`))
    .sort()
    .map((file) => ({ path: file, text: read(file) }));
}

const citing = CITING.flatMap((entry) =>
  entry.endsWith(".md") ? [{ path: entry, text: read(entry) }] : filesUnder(entry, (f) => TEXT_FILE.test(f)),
);
const design = read("docs/design.md");
const functions = filesUnder("src/functions", (file) => file.endsWith(".ts"));
const routePrefix: string = JSON.parse(read("host.json")).extensions.http.routePrefix;
const registrations = readRegistrations(functions, routePrefix);

/** design.md with one edit; the edit must change something, or the test proves nothing. */
function editedDesign(from: string, to: string): string {
  expect(design, `docs/design.md contains ${JSON.stringify(from)}`).toContain(from);
  return design.replace(from, to);
}

describe("docs/design.md and the code citing it", () => {
  it("finds the citations to check (the scan is not empty)", () => {
    const cited = citing.flatMap(findCitations);
    expect(cited.length).toBeGreaterThan(10);
    expect(cited).toContainEqual({ file: "src/changes/policy.ts", line: expect.any(Number), section: 7 });
  });

  it('has a heading "## N." for every "design §N" cited in src, dev, ops, bench, scripts, infra, docs, test and README', () => {
    expect(unresolvedCitations(citing, design)).toEqual([]);
  });

  it("names file and line of a citation whose section is missing", () => {
    const withoutSection7 = editedDesign("## 7. Security and policy", "## Security and policy");
    const problems = unresolvedCitations(citing, withoutSection7);
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^src\/changes\/policy\.ts:\d+ cites design §7, but docs\/design\.md has no heading/,
      ),
    );
  });

  it("reads further sections on the citing line, but not another document's", () => {
    const file = {
      path: "x.ts",
      text: [
        "/** A (design §2), and the status document (§5). */",
        "// design §5, §7; bytes per RFC 8259 §8.1",
        "/* split over lines: see design",
        " * §9.2 */",
        "// §4 alone on a line is not a citation of the design",
      ].join("\n"),
    };
    expect(findCitations(file).map((c) => `${c.line}:${c.section}`)).toEqual([
      "1:2",
      "1:5",
      "2:5",
      "2:7",
      "4:9",
    ]);
    expect(unresolvedCitations([file], "## 2. a\n## 5. b\n## 7. c\n")).toEqual([
      'x.ts:4 cites design §9, but docs/design.md has no heading "## 9."',
    ]);
  });
});

describe("design §3's routes and the app.http registrations", () => {
  it("reads every registration in src/functions/", () => {
    expect(registrations.problems).toEqual([]);
    expect(registrations.routes).toContain("health GET /api/health anonymous");
    expect(registrations.triggers.size).toBeGreaterThan(0);
  });

  it("lists exactly the registered routes, with their methods and auth levels, and names every other trigger in §4", () => {
    expect(documentedRoutes(design).length).toBe(registrations.routes.length);
    expect(registrationDrift(registrations, design)).toEqual([]);
  });

  it("fails when a route is missing from the table, or its auth level differs", () => {
    const withoutHealth = editedDesign("| `health` | `GET` | `/api/health` | `anonymous` |\n", "");
    expect(registrationDrift(registrations, withoutHealth)).toEqual([
      "registered but not in design §3's route table (name method route auth): health GET /api/health anonymous",
    ]);
    const wrongAuth = editedDesign(
      "`/api/owner-changes/{id}/{decision}` | `admin`",
      "`/api/owner-changes/{id}/{decision}` | `function`",
    );
    expect(registrationDrift(registrations, wrongAuth)).toEqual([
      expect.stringMatching(
        /^registered but not in design §3's route table .*decideOwnerChange POST .* admin$/,
      ),
      expect.stringMatching(
        /^in design §3's route table but not registered by app\.http: decideOwnerChange .* function$/,
      ),
    ]);
  });

  it("fails when code registers a route the table lacks, or one it cannot read", () => {
    const added: SourceFile = {
      path: "src/functions/extra.ts",
      text: [
        'app.http("exportOwnerChanges", { route: "owner-changes/export", methods: ["GET"], authLevel: "function", handler });',
        'app.http("computed", { route: ROUTE, methods: ["GET"], authLevel: "function", handler });',
        'app.get("shortcut", handler);',
        'app.serviceBusQueue("unnamedInDesign", { queueName: "x", connection: "c", handler });',
      ].join("\n"),
    };
    const drift = registrationDrift(readRegistrations([...functions, added], routePrefix), design);
    expect(drift).toEqual([
      expect.stringMatching(/^src\/functions\/extra\.ts:2: cannot read this app\.http registration/),
      expect.stringMatching(/^src\/functions\/extra\.ts:3: app\.get\(…\) registers a route/),
      "registered but not in design §3's route table (name method route auth): exportOwnerChanges GET /api/owner-changes/export function",
      "src/functions/extra.ts:4: function unnamedInDesign is not named in design §4",
    ]);
  });
});

describe("README's configuration table, which design §8 refers to", () => {
  const settings = Object.keys(settingsSchema.shape);

  it("lists every setting src/config.ts reads", () => {
    expect(settingsMissingFromReadme(settings, read("README.md"))).toEqual([]);
  });

  it("fails for a setting it does not list, and reads abbreviated second names", () => {
    const table = [
      "## Configuration",
      "| setting | default | meaning |",
      "| --- | --- | --- |",
      "| `AzureWebJobsStorage__credential` / `__clientId` | – | identity |",
      "| `APPLICATIONINSIGHTS_CONNECTION_STRING` / `_AUTHENTICATION_STRING` | – | telemetry |",
      "## Next",
      "| `ITWIN_SCOPE` | | outside the section |",
    ].join("\n");
    expect(
      settingsMissingFromReadme(
        ["AzureWebJobsStorage__clientId", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "ITWIN_SCOPE"],
        table,
      ),
    ).toEqual(["README.md's Configuration table does not list ITWIN_SCOPE (src/config.ts)"]);
  });
});
