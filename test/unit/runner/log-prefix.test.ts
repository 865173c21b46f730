import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { colourEnabled, formatPrefix, LinePrefixer, pipeWithPrefix } from "../../../dev/log-prefix.ts";

describe("LinePrefixer", () => {
  it("prefixes whole lines, holding partial ones until their newline", () => {
    const out: string[] = [];
    const p = new LinePrefixer("[x] ", (l) => out.push(l));
    p.push("one\ntw");
    expect(out).toEqual(["[x] one"]);
    p.push("o\r\nthree");
    expect(out).toEqual(["[x] one", "[x] two"]);
    p.flush();
    expect(out).toEqual(["[x] one", "[x] two", "[x] three"]);
  });

  it("keeps multi-byte characters split across chunks intact", () => {
    const out: string[] = [];
    const p = new LinePrefixer("", (l) => out.push(l));
    const bytes = Buffer.from("zoë\n");
    p.push(bytes.subarray(0, 3));
    p.push(bytes.subarray(3));
    expect(out).toEqual(["zoë"]);
  });

  it("breaks an endless line into pieces instead of buffering forever", () => {
    const out: string[] = [];
    const p = new LinePrefixer("", (l) => out.push(l), 4);
    p.push("abcdefghij");
    expect(out).toEqual(["abcd", "efgh"]);
  });

  it("flushes the last line when the stream ends", async () => {
    const out: string[] = [];
    const stream = new PassThrough();
    pipeWithPrefix(stream, "[s] ", (l) => out.push(l));
    stream.end("a\nb");
    await new Promise((r) => stream.once("end", r));
    expect(out).toEqual(["[s] a", "[s] b"]);
  });
});

describe("prefix and colour", () => {
  it("pads the prefix to a common width", () => {
    expect(formatPrefix("runner", "green", false, 11)).toBe("[runner]    ");
    expect(formatPrefix("simulator", "magenta", false, 11)).toBe("[simulator] ");
    expect(formatPrefix("runner", "green", true, 11)).toBe("\u001b[32m[runner]\u001b[39m    ");
  });

  it("colours only terminals, honouring NO_COLOR and FORCE_COLOR", () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { FORCE_COLOR: "0" })).toBe(false);
  });
});
