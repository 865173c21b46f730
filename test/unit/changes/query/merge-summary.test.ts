import { describe, expect, it } from "vitest";
import { keepChange, mergeRound } from "../../../../src/changes/query/merge.ts";
import { bucketEdges, summarize, summaryRange } from "../../../../src/changes/query/summary.ts";

const rows = (...keys: string[]) => keys.map((rowKey) => ({ rowKey }));

describe("merging partitions", () => {
  it("emits only up to the first partition that may hold more, in RowKey order, and resumes there", () => {
    const round = mergeRound(
      [
        { rows: rows("a", "d", "f"), more: true },
        { rows: rows("b", "c"), more: false },
        { rows: rows("e", "g"), more: true },
      ],
      "",
    );
    expect(round.rows.map(({ row, source }) => `${row.rowKey}${source}`)).toEqual([
      "a0",
      "b1",
      "c1",
      "d0",
      "e2",
      "f0",
    ]);
    expect(round.resume).toBe("f");
  });

  it("ends when every partition is exhausted, keeping a change found in two partitions twice", () => {
    const round = mergeRound(
      [
        { rows: rows("a", "b"), more: false },
        { rows: rows("b"), more: false },
      ],
      "",
    );
    expect(round.rows.map(({ row }) => row.rowKey)).toEqual(["a", "b", "b"]);
    expect(round.resume).toBeUndefined();
  });

  it("makes no progress past a partition that answered nothing yet but has more", () => {
    const round = mergeRound(
      [
        { rows: [], more: true },
        { rows: rows("m"), more: false },
      ],
      "k",
    );
    expect(round).toEqual({ rows: [], resume: "k" });
  });
});

describe("keeping a change", () => {
  it("keeps a status row only while the document has that status", () => {
    expect(keepChange([{ status: "held" }], "held", undefined)).toBe(true);
    expect(keepChange([{ status: "held" }], "queued", undefined)).toBe(false);
    expect(keepChange([{ status: "held" }, { status: "queued" }], "queued", undefined)).toBe(true);
  });

  it("keeps an iTwin's or person's row whatever the status, unless other statuses were asked for", () => {
    expect(keepChange([{}], "failed", undefined)).toBe(true);
    expect(keepChange([{}], "failed", ["succeeded"])).toBe(false);
    expect(keepChange([{}], undefined, undefined)).toBe(false);
  });
});

const at = (iso: string) => Date.parse(iso);

describe("the summary's range and buckets", () => {
  it("defaults to the last 24 hours and refuses more than 31 days or an empty range", () => {
    const now = at("2026-12-01T09:30:00Z");
    expect(summaryRange({}, now)).toEqual({ ok: true, value: { since: now - 86_400_000, until: now } });
    expect(summaryRange({ since: "2026-10-01T00:00:00Z" }, now)).toMatchObject({
      ok: false,
      errors: [{ path: "since" }],
    });
    expect(summaryRange({ since: "2026-12-01T09:30:00Z" }, now)).toMatchObject({ ok: false });
    expect(
      summaryRange({ since: "2026-11-01T00:00:00Z", until: "2026-12-02T00:00:00Z", bucket: "day" }, now),
    ).toEqual({
      ok: true,
      value: { since: at("2026-11-01T00:00:00Z"), until: at("2026-12-02T00:00:00Z"), bucket: "day" },
    });
  });

  it("cuts buckets at UTC boundaries and at the range's ends", () => {
    expect(bucketEdges(at("2026-12-01T10:30:00Z"), at("2026-12-01T12:00:00Z"), "hour")).toEqual([
      at("2026-12-01T10:30:00Z"),
      at("2026-12-01T11:00:00Z"),
      at("2026-12-01T12:00:00Z"),
    ]);
    expect(bucketEdges(at("2026-12-01T00:00:00Z"), at("2026-12-03T00:00:00Z"), "day")).toHaveLength(3);
    expect(bucketEdges(at("2026-12-01T10:10:00Z"), at("2026-12-01T10:20:00Z"), "hour")).toHaveLength(2);
  });

  it("counts by status, outcome and 429 retries, in every bucket, leaving out what is outside the range", () => {
    const range = {
      since: at("2026-12-01T10:30:00Z"),
      until: at("2026-12-01T12:30:00Z"),
      bucket: "hour" as const,
    };
    const summary = summarize(range, [
      { createdAt: at("2026-12-01T10:30:00Z"), status: "succeeded", outcome: "added", rateLimitRetries: 2 },
      { createdAt: at("2026-12-01T11:59:59Z"), status: "failed", rateLimitRetries: 1 },
      { createdAt: at("2026-12-01T12:00:00Z"), status: "succeeded", outcome: "removed", rateLimitRetries: 0 },
      { createdAt: at("2026-12-01T12:30:00Z"), status: "held", rateLimitRetries: 5 },
    ]);
    expect(summary).toMatchObject({
      since: "2026-12-01T10:30:00.000Z",
      until: "2026-12-01T12:30:00.000Z",
      total: 3,
      byStatus: { succeeded: 2, failed: 1, held: 0, queued: 0, processing: 0, rejected: 0 },
      byOutcome: { added: 1, removed: 1, invited: 0 },
      rateLimitRetries: 3,
    });
    expect(
      summary.buckets?.map((b) => [b.start.slice(11, 16), b.end.slice(11, 16), b.total, b.rateLimitRetries]),
    ).toEqual([
      ["10:30", "11:00", 1, 2],
      ["11:00", "12:00", 1, 1],
      ["12:00", "12:30", 1, 0],
    ]);
    expect(summarize({ since: range.since, until: range.until }, []).buckets).toBeUndefined();
  });
});
