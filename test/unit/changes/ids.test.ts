import { describe, expect, it } from "vitest";
import { payloadFingerprint, REQUEST_ID_PATTERN, requestIdFor } from "../../../src/changes/ids.ts";
import type { OwnerChange } from "../../../src/changes/model.ts";

const change: OwnerChange = {
  itwinId: "5e3b1a7e-8c1d-4f3a-9b2e-000000000001",
  email: "a@corp.example",
  action: "add",
  dryRun: false,
};

describe("request ids", () => {
  it("derives the same id from the same key and source, and a different one across sources", () => {
    expect(requestIdFor("HR-4711", "workday")).toBe(requestIdFor("HR-4711", "workday"));
    expect(requestIdFor("HR-4711", "workday")).not.toBe(requestIdFor("HR-4711", "servicenow"));
    expect(requestIdFor(undefined, undefined)).not.toBe(requestIdFor(undefined, undefined));
  });
  it("only hands out ids that fit the pattern the status route accepts", () => {
    for (const id of [requestIdFor("k/with#odd?chars", undefined), requestIdFor(undefined, "x")]) {
      expect(id).toMatch(REQUEST_ID_PATTERN);
    }
    expect(REQUEST_ID_PATTERN.test("../../etc")).toBe(false);
  });
});

describe("payloadFingerprint", () => {
  it("ignores wording but not the effect", () => {
    expect(payloadFingerprint({ ...change, reason: "a" })).toBe(
      payloadFingerprint({ ...change, reason: "b" }),
    );
    expect(payloadFingerprint(change)).not.toBe(payloadFingerprint({ ...change, action: "remove" }));
    expect(payloadFingerprint(change)).not.toBe(payloadFingerprint({ ...change, dryRun: true }));
  });
});
