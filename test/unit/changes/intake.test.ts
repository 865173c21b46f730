import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { parseHttpSubmission, parseQueueRequest } from "../../../src/changes/intake.ts";

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
});
