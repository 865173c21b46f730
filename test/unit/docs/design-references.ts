/**
 * Checks that keep docs/design.md true to the code: pure functions of file texts, so the test can run
 * them on the repository and on deliberately broken copies and show that each one fails when it should.
 * Each returns a list of problems, each naming a file and line; an empty list means "in step".
 *
 * Conventions the checks rely on (and report when broken):
 * - a citation is "design §N" (a line break and a comment leader may sit between the two words); a bare
 *   "§N" on the same line counts as citing the same document unless a word or number stands right
 *   before it ("RFC 8259 §8.1" is another document);
 * - a section is a heading "## N." in design.md;
 * - §3 lists HTTP routes as table rows "| `name` | `METHOD` | `/prefix/route` | `authLevel` |";
 * - functions register with `app.http("name", { route: "…", methods: [...], authLevel: "…", handler })`,
 *   options written out as literals; other triggers with `app.<kind>("name", …)`.
 */

export interface SourceFile {
  /** Path relative to the project root, with forward slashes. */
  readonly path: string;
  readonly text: string;
}

export interface Citation {
  readonly file: string;
  readonly line: number;
  readonly section: number;
}

/** Offsets at which each line of `text` starts; line n (1-based) starts at `starts[n - 1]`. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

function lineAt(starts: readonly number[], index: number): number {
  let line = 1;
  while (line < starts.length && (starts[line] ?? Number.POSITIVE_INFINITY) <= index) line++;
  return line;
}

/** "design" and "§N", possibly across a line break with a comment leader (` * `, `// `, `# `) between. */
const DESIGN_CITATION = /\bdesign[\s*/#]*§(\d+)/gi;
const SECTION_SIGN = /§(\d+)/g;
/** A bare § preceded by a word or number belongs to that other document. */
const OTHER_DOCUMENT_BEFORE = /[\p{L}\p{N}]\s*$/u;

export function findCitations(file: SourceFile): Citation[] {
  const starts = lineStarts(file.text);
  const lines = file.text.split("\n");
  const found = new Map<string, Citation>();
  const add = (line: number, section: number) =>
    found.set(`${line}:${section}`, { file: file.path, line, section });
  for (const match of file.text.matchAll(DESIGN_CITATION)) {
    const line = lineAt(starts, match.index + match[0].lastIndexOf("§"));
    add(line, Number(match[1]));
    // Further sections cited on the same line: "design §5, §7", "(design §2) … the document (§5)".
    const text = lines[line - 1] ?? "";
    for (const sign of text.matchAll(SECTION_SIGN)) {
      if (!OTHER_DOCUMENT_BEFORE.test(text.slice(0, sign.index))) add(line, Number(sign[1]));
    }
  }
  return [...found.values()].sort((a, b) => a.line - b.line || a.section - b.section);
}

/** The section numbers design.md has headings for ("## 3. HTTP API" → 3). */
export function designSections(design: string): Set<number> {
  return new Set([...design.matchAll(/^## (\d+)\. /gm)].map((match) => Number(match[1])));
}

/** Every citation of a section design.md does not have, as "file:line cites design §N, …". */
export function unresolvedCitations(files: readonly SourceFile[], design: string): string[] {
  const sections = designSections(design);
  return files
    .flatMap(findCitations)
    .filter((citation) => !sections.has(citation.section))
    .map(
      (c) =>
        `${c.file}:${c.line} cites design §${c.section}, but docs/design.md has no heading "## ${c.section}."`,
    );
}

/** The text of one section, from its heading to the next "## " heading. */
export function sectionText(design: string, section: number): string | undefined {
  const start = design.search(new RegExp(`^## ${section}\\. `, "m"));
  if (start === -1) return undefined;
  const rest = design.slice(start + 1);
  const end = rest.search(/^## /m);
  return end === -1 ? rest : rest.slice(0, end);
}

/** One HTTP route as a comparable line: "name METHOD,METHOD /prefix/route authLevel". */
export type RouteLine = string;

function routeLine(name: string, methods: readonly string[], route: string, authLevel: string): RouteLine {
  return `${name} ${[...methods].sort().join(",")} ${route} ${authLevel}`;
}

const HTTP_SHORTCUTS = new Set(["get", "post", "put", "patch", "deleteRequest"]);
const REGISTRATION = /\bapp\.(\w+)\(/g;
/** `app.http("name", { … })` with no nested braces outside string literals (`{id}` in a route is fine). */
const HTTP_REGISTRATION = /^app\.http\(\s*"([^"]+)"\s*,\s*\{((?:[^{}"]|"[^"]*")*)\}\s*\)/;

export interface Registrations {
  readonly routes: RouteLine[];
  /** Queue, timer and other non-HTTP functions: name → where it is registered. */
  readonly triggers: Map<string, string>;
  readonly problems: string[];
}

/**
 * Reads the registrations from the function modules' text. A registration this reader cannot take apart
 * is a problem, never skipped: otherwise a route written differently would escape the check.
 */
export function readRegistrations(files: readonly SourceFile[], routePrefix: string): Registrations {
  const routes: RouteLine[] = [];
  const triggers = new Map<string, string>();
  const problems: string[] = [];
  for (const file of files) {
    const starts = lineStarts(file.text);
    for (const match of file.text.matchAll(REGISTRATION)) {
      const kind = match[1] ?? "";
      const where = `${file.path}:${lineAt(starts, match.index)}`;
      if (kind === "http") {
        const call = HTTP_REGISTRATION.exec(file.text.slice(match.index));
        const options = call?.[2] ?? "";
        const route = /\broute:\s*"([^"]*)"/.exec(options)?.[1];
        const methods = /\bmethods:\s*\[([^\]]*)\]/.exec(options)?.[1];
        const authLevel = /\bauthLevel:\s*"(\w+)"/.exec(options)?.[1];
        if (call === null || route === undefined || methods === undefined || authLevel === undefined) {
          problems.push(
            `${where}: cannot read this app.http registration; write its name, route, methods and authLevel ` +
              "as literals in one object literal, so that design §3 can be checked against it",
          );
          continue;
        }
        const methodList = [...methods.matchAll(/"([A-Z]+)"/g)].map((m) => m[1] ?? "");
        routes.push(routeLine(call[1] ?? "", methodList, `/${routePrefix}/${route}`, authLevel));
      } else if (HTTP_SHORTCUTS.has(kind)) {
        problems.push(
          `${where}: app.${kind}(…) registers a route; use app.http with literal options instead`,
        );
      } else {
        const name = /^\(\s*"([^"]+)"/.exec(file.text.slice(match.index + match[0].length - 1))?.[1];
        if (name === undefined)
          problems.push(`${where}: cannot read the name of this app.${kind} registration`);
        else triggers.set(name, where);
      }
    }
  }
  return { routes, triggers, problems };
}

const ROUTE_ROW = /^\|\s*`(\w+)`\s*\|\s*`([A-Z, ]+)`\s*\|\s*`(\/[^`\s]*)`\s*\|\s*`(\w+)`\s*\|/gm;

/** The routes §3's table lists. */
export function documentedRoutes(design: string): RouteLine[] {
  const section = sectionText(design, 3) ?? "";
  return [...section.matchAll(ROUTE_ROW)].map((row) =>
    routeLine(
      row[1] ?? "",
      (row[2] ?? "").split(",").map((method) => method.trim()),
      row[3] ?? "",
      row[4] ?? "",
    ),
  );
}

/** Differences between the registered functions and what design.md says about them. */
export function registrationDrift(registrations: Registrations, design: string): string[] {
  const problems = [...registrations.problems];
  if (registrations.routes.length === 0) problems.push("no app.http registration found in src/functions/");
  const documented = documentedRoutes(design);
  for (const route of registrations.routes) {
    if (!documented.includes(route)) {
      problems.push(`registered but not in design §3's route table (name method route auth): ${route}`);
    }
  }
  for (const route of documented) {
    if (!registrations.routes.includes(route)) {
      problems.push(`in design §3's route table but not registered by app.http: ${route}`);
    }
  }
  const worker = sectionText(design, 4) ?? "";
  for (const [name, where] of registrations.triggers) {
    if (!worker.includes(`\`${name}\``))
      problems.push(`${where}: function ${name} is not named in design §4`);
  }
  return problems;
}

/**
 * Settings README's "## Configuration" section does not name. A table cell may abbreviate a second name
 * that shares the first's prefix: "`AzureWebJobsStorage__credential` / `__clientId`",
 * "`APPLICATIONINSIGHTS_CONNECTION_STRING` / `_AUTHENTICATION_STRING`".
 */
export function settingsMissingFromReadme(settings: readonly string[], readme: string): string[] {
  const start = readme.search(/^## Configuration$/m);
  if (start === -1) return ['README.md has no "## Configuration" section'];
  const rest = readme.slice(start + 1);
  const end = rest.search(/^## /m);
  const section = end === -1 ? rest : rest.slice(0, end);
  const named = new Set<string>();
  for (const row of section.split("\n").filter((line) => line.startsWith("|"))) {
    const cell = row.split("|")[1] ?? "";
    const names = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");
    const first = names[0] ?? "";
    for (const name of names) {
      const separator = /^_+/.exec(name)?.[0];
      const cut = separator === undefined ? -1 : first.indexOf(separator);
      named.add(separator === undefined || cut <= 0 ? name : first.slice(0, cut) + name);
    }
  }
  return settings
    .filter((setting) => !named.has(setting))
    .map((setting) => `README.md's Configuration table does not list ${setting} (src/config.ts)`);
}
