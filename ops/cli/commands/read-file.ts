import type { Command } from "commander";
import type { ParsedFile } from "../files.ts";
import { FILE_FORMATS, type FileFormat, formatOf, type LineDefaults, parseChangesFile } from "../files.ts";
import { type Context, UsageError } from "../program.ts";

/** `--file` and `--format` as submit and plan read them: the file's changes, or every bad line on stderr. */
export async function readChangesFile(
  context: Context,
  command: Command,
  file: string,
  format: string | undefined,
  defaults: LineDefaults,
): Promise<(ParsedFile & { ok: true }) | undefined> {
  const kind = (format as FileFormat | undefined) ?? formatOf(file);
  if (kind === undefined || !FILE_FORMATS.includes(kind)) {
    throw new UsageError(
      `cannot tell the format of ${file}: name it .csv or .jsonl, or give --format csv|jsonl`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await context.io.readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = parseChangesFile(bytes, kind, defaults);
  if (parsed.ok) return parsed;
  if (context.json(command)) {
    context.out(JSON.stringify({ file, valid: false, errors: parsed.errors }));
  }
  for (const error of parsed.errors) {
    context.err(error.line > 0 ? `${file}:${error.line}: ${error.message}` : `${file}: ${error.message}`);
  }
  context.err(`${parsed.errors.length} problem(s) in ${file}; nothing was sent`);
  return undefined;
}

export const FORMAT_CHOICES = [...FILE_FORMATS];
