import { describe, expect, it } from "vitest";
import { declaredContentLength, readBodyWithin } from "../../../src/http/read-body.ts";

/** An endless body that counts what was pulled from it and whether it was told to stop. */
function endlessBody(chunkBytes: number) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulled += chunkBytes;
        controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
      },
      cancel() {
        seen.cancelled = true;
      },
      // No read-ahead: every chunk pulled is one the reader asked for.
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

const bodyOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });

describe("readBodyWithin", () => {
  it("returns the whole body, chunks joined, when it fits", async () => {
    const read = await readBodyWithin(bodyOf('{"a":', '"ü"}'), 100);
    expect(read.ok && new TextDecoder().decode(read.bytes)).toBe('{"a":"ü"}');
  });

  it("takes a body of exactly the limit and refuses one byte more", async () => {
    expect(await readBodyWithin(bodyOf("x".repeat(9), "y"), 10)).toMatchObject({ ok: true });
    expect(await readBodyWithin(bodyOf("x".repeat(9), "yz"), 10)).toEqual({ ok: false, reason: "too-large" });
  });

  it("stops reading at the limit and cancels the rest of an endless body", async () => {
    const { stream, seen } = endlessBody(16 * 1024);
    expect(await readBodyWithin(stream, 256 * 1024)).toEqual({ ok: false, reason: "too-large" });
    expect(seen.cancelled).toBe(true);
    // The chunk that crossed the limit is the last one read.
    expect(seen.pulled).toBe(256 * 1024 + 16 * 1024);
  });

  it("reads no body as empty", async () => {
    expect(await readBodyWithin(null, 10)).toEqual({ ok: true, bytes: new Uint8Array(0) });
  });

  it("reports a body that breaks off instead of throwing", async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("socket hang up"));
      },
    });
    expect(await readBodyWithin(broken, 10)).toEqual({
      ok: false,
      reason: "unreadable",
      message: "socket hang up",
    });
  });
});

describe("declaredContentLength", () => {
  it("reads a well-formed Content-Length, however large", () => {
    expect(declaredContentLength("262144")).toBe(262_144);
    expect(declaredContentLength(" 0 ")).toBe(0);
    expect(declaredContentLength("99999999999999999999")).toBeGreaterThan(262_144);
  });

  it("ignores a missing or malformed one: the byte count while reading decides", () => {
    for (const value of [null, "", "12ab", "-1", "1e9", "0x10", "1.5"]) {
      expect(declaredContentLength(value), String(value)).toBeUndefined();
    }
  });
});
