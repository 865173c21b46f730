/**
 * Reads the block-style YAML this project writes (GitHub workflows, azure.yaml) into plain values,
 * so tests can check their structure. No YAML library is installed; Biome's parser (part of
 * `npm run lint`, and run by workflows.test.ts) is what vouches that the files are valid YAML. This
 * reader covers the subset those files use and throws on anything else, rather than guessing:
 *
 * - block mappings and sequences (`- item`, `- key: value` items, sequences at their key's indent);
 * - plain, 'single' and "double" quoted scalars (kept as strings), flow sequences of scalars `[a, b]`;
 * - literal `|` and folded `>` block scalars; `#` comments.
 *
 * Anchors, aliases, tags, flow mappings and multi-document files are refused.
 */

export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue } | null;

interface Line {
  readonly number: number;
  indent: number;
  content: string;
}

export class YamlSubsetError extends Error {
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = "YamlSubsetError";
  }
}

/** Removes a trailing `# comment` (a # at the start or after a space, outside quotes). */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === "#" && (i === 0 || text[i - 1] === " ")) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

function scalar(raw: string, line: number): YamlValue {
  const text = raw.trim();
  if (text === "" || text === "~" || text === "null") return null;
  if (/^[&*!]/.test(text))
    throw new YamlSubsetError(`anchors, aliases and tags are not supported: ${text}`, line);
  if (text.startsWith("{")) throw new YamlSubsetError(`flow mappings are not supported: ${text}`, line);
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) throw new YamlSubsetError(`unterminated flow sequence: ${text}`, line);
    const inner = text.slice(1, -1).trim();
    if (/[[\]{}]/.test(inner))
      throw new YamlSubsetError(`nested flow collections are not supported: ${text}`, line);
    return inner === "" ? [] : inner.split(",").map((item) => scalar(item, line));
  }
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2)
      throw new YamlSubsetError(`unterminated string: ${text}`, line);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2)
      throw new YamlSubsetError(`unterminated string: ${text}`, line);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  return text;
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s'"#\-[{][^:]*?|-[^\s:][^:]*?)[ \t]*:(?:[ \t]+(.*))?$/;

export function parseYamlSubset(source: string): YamlValue {
  const raw = source.replace(/\r\n?/g, "\n").split("\n");
  if (raw.some((text) => /^---\s*$/.test(text) && raw.indexOf(text) > 0)) {
    throw new YamlSubsetError("multi-document files are not supported");
  }
  const lines: Line[] = [];
  raw.forEach((text, index) => {
    if (/^\t/.test(text)) throw new YamlSubsetError("tabs in indentation", index + 1);
    lines.push({
      number: index + 1,
      indent: text.length - text.trimStart().length,
      content: text.trimStart(),
    });
  });
  let at = 0;

  const significant = (line: Line): boolean => stripComment(line.content) !== "" && line.content !== "---";
  const skipBlank = (): void => {
    while (at < lines.length && !significant(lines[at] as Line)) at++;
  };
  const current = (): Line | undefined => {
    skipBlank();
    return lines[at];
  };

  function blockScalar(indicator: string, parentIndent: number): string {
    const collected: string[] = [];
    let indent = -1;
    at++;
    while (at < lines.length) {
      const line = lines[at] as Line;
      if (line.content === "") {
        collected.push("");
        at++;
        continue;
      }
      if (line.indent <= parentIndent) break;
      if (indent === -1) indent = line.indent;
      collected.push(" ".repeat(Math.max(0, line.indent - indent)) + line.content);
      at++;
    }
    while (collected.length > 0 && collected[collected.length - 1] === "") collected.pop();
    // Folded (>) joins lines with spaces; literal (|) keeps them. "-" strips the final line break.
    const body = indicator.startsWith(">")
      ? collected.join(" ").replace(/ {2,}/g, " ")
      : collected.join("\n");
    return indicator.includes("-") || body === "" ? body : `${body}\n`;
  }

  function value(rest: string | undefined, line: Line, ownIndent: number): YamlValue {
    const text = rest === undefined ? "" : stripComment(rest);
    if (/^[|>][+-]?$/.test(text)) return blockScalar(text, ownIndent);
    at++;
    if (text !== "") return scalar(text, line.number);
    const next = current();
    if (next === undefined) return null;
    if (next.indent > ownIndent) return block(next.indent);
    // A sequence may sit at its key's own indent.
    if (next.indent === ownIndent && /^-(\s|$)/.test(next.content)) return sequence(ownIndent);
    return null;
  }

  function mapping(indent: number): { [key: string]: YamlValue } {
    const result: { [key: string]: YamlValue } = {};
    for (let line = current(); line !== undefined && line.indent === indent; line = current()) {
      if (/^-(\s|$)/.test(line.content)) break;
      const match = KEY.exec(stripComment(line.content));
      if (match === null)
        throw new YamlSubsetError(`expected "key: value", found: ${line.content}`, line.number);
      const rawKey = match[1] ?? "";
      const key = /^["']/.test(rawKey) ? String(scalar(rawKey, line.number)) : rawKey.trim();
      if (key in result) throw new YamlSubsetError(`duplicate key: ${key}`, line.number);
      result[key] = value(match[2], line, indent);
    }
    return result;
  }

  function sequence(indent: number): YamlValue[] {
    const result: YamlValue[] = [];
    for (let line = current(); line !== undefined && line.indent === indent; line = current()) {
      if (!/^-(\s|$)/.test(line.content)) break;
      const item = line.content.slice(1).trimStart();
      const column = indent + (line.content.length - item.length);
      if (stripComment(item) === "") {
        at++;
        const next = current();
        result.push(next !== undefined && next.indent > indent ? block(next.indent) : null);
      } else if (KEY.test(stripComment(item)) && !/^["'[]/.test(item)) {
        // "- key: value": a mapping whose first entry shares the dash's line.
        line.indent = column;
        line.content = item;
        result.push(mapping(column));
      } else if (/^-(\s|$)/.test(item)) {
        throw new YamlSubsetError("nested sequences on one line are not supported", line.number);
      } else {
        result.push(value(item, line, indent));
      }
    }
    return result;
  }

  function block(indent: number): YamlValue {
    const line = current();
    if (line === undefined) return null;
    return /^-(\s|$)/.test(line.content) ? sequence(indent) : mapping(indent);
  }

  const first = current();
  if (first === undefined) return null;
  if (first.indent !== 0) throw new YamlSubsetError("the document must start at column 0", first.number);
  const result = block(0);
  const rest = current();
  if (rest !== undefined) {
    throw new YamlSubsetError(`unexpected indentation or content: ${rest.content}`, rest.number);
  }
  return result;
}
