import { describe, expect, it } from "vitest";
import {
  filterHash,
  makeCursor,
  nextLink,
  parseListRequest,
  planFor,
  readCursor,
  rowKeyRange,
} from "../../../../src/changes/query/filters.ts";
import { createdAtOfRowKey, indexRowKey, invertedTime } from "../../../../src/changes/query/keys.ts";

const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const query = (text: string) => parseListRequest(new URLSearchParams(text));

describe("list query parameters", () => {
  it("normalises what it accepts: the iTwin id's case, the address's spelling, a status list, the limit", () => {
    const parsed = query(
      `itwinId=${ITWIN.toUpperCase()}&email=Bob@Corp.Example&status=held,queued,held&action=remove&limit=7&code=key`,
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        filters: { itwinId: ITWIN, email: "bob@corp.example", status: ["held", "queued"], action: "remove" },
        limit: 7,
      },
    });
    expect(query("")).toEqual({ ok: true, value: { filters: {}, limit: 50 } });
  });

  it("names each bad field, an unknown or repeated parameter, and a range that ends before it starts", () => {
    const paths = (text: string) => {
      const parsed = query(text);
      return parsed.ok ? [] : parsed.errors.map((error) => error.path);
    };
    expect(paths("since=yesterday")).toEqual(["since"]);
    expect(paths("until=2026-12-01T00:00:00")).toEqual(["until"]);
    expect(paths("itwinId=nope&email=x")).toEqual(["itwinId", "email"]);
    expect(paths("status=held,lost")).toEqual(["status[1]"]);
    expect(paths("limit=0")).toEqual(["limit"]);
    expect(paths("limit=201")).toEqual(["limit"]);
    expect(paths("limit=2.5")).toEqual(["limit"]);
    expect(paths("action=delete")).toEqual(["action"]);
    expect(paths("stauts=held")).toEqual(["stauts"]);
    expect(paths("status=held&status=queued")).toEqual(["status"]);
    expect(paths("since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z")).toEqual(["since"]);
  });
});

describe("the cursor", () => {
  const filters = { email: "bob@corp.example", status: ["failed" as const] };
  const rowKey = indexRowKey("2026-11-30T10:00:00.000Z", "r-abcdefgh");

  it("round-trips the position for the same filters, whatever the limit", () => {
    const cursor = makeCursor(filters, rowKey);
    expect(readCursor(cursor, filters)).toEqual({ ok: true, value: rowKey });
    const parsed = query(`email=bob@corp.example&status=failed&limit=3&cursor=${cursor}`);
    expect(parsed).toMatchObject({ ok: true, value: { after: rowKey, limit: 3 } });
  });

  it("does not show the address it was made for", () => {
    expect(Buffer.from(makeCursor(filters, rowKey), "base64url").toString()).not.toContain("bob");
  });

  it("is refused with other filters, and when it was not made here", () => {
    const cursor = makeCursor(filters, rowKey);
    const other = readCursor(cursor, { ...filters, status: ["succeeded"] });
    expect(other).toMatchObject({
      ok: false,
      errors: [{ path: "cursor", message: expect.stringMatching(/other filters/) }],
    });
    expect(filterHash(filters)).not.toBe(filterHash({ email: "bob@corp.example" }));
    const tampered = Buffer.from(
      JSON.stringify({ v: 1, q: filterHash(filters), rk: "x' or 1 eq 1" }),
    ).toString("base64url");
    for (const bad of [tampered, "not-base64-json", Buffer.from("[]").toString("base64url")]) {
      expect(readCursor(bad, filters)).toMatchObject({ ok: false, errors: [{ path: "cursor" }] });
    }
  });

  it("keeps the caller's filters in the next link and replaces the old cursor", () => {
    const params = new URLSearchParams("status=held&limit=2&cursor=old&code=secret");
    expect(nextLink("/api/owner-changes", params, "new")).toBe(
      "/api/owner-changes?status=held&limit=2&cursor=new",
    );
  });
});

describe("index keys", () => {
  it("sort a later change first and give back its creation time", () => {
    const earlier = indexRowKey("2026-11-30T10:00:00.000Z", "r-bbbbbbbb");
    const later = indexRowKey("2026-11-30T10:00:00.001Z", "r-aaaaaaaa");
    expect(later < earlier).toBe(true);
    expect(createdAtOfRowKey(later)).toBe(Date.parse("2026-11-30T10:00:00.001Z"));
    expect(invertedTime(0)).toBe("9999999999999");
  });

  it("bound a time range with since inclusive and until exclusive", () => {
    const since = Date.parse("2026-11-30T10:00:00.000Z");
    const until = Date.parse("2026-11-30T11:00:00.000Z");
    const { above, below } = rowKeyRange({ since, until });
    const inside = (at: string) => {
      const key = indexRowKey(at, "r-zzzzzzzz_-");
      return key > above && key < below;
    };
    expect(inside("2026-11-30T10:00:00.000Z")).toBe(true);
    expect(inside("2026-11-30T10:59:59.999Z")).toBe(true);
    expect(inside("2026-11-30T11:00:00.000Z")).toBe(false);
    expect(inside("2026-11-30T09:59:59.999Z")).toBe(false);
    expect(rowKeyRange({})).toEqual({ above: "", below: "~" });
  });
});

describe("choosing partitions", () => {
  const partitions = (filters: Parameters<typeof planFor>[0]) =>
    planFor(filters).sources.map((s) => s.partitionKey);

  it("reads live statuses from their own small partitions, filtered by iTwin and person there", () => {
    const plan = planFor({ status: ["held", "queued"], itwinId: ITWIN, source: "hr" });
    expect(plan.statuses).toBeUndefined();
    expect(plan.sources).toEqual([
      { partitionKey: "ix-status|held", status: "held", where: { itwinId: ITWIN, source: "hr" } },
      // A queued change is found by its pending row, which accept writes anyway.
      {
        partitionKey: "pending-changes",
        pending: true,
        status: "queued",
        where: { itwinId: ITWIN, source: "hr" },
      },
    ]);
  });

  it("prefers an iTwin's partition, then a person's, each with the changes no worker has taken yet", () => {
    expect(planFor({ itwinId: ITWIN, email: "bob@corp.example", action: "add" }).sources).toEqual([
      { partitionKey: `ix-itwin|${ITWIN}`, where: { action: "add", email: "bob@corp.example" } },
      {
        partitionKey: "pending-changes",
        pending: true,
        status: "queued",
        where: { action: "add", itwinId: ITWIN, email: "bob@corp.example" },
      },
    ]);
    expect(partitions({ email: "bob@corp.example" })).toEqual([
      "ix-email|bob@corp.example",
      "pending-changes",
    ]);
  });

  it("checks finished statuses on the documents when an iTwin or person is asked for", () => {
    const plan = planFor({ email: "bob@corp.example", status: ["failed", "succeeded"] });
    expect(plan.sources.map((s) => s.partitionKey)).toEqual(["ix-email|bob@corp.example"]);
    expect(plan.statuses).toEqual(["failed", "succeeded"]);
    expect(planFor({ email: "bob@corp.example", status: ["failed", "queued"] }).sources).toHaveLength(2);
  });

  it("reads the asked statuses' partitions, or all six, when nobody in particular is asked for", () => {
    expect(partitions({ status: ["failed"] })).toEqual(["ix-status|failed"]);
    expect(partitions({ action: "remove" })).toHaveLength(6);
  });
});
