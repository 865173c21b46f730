import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  MAX_HTTP_BODY_BYTES,
  messageText,
  parseHttpSubmission,
  parseIdempotencyKey,
  parseQueueRequest,
} from "../../../src/changes/intake.ts";

const ITWIN = "5E3B1A7E-8C1D-4F3A-9B2E-000000000001";
const valid = { itwinId: ITWIN, email: "  Alice@Corp.Example ", action: "ADD" };

describe("parseHttpSubmission", () => {
  it("normalises a valid change", () => {
    const result = parseHttpSubmission("application/json; charset=utf-8", JSON.stringify(valid));
    expect(result).toEqual({
      ok: true,
      batch: false,
      changes: [{ itwinId: ITWIN.toLowerCase(), email: "alice@corp.example", action: "add", dryRun: false }],
    });
  });

  it("keeps the optional fields and normalises occurredAt to UTC", () => {
    const body = {
      ...valid,
      id: "HR-4711",
      source: "workday",
      reason: "promoted",
      occurredAt: "2026-11-20T10:15:00+01:00",
      dryRun: true,
    };
    const result = parseHttpSubmission("application/json", JSON.stringify(body));
    expect(result.ok && result.changes[0]).toMatchObject({
      id: "HR-4711",
      occurredAt: "2026-11-20T09:15:00.000Z",
      dryRun: true,
    });
  });

  it("names every bad field, including unknown ones", () => {
    const result = parseHttpSubmission(
      "application/json",
      JSON.stringify({ itwinId: "nope", email: "not-an-email", action: "promote", colour: "blue" }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problem.status).toBe(400);
    expect(result.problem.errors?.map((e) => e.path).sort()).toEqual([
      "action",
      "colour",
      "email",
      "itwinId",
    ]);
    expect(result.problem.detail).toContain("itwinId");
  });

  it("reports missing required fields and a too-long reason", () => {
    const result = parseHttpSubmission("application/json", JSON.stringify({ reason: "x".repeat(501) }));
    expect(result.ok ? [] : result.problem.errors?.map((e) => e.path).sort()).toEqual([
      "action",
      "email",
      "itwinId",
      "reason",
    ]);
  });

  it("answers 415 for a non-JSON media type and 400 for broken JSON", () => {
    const media = parseHttpSubmission("text/plain", "{}");
    expect(media.ok ? 0 : media.problem.status).toBe(415);
    const broken = parseHttpSubmission("application/json", "{ nope");
    expect(broken.ok ? 0 : broken.problem).toMatchObject({ status: 400, errors: [{ path: "(body)" }] });
  });

  it("accepts batches up to 100 and names the bad item's field with its index", () => {
    const ok = parseHttpSubmission(
      "application/json",
      JSON.stringify({ changes: [valid, { ...valid, action: "remove" }] }),
    );
    expect(ok.ok && ok.batch && ok.changes.length).toBe(2);
    const bad = parseHttpSubmission(
      "application/json",
      JSON.stringify({ changes: [valid, { ...valid, email: "x" }] }),
    );
    expect(bad.ok ? [] : bad.problem.errors?.map((e) => e.path)).toEqual(["changes[1].email"]);
    const empty = parseHttpSubmission("application/json", JSON.stringify({ changes: [] }));
    expect(empty.ok ? 0 : empty.problem.status).toBe(400);
  });

  it("answers 413 for a batch over 100 and for a body over the size limit", () => {
    const many = parseHttpSubmission(
      "application/json",
      JSON.stringify({ changes: Array.from({ length: 101 }, () => valid) }),
    );
    expect(many.ok ? 0 : many.problem.status).toBe(413);
    const huge = parseHttpSubmission(
      "application/json",
      JSON.stringify({ ...valid, reason: "x".repeat(300_000) }),
    );
    expect(huge.ok ? 0 : huge.problem.status).toBe(413);
  });
});

describe("parseHttpSubmission's answers", () => {
  const refusal = (contentType: string | null, body: string) => {
    const result = parseHttpSubmission(contentType, body);
    return result.ok ? undefined : result.problem;
  };

  it("takes application/json and any application/*+json, in any case and with parameters", () => {
    for (const type of [
      " Application/JSON ; charset=utf-8",
      "application/merge-patch+json",
      "application/vnd.api+json",
    ]) {
      expect(parseHttpSubmission(type, JSON.stringify(valid)).ok).toBe(true);
    }
  });

  it("refuses other media types, saying which one came and what to send", () => {
    for (const type of [
      "text/json",
      "application/json-seq",
      "application/+json",
      "xapplication/vnd+json",
      "application/vnd+jsonx",
    ]) {
      expect(refusal(type, JSON.stringify(valid))).toMatchObject({
        status: 415,
        detail: `Content-Type is ${type}; send application/json`,
      });
    }
    expect(refusal(null, "{}")).toMatchObject({
      status: 415,
      detail: "Content-Type is missing; send application/json",
    });
  });

  it("says why a body is not JSON", () => {
    expect(refusal("application/json", "{ nope")).toMatchObject({
      status: 400,
      title: "The body is not valid JSON",
      detail: "The body could not be parsed as JSON",
      errors: [{ path: "(body)" }],
    });
  });

  it("lists each bad field once in the detail", () => {
    expect(
      refusal("application/json", JSON.stringify({ itwinId: "nope", email: "x", action: "promote" })),
    ).toMatchObject({
      status: 400,
      detail: "Invalid field(s): itwinId, email, action",
    });
  });

  it("answers 400, without failing, for JSON that is not an object", () => {
    for (const body of ["null", "[]", '"text"', "42", "true"]) {
      expect(refusal("application/json", body)).toMatchObject({ status: 400, errors: [{ path: "(body)" }] });
    }
  });

  it("takes a batch of exactly 100 and refuses 101 saying how many came", () => {
    const batch = (n: number) => JSON.stringify({ changes: Array.from({ length: n }, () => valid) });
    const full = parseHttpSubmission("application/json", batch(100));
    expect(full.ok && full.changes.length).toBe(100);
    expect(refusal("application/json", batch(101))).toStrictEqual({
      type: "urn:itwin-owner-automation:problem:too-large",
      title: "The request is too large",
      status: 413,
      detail: "A batch holds at most 100 changes; this one has 101",
      errors: [{ path: "changes", message: "must hold at most 100 changes" }],
    });
  });
});

describe("the HTTP intake's limits and headers", () => {
  /** A JSON body of exactly `size` bytes: a change whose reason is padded (too long a reason, so 400). */
  const bodyOfSize = (size: number) => {
    const empty = JSON.stringify({ ...valid, reason: "" });
    return JSON.stringify({ ...valid, reason: "x".repeat(size - empty.length) });
  };

  it("reads a body of exactly 256 KiB, as text or bytes, and refuses one byte more with 413", () => {
    for (const body of [bodyOfSize(MAX_HTTP_BODY_BYTES), Buffer.from(bodyOfSize(MAX_HTTP_BODY_BYTES))]) {
      const result = parseHttpSubmission("application/json", body);
      expect(result.ok ? 0 : result.problem.errors?.map((e) => e.path)).toEqual(["reason"]);
    }
    for (const body of [
      bodyOfSize(MAX_HTTP_BODY_BYTES + 1),
      Buffer.from(bodyOfSize(MAX_HTTP_BODY_BYTES + 1)),
    ]) {
      expect(parseHttpSubmission("application/json", body)).toMatchObject({
        ok: false,
        problem: { status: 413, detail: "The body exceeds 262144 bytes" },
      });
    }
  });

  it("refuses a charset parameter without a value, or with stray quotes, instead of guessing UTF-8", () => {
    const charsetOf = (parameter: string) => {
      const result = parseHttpSubmission(`application/json; ${parameter}`, JSON.stringify(valid));
      return result.ok ? "accepted" : result.problem.detail;
    };
    expect(charsetOf("charset")).toBe("The charset is empty; send UTF-8");
    expect(charsetOf('charset=utf-8""')).toBe('The charset is utf-8""; send UTF-8');
    expect(charsetOf('charset=""utf-8')).toBe('The charset is ""utf-8; send UTF-8');
  });

  it("says which header is wrong and why", () => {
    expect(parseIdempotencyKey(" ")).toMatchObject({
      ok: false,
      problem: { detail: "Invalid header: Idempotency-Key must not be blank" },
    });
  });
});

describe("parseQueueRequest", () => {
  it("takes an already parsed object and ignores unknown fields", () => {
    const result = parseQueueRequest({ ...valid, schemaVersion: 3 });
    expect(result).toEqual({
      ok: true,
      change: { itwinId: ITWIN.toLowerCase(), email: "alice@corp.example", action: "add", dryRun: false },
    });
  });

  it("takes plain JSON text and base64-encoded JSON", () => {
    const text = JSON.stringify(valid);
    expect(parseQueueRequest(text).ok).toBe(true);
    expect(parseQueueRequest(Buffer.from(text).toString("base64")).ok).toBe(true);
    expect(parseQueueRequest(Buffer.from(text)).ok).toBe(true);
  });

  it("explains why a message can never be accepted", () => {
    expect(parseQueueRequest("hello there")).toEqual({
      ok: false,
      reason: "The message is neither JSON nor base64-encoded JSON",
    });
    expect(parseQueueRequest(Buffer.from("not json").toString("base64"))).toMatchObject({ ok: false });
    const schema = parseQueueRequest({ itwinId: ITWIN, action: "add" });
    expect(schema).toMatchObject({ ok: false, errors: [{ path: "email", message: "is required" }] });
    expect(schema.ok ? "" : schema.reason).toContain("email");
  });

  it("reads base64 as the SDK sends it, trailing newline included, but never reads JSON as base64", () => {
    const base64 = Buffer.from(JSON.stringify(valid)).toString("base64");
    expect(parseQueueRequest(`${base64}\n`).ok).toBe(true);
    // Plain JSON text whatever its length, even when its characters could also be base64 ("1234" is both).
    for (const pad of ["", " ", "  ", "   "])
      expect(parseQueueRequest(JSON.stringify(valid) + pad).ok).toBe(true);
    expect(parseQueueRequest("1234")).toMatchObject({
      ok: false,
      reason: "The message fails the owner-change schema: (body)",
    });
  });

  it("does not guess at base64 that is unpadded or has text around it", () => {
    const neither = { ok: false, reason: "The message is neither JSON nor base64-encoded JSON" };
    // valid's JSON is 1 byte past a multiple of 3, so its base64 ends in padding.
    const base64 = Buffer.from(JSON.stringify(valid)).toString("base64");
    expect(base64).toMatch(/==$/);
    expect(parseQueueRequest(base64.replace(/=+$/, ""))).toStrictEqual(neither);
    expect(parseQueueRequest(`####${base64}`)).toStrictEqual(neither);
    expect(parseQueueRequest(`${base64}####`)).toStrictEqual(neither);
  });

  it("names every failing field in the reason", () => {
    expect(parseQueueRequest({ itwinId: "nope", action: "add" })).toMatchObject({
      ok: false,
      reason: "The message fails the owner-change schema: itwinId, email",
    });
  });
});

describe("messageText", () => {
  it("keeps a message as it arrived, for the poison queue", () => {
    expect(messageText("not json")).toBe("not json");
    expect(messageText(Buffer.from("bytes ü"))).toBe("bytes ü");
    expect(messageText({ a: 1 })).toBe('{"a":1}');
    expect(messageText(undefined)).toBe("undefined");
  });
});
