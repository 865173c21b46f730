import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { parseHttpSubmission, parseIdempotencyKey } from "../../../src/changes/intake.ts";

/**
 * Regression tests for what the intake fuzzer (test/integration/fuzz-intake.test.ts) found: a charset
 * other than UTF-8 was decoded as UTF-8 anyway, invalid UTF-8 was accepted with U+FFFD in place of the
 * bad bytes, and a blank Idempotency-Key made every blank-key request one request.
 */

const change = {
  itwinId: "5e3b1a7e-8c1d-4f3a-9b2e-000000000001",
  email: "alice@corp.example",
  action: "add",
};
const bytes = (text: string) => new Uint8Array(Buffer.from(text));
const problemOf = (result: ReturnType<typeof parseHttpSubmission>) =>
  result.ok ? undefined : result.problem;

describe("the body's encoding", () => {
  it("takes UTF-8, however the charset is spelled, and a body without one", () => {
    for (const type of [
      "application/json",
      "application/json; charset=UTF-8",
      'application/json;charset="utf-8"',
      "application/json; charset=utf8",
      "application/json; version=2",
    ]) {
      expect(parseHttpSubmission(type, bytes(JSON.stringify(change))).ok, type).toBe(true);
    }
  });

  it("refuses another charset with 415 instead of misreading the bytes", () => {
    for (const [type, named] of [
      ["application/json; charset=iso-8859-1", "iso-8859-1"],
      ["application/json; charset=UTF-16", "utf-16"],
      ["application/json; charset=", "empty"],
    ] as const) {
      expect(problemOf(parseHttpSubmission(type, bytes(JSON.stringify(change))))).toMatchObject({
        status: 415,
        detail: `The charset is ${named}; send UTF-8`,
      });
    }
  });

  it("refuses invalid UTF-8 with 400 naming the body, instead of replacing the bytes", () => {
    const body = Buffer.from(JSON.stringify({ ...change, reason: "a~b" }));
    body[body.indexOf("a~b") + 1] = 0xc3; // a lead byte with no continuation
    expect(problemOf(parseHttpSubmission("application/json", new Uint8Array(body)))).toMatchObject({
      status: 400,
      detail: "The body is not valid UTF-8",
      errors: [{ path: "(body)", message: "must be UTF-8 encoded JSON" }],
    });
  });

  it("reads multi-byte text from bytes exactly", () => {
    const result = parseHttpSubmission(
      "application/json",
      bytes(JSON.stringify({ ...change, reason: "Grüße 👋" })),
    );
    expect(result.ok && result.changes[0]?.reason).toBe("Grüße 👋");
  });
});

describe("parseIdempotencyKey", () => {
  it("takes no key, or a key of 1–200 characters after trimming", () => {
    expect(parseIdempotencyKey(null)).toEqual({ ok: true, key: undefined });
    expect(parseIdempotencyKey("  HR-4711 ")).toEqual({ ok: true, key: "HR-4711" });
    expect(parseIdempotencyKey("k".repeat(200))).toEqual({ ok: true, key: "k".repeat(200) });
  });

  it("refuses a blank key, which every sender of one would otherwise share", () => {
    for (const value of ["", "   ", "\t"]) {
      expect(parseIdempotencyKey(value)).toMatchObject({
        ok: false,
        problem: { status: 400, errors: [{ path: "Idempotency-Key", message: "must not be blank" }] },
      });
    }
  });

  it("refuses a key longer than a body id may be", () => {
    expect(parseIdempotencyKey("k".repeat(201))).toMatchObject({
      ok: false,
      problem: {
        status: 400,
        errors: [{ path: "Idempotency-Key", message: "must be at most 200 characters" }],
      },
    });
  });
});
