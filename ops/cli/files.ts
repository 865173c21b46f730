import { createHash } from "node:crypto";
import { fieldErrors, httpChangeSchema, type OwnerChange } from "../../src/changes/model.ts";
import { parseCsv } from "./csv.ts";

/**
 * A file of owner changes (CSV with a header, or JSON Lines) → validated changes with their line
 * numbers, or every bad line at once. Pure. Each line is checked with the schema the HTTP intake uses
 * (src/changes/model.ts), so what passes here is what the service accepts.
 *
 * Idempotency: a line without its own `id` gets `file:<first 24 hex of SHA-256 of the file>:<line>`,
 * so running the same file again — after Ctrl-C, a timeout or a crash — names the same requests and the
 * service answers with the ones it already has (design §3 "Idempotency keys"). An edited file is a new
 * file: its lines are new requests.
 */

export type FileFormat = "csv" | "jsonl";
export const FILE_FORMATS: readonly FileFormat[] = ["csv", "jsonl"];

export interface LineError {
  /** 1-based; 0 for the file as a whole. */
  line: number;
  message: string;
}

export interface FileChange {
  line: number;
  change: OwnerChange & { id: string };
}

export type ParsedFile =
  | { ok: true; changes: FileChange[]; hash: string }
  | { ok: false; errors: LineError[] };

/** Values the command line gives every line that does not have its own. */
export interface LineDefaults {
  source?: string;
  requestedBy?: string;
  reason?: string;
  /** Sets every line to a dry run; their keys differ from a real run's, which asks for something else. */
  dryRun?: boolean;
}

const FIELDS = Object.keys(httpChangeSchema.shape);
const FIELD_BY_LOWER = new Map(FIELDS.map((name) => [name.toLowerCase(), name]));
const REQUIRED = ["itwinId", "email", "action"];

export function formatOf(file: string): FileFormat | undefined {
  const extension = file.toLowerCase().split(".").pop();
  if (extension === "csv") return "csv";
  if (extension === "jsonl" || extension === "ndjson") return "jsonl";
  return undefined;
}

export function fileHash(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function derivedKey(hash: string, line: number, dryRun: boolean): string {
  return `file:${hash.slice(0, 24)}:${line}${dryRun ? ":dry-run" : ""}`;
}

export function parseChangesFile(
  bytes: Uint8Array,
  format: FileFormat,
  defaults: LineDefaults = {},
): ParsedFile {
  const text = decodeUtf8(bytes);
  if (!text.ok) return { ok: false, errors: [text.error] };
  const body = text.text.startsWith("\uFEFF") ? text.text.slice(1) : text.text;
  const rows = format === "csv" ? csvRows(body) : jsonlRows(body);
  if (rows.fatal) return { ok: false, errors: rows.errors };

  const hash = fileHash(bytes);
  // Every bad line is reported, in file order, whether its shape or its fields are wrong.
  const errors: LineError[] = [...rows.errors];
  const changes: FileChange[] = [];
  const keys = new Map<string, number>();
  for (const { line, value } of rows.rows) {
    const parsed = httpChangeSchema.safeParse(withDefaults(value, defaults));
    if (!parsed.success) {
      for (const error of fieldErrors(parsed.error))
        errors.push({ line, message: `${error.path}: ${error.message}` });
      continue;
    }
    const id = parsed.data.id ?? derivedKey(hash, line, defaults.dryRun === true);
    // Keys are scoped by source (design §3): the same id from two sources is two requests.
    const scoped = `${parsed.data.source ?? ""}\u0000${id}`;
    const first = keys.get(scoped);
    if (first !== undefined) {
      errors.push({ line, message: `id: "${id}" is also the id of line ${first}` });
      continue;
    }
    keys.set(scoped, line);
    changes.push({ line, change: { ...parsed.data, id } });
  }
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  if (changes.length === 0) return { ok: false, errors: [{ line: 0, message: "the file holds no changes" }] };
  return { ok: true, changes, hash };
}

function withDefaults(value: unknown, defaults: LineDefaults): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const line = value as Record<string, unknown>;
  return {
    ...(defaults.source === undefined ? {} : { source: defaults.source }),
    ...(defaults.requestedBy === undefined ? {} : { requestedBy: defaults.requestedBy }),
    ...(defaults.reason === undefined ? {} : { reason: defaults.reason }),
    ...line,
    ...(defaults.dryRun === true ? { dryRun: true } : {}),
  };
}

/** `fatal`: nothing can be read line by line (a header or quoting error); else the readable rows and the bad ones. */
interface Rows {
  rows: { line: number; value: unknown }[];
  errors: LineError[];
  fatal: boolean;
}

function csvRows(text: string): Rows {
  const parsed = parseCsv(text);
  if (!parsed.ok) return { rows: [], errors: [{ line: parsed.line, message: parsed.message }], fatal: true };
  const [header, ...records] = parsed.records;
  if (header === undefined) return { rows: [], errors: [], fatal: false };
  const columns: string[] = [];
  const errors: LineError[] = [];
  for (const name of header.fields.map((field) => field.trim())) {
    const column = FIELD_BY_LOWER.get(name.toLowerCase());
    if (column === undefined) {
      errors.push({
        line: header.line,
        message: `column "${name}" is not a field (fields: ${FIELDS.join(", ")})`,
      });
    } else if (columns.includes(column)) {
      errors.push({ line: header.line, message: `column "${name}" appears twice` });
    }
    columns.push(column ?? name);
  }
  for (const required of REQUIRED.filter((name) => !columns.includes(name))) {
    errors.push({ line: header.line, message: `the header has no "${required}" column` });
  }
  if (errors.length > 0) return { rows: [], errors, fatal: true };
  const rows: { line: number; value: unknown }[] = [];
  for (const record of records) {
    if (record.fields.length !== columns.length) {
      errors.push({
        line: record.line,
        message: `has ${record.fields.length} fields, the header ${columns.length}`,
      });
      continue;
    }
    const value: Record<string, unknown> = {};
    record.fields.forEach((cell, index) => {
      const column = columns[index] as string;
      // An empty cell is a field left out, as a missing JSON property would be.
      if (cell.trim() === "") return;
      value[column] = column === "dryRun" ? csvBoolean(cell) : cell;
    });
    rows.push({ line: record.line, value });
  }
  return { rows, errors, fatal: false };
}

/** "true" / "false" in any case; anything else is left as text for the schema to refuse. */
function csvBoolean(cell: string): boolean | string {
  const lower = cell.trim().toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : cell;
}

function jsonlRows(text: string): Rows {
  const rows: { line: number; value: unknown }[] = [];
  const errors: LineError[] = [];
  text.split("\n").forEach((raw, index) => {
    const content = raw.trim();
    if (content === "") return;
    try {
      const value: unknown = JSON.parse(content);
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        errors.push({ line: index + 1, message: "is not a JSON object" });
      } else rows.push({ line: index + 1, value });
    } catch (error) {
      errors.push({ line: index + 1, message: `is not JSON: ${(error as Error).message}` });
    }
  });
  return { rows, errors, fatal: false };
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Invalid UTF-8 is refused, naming the first line that has it, as the HTTP intake refuses it. */
function decodeUtf8(bytes: Uint8Array): { ok: true; text: string } | { ok: false; error: LineError } {
  try {
    return { ok: true, text: UTF8.decode(bytes) };
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      try {
        UTF8.decode(bytes.subarray(start, end === -1 ? bytes.length : end));
      } catch {
        return { ok: false, error: { line, message: "is not valid UTF-8" } };
      }
      if (end === -1) return { ok: false, error: { line: 0, message: "the file is not valid UTF-8" } };
      start = end + 1;
    }
  }
}
