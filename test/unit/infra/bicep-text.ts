/**
 * Just enough Bicep reading for the infra consistency checks: no Bicep compiler runs here or in CI's
 * test job, so the checks read the files as text. Everything works on three aligned views of a file
 * (same length, same offsets):
 *
 * - `text`: the file as written;
 * - `code`: comments blanked out, so a comment that *mentions* a forbidden pattern does not trip a
 *   check, while string literals (where connection strings would live) are still searched;
 * - `masked`: comments and string contents blanked out, so brackets and colons inside strings cannot
 *   confuse block matching or key detection.
 *
 * It understands the subset this project writes: `//` and `/* *\/` comments, '...' strings with
 * `\'` escapes and `${...}` interpolation (strings nest inside interpolation), '''...''' strings,
 * object literals one entry per line or comma-separated, arrays likewise.
 */

export interface BicepFile {
  readonly text: string;
  readonly code: string;
  readonly masked: string;
}

/** Blanks a character but keeps line breaks, so offsets and line numbers stay aligned. */
const blank = (char: string): string => (char === "\n" || char === "\r" ? char : " ");
const fill = (char: string): string => (char === "\n" || char === "\r" ? char : "~");

type Mode = { kind: "code"; depth: number } | { kind: "string" } | { kind: "verbatim" };

export function readBicep(text: string): BicepFile {
  let code = "";
  let masked = "";
  // stack[0] is the file's own code; deeper entries are strings and interpolations inside them.
  const stack: Mode[] = [{ kind: "code", depth: 0 }];
  let i = 0;
  while (i < text.length) {
    const char = text[i] ?? "";
    const top = stack[stack.length - 1] as Mode;
    const inString = stack.length > 1;
    if (top.kind === "code") {
      if (text.startsWith("//", i)) {
        const end = text.indexOf("\n", i);
        const stop = end === -1 ? text.length : end;
        for (; i < stop; i++) {
          code += blank(text[i] ?? "");
          masked += blank(text[i] ?? "");
        }
        continue;
      }
      if (text.startsWith("/*", i)) {
        const end = text.indexOf("*/", i + 2);
        const stop = end === -1 ? text.length : end + 2;
        for (; i < stop; i++) {
          code += blank(text[i] ?? "");
          masked += blank(text[i] ?? "");
        }
        continue;
      }
      if (text.startsWith("'''", i)) {
        stack.push({ kind: "verbatim" });
        code += "'''";
        masked += inString ? "~~~" : "'''";
        i += 3;
        continue;
      }
      if (char === "'") {
        stack.push({ kind: "string" });
        code += char;
        masked += inString ? "~" : "'";
        i++;
        continue;
      }
      if (inString && char === "{") top.depth++;
      if (inString && char === "}") {
        if (top.depth === 0) {
          stack.pop(); // back in the string the interpolation belongs to
          code += char;
          masked += "~";
          i++;
          continue;
        }
        top.depth--;
      }
      code += char;
      masked += inString ? fill(char) : char;
      i++;
      continue;
    }
    if (top.kind === "verbatim") {
      if (text.startsWith("'''", i)) {
        stack.pop();
        code += "'''";
        masked += stack.length > 1 ? "~~~" : "'''";
        i += 3;
        continue;
      }
      code += char;
      masked += fill(char);
      i++;
      continue;
    }
    // Inside a '...' string.
    if (char === "\\") {
      code += text.slice(i, i + 2);
      masked += fill(char) + fill(text[i + 1] ?? "");
      i += 2;
      continue;
    }
    if (text.startsWith("${", i)) {
      stack.push({ kind: "code", depth: 0 });
      code += "${";
      masked += "~~";
      i += 2;
      continue;
    }
    if (char === "'") {
      stack.pop();
      code += char;
      masked += stack.length > 1 ? "~" : "'";
      i++;
      continue;
    }
    code += char;
    masked += fill(char);
    i++;
  }
  return { text, code, masked };
}

const OPENERS: Record<string, string> = { "{": "}", "[": "]", "(": ")" };
const CLOSERS = new Set(["}", "]", ")"]);

/** Offset of the bracket closing the one at `open` (in the masked view), or -1. */
export function matchingClose(file: BicepFile, open: number): number {
  let depth = 0;
  for (let i = open; i < file.masked.length; i++) {
    const char = file.masked[i] ?? "";
    if (char in OPENERS) depth++;
    else if (CLOSERS.has(char)) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * The expression starting at `start`: up to the end of the line or a comma at bracket depth zero,
 * running on across lines while a bracket it opened is still open.
 */
export function expressionAt(file: BicepFile, start: number, stopAt = -1): { expr: string; end: number } {
  let depth = 0;
  let i = start;
  const limit = stopAt === -1 ? file.masked.length : stopAt;
  for (; i < limit; i++) {
    const char = file.masked[i] ?? "";
    if (char in OPENERS) depth++;
    else if (CLOSERS.has(char)) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (char === "\n" || char === ",")) break;
  }
  return { expr: file.text.slice(start, i).trim(), end: i };
}

export interface Entry {
  readonly key: string;
  /** The value expression as written, trimmed. */
  readonly value: string;
  /** Offset of the value's first character. */
  readonly offset: number;
}

/** Entries of the object literal whose `{` is at `open`. */
export function objectEntries(file: BicepFile, open: number): Entry[] {
  const close = matchingClose(file, open);
  const entries: Entry[] = [];
  if (close === -1) return entries;
  const keyPattern = /\s*([A-Za-z_][A-Za-z0-9_]*|'[^'\n]*')\s*:/y;
  let i = open + 1;
  while (i < close) {
    keyPattern.lastIndex = i;
    const match = keyPattern.exec(file.masked);
    if (match === null) {
      // Not at an entry start (blank line, separator): move on.
      i++;
      continue;
    }
    const keyStart = match.index + match[0].search(/\S/);
    const rawKey = file.text.slice(keyStart, keyStart + (match[1] ?? "").length);
    const key = rawKey.startsWith("'") ? rawKey.slice(1, -1) : rawKey;
    let valueStart = keyPattern.lastIndex;
    while (valueStart < close && /[ \t]/.test(file.masked[valueStart] ?? "")) valueStart++;
    const { expr, end } = expressionAt(file, valueStart, close);
    entries.push({ key, value: expr, offset: valueStart });
    i = end + 1;
  }
  return entries;
}

/** Elements of the array literal whose `[` is at `open`. */
export function arrayElements(file: BicepFile, open: number): string[] {
  const close = matchingClose(file, open);
  const elements: string[] = [];
  if (close === -1) return elements;
  let i = open + 1;
  while (i < close) {
    if (/[\s,]/.test(file.masked[i] ?? "")) {
      i++;
      continue;
    }
    const { expr, end } = expressionAt(file, i, close);
    if (expr !== "") elements.push(expr);
    i = end + 1;
  }
  return elements;
}

/**
 * Arguments of the function call whose `(` is at `open`: split at commas outside brackets, and, unlike
 * array elements, running on across line breaks (a call may spread its arguments over lines).
 */
export function callArguments(file: BicepFile, open: number): Entry[] {
  const close = matchingClose(file, open);
  const found: Entry[] = [];
  if (close === -1) return found;
  let depth = 0;
  let start = open + 1;
  const push = (end: number): void => {
    const raw = file.text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    if (raw.trim() !== "") found.push({ key: String(found.length), value: raw.trim(), offset: start + lead });
  };
  for (let i = open + 1; i < close; i++) {
    const char = file.masked[i] ?? "";
    if (char in OPENERS) depth++;
    else if (CLOSERS.has(char)) depth--;
    else if (char === "," && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(close);
  return found;
}

/** `var name = <expression>` declarations at the top level of a file, with where each value starts. */
export function variableEntries(file: BicepFile): Map<string, Entry> {
  const vars = new Map<string, Entry>();
  const pattern = /^[ \t]*var[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*/gm;
  for (const match of file.masked.matchAll(pattern)) {
    const name = match[1] ?? "";
    const offset = (match.index ?? 0) + match[0].length;
    vars.set(name, { key: name, value: expressionAt(file, offset).expr, offset });
  }
  return vars;
}

/** `var name = <expression>` declarations at the top level of a file. */
export function variables(file: BicepFile): Map<string, string> {
  return new Map([...variableEntries(file)].map(([name, found]) => [name, found.value]));
}

/** A one-parameter lambda, `x => body` or `(x) => body`, as its parameter and body; undefined otherwise. */
export function lambda(found: Entry): { param: string; body: Entry } | undefined {
  const match = /^\(?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)?\s*=>\s*/.exec(found.value);
  if (match === null) return undefined;
  const body = found.value.slice(match[0].length);
  return {
    param: match[1] ?? "",
    body: { key: found.key, value: body, offset: found.offset + match[0].length },
  };
}

export interface Param {
  readonly name: string;
  readonly type: string;
  /** The default value's expression as written; undefined when the parameter has no default. */
  readonly defaultValue?: string;
  readonly secure: boolean;
}

/** `param` declarations, with their default (if any) and whether they have a `@secure()` decorator. */
export function params(file: BicepFile): Param[] {
  const found: Param[] = [];
  const lines = file.masked.split("\n");
  let decorators: string[] = [];
  let openDecorator = "";
  let lineStart = 0;
  for (const line of lines) {
    const offset = lineStart;
    lineStart += line.length + 1;
    const trimmed = line.trim();
    if (openDecorator !== "") {
      openDecorator += trimmed;
      if (balanced(openDecorator)) {
        decorators.push(openDecorator);
        openDecorator = "";
      }
      continue;
    }
    if (trimmed.startsWith("@")) {
      if (balanced(trimmed)) decorators.push(trimmed);
      else openDecorator = trimmed;
      continue;
    }
    const match = /^param\s+([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z_][A-Za-z0-9_.]*\??)(\s*=\s*)?/.exec(trimmed);
    if (match !== null) {
      const valueStart = offset + line.indexOf(trimmed) + match[0].length;
      found.push({
        name: match[1] ?? "",
        type: match[2] ?? "",
        ...(match[3] === undefined ? {} : { defaultValue: expressionAt(file, valueStart).expr }),
        secure: decorators.some((decorator) => /^@(sys\.)?secure\(\s*\)/.test(decorator)),
      });
    }
    if (trimmed !== "") decorators = [];
  }
  return found;
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    if (char in OPENERS) depth++;
    else if (CLOSERS.has(char)) depth--;
  }
  return depth <= 0;
}

/**
 * Offset of the `{` opening the body of the first declaration matching `header` (a regex run on the
 * comment-free view, so resource type strings can be matched), or -1.
 */
export function blockAfter(file: BicepFile, header: RegExp): number {
  const match = header.exec(file.code);
  if (match === null) return -1;
  const brace = file.masked.indexOf("{", (match.index ?? 0) + match[0].length - 1);
  return brace;
}

/** The entry named `key` in the object at `open`, as an offset of its value, or undefined. */
export function entry(file: BicepFile, open: number, key: string): Entry | undefined {
  return objectEntries(file, open).find((candidate) => candidate.key === key);
}

/**
 * The value of a string expression when it is knowable without deploying: a literal, a literal with
 * `${identifier}` interpolations, or an identifier naming a var that is one of those.
 */
export function evaluateString(
  expr: string,
  vars: ReadonlyMap<string, string>,
  seen: ReadonlySet<string> = new Set(),
): string | undefined {
  const trimmed = expr.trim();
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(trimmed)) {
    const value = vars.get(trimmed);
    if (value === undefined || seen.has(trimmed)) return undefined;
    return evaluateString(value, vars, new Set([...seen, trimmed]));
  }
  if (!/^'[\s\S]*'$/.test(trimmed) || trimmed.startsWith("'''")) return undefined;
  const body = trimmed.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const char = body[i] ?? "";
    if (char === "\\") {
      const next = body[i + 1] ?? "";
      out += next === "n" ? "\n" : next === "t" ? "\t" : next;
      i++;
      continue;
    }
    if (body.startsWith("${", i)) {
      const end = body.indexOf("}", i);
      if (end === -1) return undefined;
      const inner = evaluateString(body.slice(i + 2, end), vars, seen);
      if (inner === undefined) return undefined;
      out += inner;
      i = end;
      continue;
    }
    if (char === "'") return undefined; // a closing quote mid-way: not a single literal
    out += char;
  }
  return out;
}

/** Replaces identifiers that name vars with their (recursively expanded) expressions. */
export function expandVars(expr: string, vars: ReadonlyMap<string, string>, depth = 0): string {
  if (depth > 10) return expr;
  return expr.replace(/\b[A-Za-z_][A-Za-z0-9_]*\b/g, (name) => {
    const value = vars.get(name);
    return value === undefined ? name : `(${expandVars(value, vars, depth + 1)})`;
  });
}

/** 1-based line number of an offset, for messages. */
export function lineOf(file: BicepFile, offset: number): number {
  return file.text.slice(0, offset).split("\n").length;
}
