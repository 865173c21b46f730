import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { REQUEST_ID_PATTERN } from "../../src/changes/ids.ts";
import type { Status, StatusDocument } from "../../src/changes/model.ts";
import type { Filters } from "../../src/changes/query/filters.ts";
import { indexRowKey } from "../../src/changes/query/keys.ts";
import { ChangeQueries, type ListedChange } from "../../src/changes/query/reader.ts";
import { summarize } from "../../src/changes/query/summary.ts";
import { type TransitionPatch, transition } from "../../src/changes/status.ts";
import { TableStatusStore } from "../../src/changes/status-store.ts";
import { queuedDoc } from "../support/fixtures.ts";

/**
 * The query API's index rows and reads in a real (azurite) table: what accept and the status
 * transitions write, and what the list and the summary read back from it.
 */

let azurite: AzuriteInstance;
let table: TableClient;
let store: TableStatusStore;
let queries: ChangeQueries;

const A = "5e3b1a7e-8c1d-4f3a-9b2e-00000000000a";
const B = "5e3b1a7e-8c1d-4f3a-9b2e-00000000000b";
const BASE = Date.parse("2026-11-30T10:00:00.000Z");
const minute = (i: number) => new Date(BASE + i * 60_000).toISOString();
const idOf = (i: number) => `r-query-${String(i).padStart(4, "0")}`;

/** Change i: iTwin A when even; bob's when i % 3 = 0; source hr before 6; a removal when i % 4 = 3. */
function change(i: number): StatusDocument {
  return queuedDoc(
    {
      id: idOf(i),
      itwinId: i % 2 === 0 ? A : B,
      email: i % 3 === 0 ? "bob@corp.example" : "ann@corp.example",
      source: i < 6 ? "hr" : "tickets",
      action: i % 4 === 3 ? "remove" : "add",
    },
    minute(i),
  );
}

async function move(i: number, to: Status, patch: TransitionPatch = {}): Promise<void> {
  const stored = await store.get(idOf(i));
  if (stored === undefined) throw new Error(`no ${idOf(i)}`);
  const next = transition(stored.doc, to, new Date(BASE + 3_600_000), patch);
  await store.replace(next, stored.fingerprint, stored.etag);
}

/** Every page of a query, with the page sizes, bounded. */
async function allPages(filters: Filters, limit: number, reader = queries) {
  const items: ListedChange[] = [];
  const sizes: number[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const result = await reader.list(filters, limit, after);
    items.push(...result.items);
    sizes.push(result.items.length);
    after = result.after;
    if (after === undefined) return { items, sizes };
  }
  throw new Error("more than 50 pages");
}

const ids = async (filters: Filters, limit = 50) =>
  (await allPages(filters, limit)).items.map((item) => Number(item.id.slice(8)));

beforeAll(async () => {
  azurite = await startAzurite();
  table = TableClient.fromConnectionString(azurite.connectionString, "QueryIndex", {
    allowInsecureConnection: true,
  });
  await table.createTable();
  store = new TableStatusStore(table);
  queries = new ChangeQueries(table, Date.now);
  const created = await store.createMany(
    Array.from({ length: 12 }, (_, i) => ({ doc: change(i), fingerprint: "f" })),
  );
  expect(created.every((result) => result.created)).toBe(true);
  for (let i = 0; i <= 8; i++) await move(i, "processing");
  for (let i = 0; i <= 5; i++) {
    await move(i, "succeeded", i === 2 ? { outcome: "added", rateLimitRetries: 2 } : { outcome: "added" });
  }
  await move(6, "held");
  await move(7, "failed", { error: { code: "X", message: "x" } });
  await move(8, "queued");
});
afterAll(async () => {
  await azurite?.close();
});

describe("listing", () => {
  it("pages newest first with a small limit, each item with its current status", async () => {
    const { items, sizes } = await allPages({}, 5);
    expect(sizes).toEqual([5, 5, 2]);
    expect(items.map((item) => item.id)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map(idOf));
    expect(items.find((item) => item.id === idOf(2))).toMatchObject({
      status: "succeeded",
      outcome: "added",
      itwinId: A,
      email: "ann@corp.example",
      action: "add",
      source: "hr",
      via: "http",
      dryRun: false,
      createdAt: minute(2),
      updatedAt: new Date(BASE + 3_600_000).toISOString(),
    });
    expect(items.find((item) => item.id === idOf(6))?.status).toBe("held");
  });

  it("filters by iTwin and by person, including changes no worker has taken yet", async () => {
    expect(await ids({ itwinId: A }, 2)).toEqual([10, 8, 6, 4, 2, 0]);
    expect(await ids({ email: "bob@corp.example" })).toEqual([9, 6, 3, 0]);
    expect(await ids({ itwinId: B, email: "bob@corp.example" })).toEqual([9, 3]);
  });

  it("filters by status, one or several, alone or with an iTwin or person", async () => {
    expect(await ids({ status: ["held"] })).toEqual([6]);
    expect(await ids({ status: ["queued"] })).toEqual([11, 10, 9, 8]);
    expect(await ids({ status: ["failed", "succeeded"] }, 3)).toEqual([7, 5, 4, 3, 2, 1, 0]);
    expect(await ids({ status: ["queued", "held"], email: "bob@corp.example" })).toEqual([9, 6]);
    expect(await ids({ itwinId: A, status: ["succeeded"] })).toEqual([4, 2, 0]);
  });

  it("filters by source and action, and by since (inclusive) and until (exclusive)", async () => {
    expect(await ids({ source: "tickets" })).toEqual([11, 10, 9, 8, 7, 6]);
    expect(await ids({ action: "remove" })).toEqual([11, 7, 3]);
    expect(await ids({ since: BASE + 3 * 60_000, until: BASE + 6 * 60_000 })).toEqual([5, 4, 3]);
    expect(await ids({ email: "ann@corp.example", since: BASE + 60_000, until: BASE + 8 * 60_000 })).toEqual([
      7, 5, 4, 2, 1,
    ]);
  });

  it("ends a page early with a cursor when it has examined its share of rows, and finishes later", async () => {
    const bounded = new ChangeQueries(table, Date.now, 4);
    const { items, sizes } = await allPages({ itwinId: A, status: ["failed"] }, 50, bounded);
    expect(items).toEqual([]);
    expect(sizes.length).toBeGreaterThan(1);
    expect((await allPages({ itwinId: B, status: ["failed"] }, 50, bounded)).items.map((i) => i.id)).toEqual([
      idOf(7),
    ]);
    // The pending rows are read whole and do not use up the bound: more of them than it still page on.
    const queued = await allPages({ status: ["queued"] }, 50, bounded);
    expect(queued.items.map((i) => i.id)).toEqual([11, 10, 9, 8].map(idOf));
  });
});

describe("index rows follow the status", () => {
  it("shows a change under its new status once it moves, and never under a stale row's", async () => {
    await store.create(change(12), "f");
    expect(await ids({ status: ["queued"] })).toContain(12);
    await move(12, "processing");
    expect(await ids({ status: ["queued"] })).not.toContain(12);
    expect(await ids({ status: ["processing"] })).toEqual([12]);
    expect((await queries.list({ itwinId: A }, 1)).items).toMatchObject([
      { id: idOf(12), status: "processing" },
    ]);

    // A row left behind under `held` (a crash after the document moved on) is checked, then cleaned.
    const stale = {
      partitionKey: "ix-status|held",
      rowKey: indexRowKey(minute(0), idOf(0)),
      itwinId: A,
      email: "bob@corp.example",
      action: "add",
      via: "http",
      dryRun: false,
      createdAt: minute(0),
    };
    await table.upsertEntity(stale, "Replace");
    expect(await ids({ status: ["held"] })).toEqual([6]);
    await table.getEntity(stale.partitionKey, stale.rowKey);
    const later = new ChangeQueries(table, () => Date.now() + 120_000);
    expect((await later.list({ status: ["held"] }, 50)).items.map((item) => item.id)).toEqual([idOf(6)]);
    await expect(table.getEntity(stale.partitionKey, stale.rowKey)).rejects.toMatchObject({
      statusCode: 404,
    });
  });
});

describe("the summary", () => {
  it("counts the range by current status, outcome and 429 retries, once per change", async () => {
    await table.upsertEntity(
      { partitionKey: "ix-status|processing", rowKey: indexRowKey(minute(1), idOf(1)), createdAt: minute(1) },
      "Replace",
    );
    const range = { since: BASE, until: BASE + 12 * 60_000, bucket: "hour" as const };
    const summary = summarize(range, await queries.countable(range.since, range.until));
    expect(summary).toMatchObject({
      total: 12,
      byStatus: { succeeded: 6, held: 1, failed: 1, queued: 4, processing: 0, rejected: 0 },
      byOutcome: { added: 6, removed: 0 },
      rateLimitRetries: 2,
      buckets: [{ start: minute(0), end: minute(12), total: 12 }],
    });
    const part = { since: BASE + 6 * 60_000, until: BASE + 8 * 60_000 };
    expect(summarize(part, await queries.countable(part.since, part.until))).toMatchObject({
      total: 2,
      byStatus: { held: 1, failed: 1 },
    });
  });
});

describe("a batch's records", () => {
  it("keeps each change's own result for new ids, a repeat of a stored one and an id twice in the batch", async () => {
    const fresh = (i: number) => ({ doc: change(i), fingerprint: "f" });
    const results = await store.createMany([
      fresh(20),
      fresh(21),
      fresh(3),
      fresh(21),
      { doc: change(22), fingerprint: "g" },
    ]);
    expect(results.map((result) => result.created)).toEqual([true, true, false, false, true]);
    const repeat = results[2];
    expect(repeat?.created === false && repeat.existing.doc.status).toBe("succeeded");
    expect(await ids({ status: ["queued"], since: BASE + 20 * 60_000 })).toEqual([22, 21, 20]);
    // The repeat of change 3 wrote no queued row for it: it stays listed only as succeeded.
    expect(await ids({ status: ["queued"], source: "hr" })).toEqual([]);
    const pending = (await store.listPending(new Date(Date.now() + 60_000), 1000)).map((p) => p.id);
    expect(pending).toEqual(expect.arrayContaining([idOf(20), idOf(21), idOf(22)]));
    // They carry the index columns now; crash recovery still reads request ids from them.
    expect(pending.filter((id) => !REQUEST_ID_PATTERN.test(id))).toEqual([]);
  });

  it("lists no finished change as pending again when it is sent once more, alone or in a batch", async () => {
    const single = await store.create(change(4), "f");
    const batch = await store.createMany([{ doc: change(5), fingerprint: "f" }]);
    expect([single.created, batch[0]?.created]).toEqual([false, false]);
    const pending = (await store.listPending(new Date(Date.now() + 60_000), 1000)).map((p) => p.id);
    expect(pending).not.toContain(idOf(4));
    expect(pending).not.toContain(idOf(5));
    const range = { since: BASE, until: BASE + 12 * 60_000 };
    expect(summarize(range, await queries.countable(range.since, range.until))).toMatchObject({
      total: 12,
      byStatus: { succeeded: 6, queued: 4 },
    });
  });
});
