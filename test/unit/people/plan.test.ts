import { describe, expect, it } from "vitest";
import { fromRow, IDS_PER_COLUMN, toRow } from "../../../src/people/offboarding-store.ts";
import {
  childChange,
  childIdFor,
  isSameOffboarding,
  NOTHING_TO_REMOVE,
  offboardingIdFor,
  parseOffboardInput,
  planOffboarding,
} from "../../../src/people/plan.ts";

/** Planning an offboarding without I/O: the input rules, the parent, its children and their ids. */

const NOW = new Date("2026-11-23T12:00:00.000Z");
const A = "5e3b1a7e-8c1d-4f3a-9b2e-00000000000a";
const B = "5e3b1a7e-8c1d-4f3a-9b2e-00000000000b";
const known = (itwinId: string) => ({
  itwinId,
  evidence: "added" as const,
  requestId: "r-x",
  seenAt: NOW.toISOString(),
});

function valid(patch: Record<string, unknown> = {}) {
  const parsed = parseOffboardInput({
    email: " Lee@Corp.Example ",
    source: "workday",
    idempotencyKey: "leaver-77",
    correlationId: "c-1",
    via: "source",
    ...patch,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.input;
}

describe("parseOffboardInput", () => {
  it("spells the email as intake does and names every bad field", () => {
    expect(valid()).toMatchObject({ email: "lee@corp.example", dryRun: false });
    const bad = parseOffboardInput({
      email: "not-an-email",
      source: " ",
      reason: "x".repeat(501),
      occurredAt: "yesterday",
      correlationId: "c",
      via: "offboard",
    });
    expect(bad.ok ? [] : bad.errors.map((error) => error.path).sort()).toEqual([
      "email",
      "occurredAt",
      "reason",
      "source",
    ]);
  });
});

describe("planOffboarding", () => {
  it("plans one removal per known iTwin, once each, in id order, all at the offboarding's time", () => {
    const input = valid({ reason: "left the company", requestedBy: "hr-bot@corp.example" });
    const record = planOffboarding(input, [known(B), known(A), known(B)], "k-parent", NOW);
    expect(record).toMatchObject({ id: "k-parent", itwinIds: [A, B], occurredAt: NOW.toISOString() });
    expect(record.note).toBeUndefined();
    expect(childChange(record, A)).toEqual({
      itwinId: A,
      email: "lee@corp.example",
      action: "remove",
      source: "workday",
      reason: "left the company",
      requestedBy: "hr-bot@corp.example",
      occurredAt: NOW.toISOString(),
      dryRun: false,
    });
  });

  it("keeps the sender's occurredAt, in UTC, and says so when there is nothing to remove", () => {
    const record = planOffboarding(valid({ occurredAt: "2026-11-20T09:15:00+01:00" }), [], "k-p", NOW);
    expect(record).toMatchObject({ itwinIds: [], occurredAt: "2026-11-20T08:15:00.000Z" });
    expect(record.note).toBe(NOTHING_TO_REMOVE);
    expect(childChange({ ...record, itwinIds: [A] }, A).reason).toBe("offboarding k-p");
  });

  it("derives the same ids from the same key and source, and others from another", () => {
    const id = offboardingIdFor("leaver-77", "workday");
    expect(offboardingIdFor("leaver-77", "workday")).toBe(id);
    expect(offboardingIdFor("leaver-77", "okta")).not.toBe(id);
    expect(offboardingIdFor(undefined, "workday")).toMatch(/^r-/);
    const parent = { id, source: "workday" };
    expect(childIdFor(parent, A)).toBe(childIdFor(parent, A));
    expect(childIdFor(parent, A)).not.toBe(childIdFor(parent, B));
  });

  it("tells a repeat (another reason) from a key reused for another person or mode", () => {
    const record = planOffboarding(valid(), [known(A)], "k-p", NOW);
    expect(isSameOffboarding(record, valid({ reason: "reworded" }))).toBe(true);
    expect(isSameOffboarding(record, valid({ email: "kim@corp.example" }))).toBe(false);
    expect(isSameOffboarding(record, valid({ dryRun: true }))).toBe(false);
  });
});

describe("the parent's table row", () => {
  it("splits a long plan over columns under the 32 K character limit, and reads it back", () => {
    const ids = Array.from(
      { length: IDS_PER_COLUMN * 2 + 1 },
      (_, i) => `5e3b1a7e-8c1d-4f3a-9b2e-${String(i).padStart(12, "0")}`,
    );
    const record = { ...planOffboarding(valid(), [], "k-p", NOW), itwinIds: ids };
    delete record.note;
    const row = toRow(record);
    expect(row.columns).toBe(3);
    expect(row.itwins0?.length).toBeLessThan(32 * 1024);
    expect(row.itwins2).toBe(ids.at(-1));
    expect(fromRow(row)).toEqual(record);
    const empty = planOffboarding(valid(), [], "k-p", NOW);
    expect(fromRow(toRow(empty))).toEqual(empty);
  });

  it("keeps no credential a sender pasted into the reason, as status documents keep none", () => {
    const record = planOffboarding(valid({ reason: "see ?code=s3cr3t-function-key" }), [], "k-p", NOW);
    expect(toRow(record).document).not.toContain("s3cr3t-function-key");
  });
});
