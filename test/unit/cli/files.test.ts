import { describe, expect, it } from "vitest";
import { parseCsv } from "../../../ops/cli/csv.ts";
import { derivedKey, fileHash, formatOf, parseChangesFile } from "../../../ops/cli/files.ts";

const A = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const B = "5e3b1a7e-8c1d-4f3a-9b2e-000000000002";
const bytes = (text: string) => new TextEncoder().encode(text);

describe("parseCsv", () => {
  it("reads quoted commas, doubled quotes and line breaks, numbering records by their first line", () => {
    const result = parseCsv('a,b\r\n"x, y","say ""hi"""\n\n"multi\nline",z\nlast,"\n"\n');
    expect(result).toEqual({
      ok: true,
      records: [
        { line: 1, fields: ["a", "b"] },
        { line: 2, fields: ["x, y", 'say "hi"'] },
        { line: 4, fields: ["multi\nline", "z"] },
        { line: 6, fields: ["last", "\n"] },
      ],
    });
  });

  it("keeps an empty quoted field as a record, a final line without a break, and a trailing CR out", () => {
    expect(parseCsv('""\nx,y\r')).toEqual({
      ok: true,
      records: [
        { line: 1, fields: [""] },
        { line: 2, fields: ["x", "y"] },
      ],
    });
  });

  it("names the line where an unclosed quote starts", () => {
    expect(parseCsv('a,b\n"open,\nmore\n')).toEqual({
      ok: false,
      line: 2,
      message: "a quoted field is never closed",
    });
  });
});

describe("parseChangesFile", () => {
  it("validates CSV lines with the intake's schema and keeps their line numbers, past BOM, CRLF and blank lines", () => {
    const text = `\uFEFFitwinId,Email,action,reason\r\n${A},Alice@Corp.Example,add,"promoted, finally"\r\n\r\n${B},bob@corp.example,REMOVE,\r\n`;
    const parsed = parseChangesFile(bytes(text), "csv");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(
      parsed.changes.map(({ line, change }) => [line, change.email, change.action, change.reason]),
    ).toEqual([
      [2, "alice@corp.example", "add", "promoted, finally"],
      [4, "bob@corp.example", "remove", undefined],
    ]);
  });

  it("reports every bad line of a CSV at once, shape and fields alike, in file order", () => {
    const text = [
      "itwinId,email,action,dryRun",
      `${A},not-an-address,add,`,
      `${A},ok@corp.example,add`,
      `nope,ok@corp.example,delete,maybe`,
      `${A},fine@corp.example,add,TRUE`,
    ].join("\n");
    const parsed = parseChangesFile(bytes(text), "csv");
    expect(parsed).toEqual({
      ok: false,
      errors: [
        { line: 2, message: "email: must be an email address" },
        { line: 3, message: "has 3 fields, the header 4" },
        { line: 4, message: "itwinId: must be an iTwin id (a UUID)" },
        { line: 4, message: 'action: must be "add" or "remove"' },
        { line: 4, message: expect.stringMatching(/^dryRun: /) },
      ],
    });
  });

  it("refuses a header with unknown, repeated or missing columns before reading any line", () => {
    const parsed = parseChangesFile(bytes(`itwinId,mail,itwinid\n${A},a@corp.example,x\n`), "csv");
    expect(parsed).toEqual({
      ok: false,
      errors: [
        {
          line: 1,
          message: expect.stringMatching(/^column "mail" is not a field \(fields: itwinId, email, action/),
        },
        { line: 1, message: 'column "itwinid" appears twice' },
        { line: 1, message: 'the header has no "email" column' },
        { line: 1, message: 'the header has no "action" column' },
      ],
    });
  });

  it("reads JSON Lines, skipping blank lines, and names lines that are not JSON objects or have unknown fields", () => {
    const text = [
      JSON.stringify({ itwinId: A, email: "a@corp.example", action: "add" }),
      "",
      "{not json",
      "[1]",
      JSON.stringify({ itwinId: A, email: "b@corp.example", action: "add", colour: "red" }),
      JSON.stringify({ itwinId: B, email: "c@corp.example", action: "remove", id: "HR-1" }),
    ].join("\r\n");
    expect(parseChangesFile(bytes(text), "jsonl")).toEqual({
      ok: false,
      errors: [
        { line: 3, message: expect.stringMatching(/^is not JSON: /) },
        { line: 4, message: "is not a JSON object" },
        { line: 5, message: "colour: is not a known field" },
      ],
    });
    const goodText = `\uFEFF${JSON.stringify({ itwinId: A, email: "a@corp.example", action: "add" })}\n\n{"itwinId":"${B}","email":"c@corp.example","action":"remove","id":"HR-1"}\n`;
    const good = parseChangesFile(bytes(goodText), "jsonl");
    expect(good.ok && good.changes.map((c) => [c.line, c.change.id])).toEqual([
      [1, derivedKey(fileHash(bytes(goodText)), 1, false)],
      [3, "HR-1"],
    ]);
  });

  it("names the first line that is not UTF-8", () => {
    const text = new Uint8Array([...bytes(`itwinId,email,action\n${A},`), 0xff, ...bytes(",add\n")]);
    expect(parseChangesFile(text, "csv")).toEqual({
      ok: false,
      errors: [{ line: 2, message: "is not valid UTF-8" }],
    });
  });

  it("says so when a file holds no changes", () => {
    expect(parseChangesFile(bytes("itwinId,email,action\n\n"), "csv")).toEqual({
      ok: false,
      errors: [{ line: 0, message: "the file holds no changes" }],
    });
  });

  it("refuses a line whose own id another line of the same source already has", () => {
    const text = `itwinId,email,action,id,source\n${A},a@corp.example,add,X,hr\n${A},b@corp.example,add,X,jira\n${A},c@corp.example,add,X,hr\n`;
    expect(parseChangesFile(bytes(text), "csv")).toEqual({
      ok: false,
      errors: [{ line: 4, message: 'id: "X" is also the id of line 2' }],
    });
  });

  it("derives stable keys from the file's bytes and line, keeps a line's own id, and applies defaults", () => {
    const text = `itwinId,email,action,id,reason\n${A},a@corp.example,add,,\n${A},b@corp.example,add,HR-7,own reason\n`;
    const first = parseChangesFile(bytes(text), "csv", { source: "cli", reason: "reorg", requestedBy: "me" });
    const again = parseChangesFile(bytes(text), "csv", { source: "cli", reason: "reorg", requestedBy: "me" });
    expect(first).toEqual(again);
    if (!first.ok) throw new Error("expected a valid file");
    const hash = fileHash(bytes(text));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.changes.map((c) => c.change)).toEqual([
      expect.objectContaining({
        id: `file:${hash.slice(0, 24)}:2`,
        source: "cli",
        reason: "reorg",
        requestedBy: "me",
      }),
      expect.objectContaining({ id: "HR-7", reason: "own reason" }),
    ]);
    const edited = parseChangesFile(bytes(`${text}${A},c@corp.example,add,,\n`), "csv");
    expect(edited.ok && edited.changes[0]?.change.id).not.toBe(first.changes[0]?.change.id);
    const dry = parseChangesFile(bytes(text), "csv", { dryRun: true });
    expect(dry.ok && dry.changes.map((c) => [c.change.id, c.change.dryRun])).toEqual([
      [`file:${hash.slice(0, 24)}:2:dry-run`, true],
      ["HR-7", true],
    ]);
  });

  it("tells the format from the name", () => {
    expect([formatOf("a.CSV"), formatOf("b.jsonl"), formatOf("c.ndjson"), formatOf("d.txt")]).toEqual([
      "csv",
      "jsonl",
      "jsonl",
      undefined,
    ]);
  });
});
