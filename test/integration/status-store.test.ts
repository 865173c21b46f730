import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { transition } from "../../src/changes/status.ts";
import { TableStatusStore } from "../../src/changes/status-store.ts";
import { CoordinationStore } from "../../src/coordination/coordination-store.ts";
import { TableRows } from "../../src/storage/rows.ts";
import { queuedDoc } from "../support/fixtures.ts";

/** The status store's coordination rows in a real (azurite) table. */
let azurite: AzuriteInstance;
let store: TableStatusStore;
let coordination: CoordinationStore;

beforeAll(async () => {
  azurite = await startAzurite();
  const table = TableClient.fromConnectionString(azurite.connectionString, "StatusStore", {
    allowInsecureConnection: true,
  });
  await table.createTable();
  store = new TableStatusStore(table);
  coordination = new CoordinationStore(new TableRows(table));
});
afterAll(async () => {
  await azurite?.close();
});

const newDoc = (id: string) => queuedDoc({ id }, new Date().toISOString());

const pendingIds = async () =>
  (await store.listPending(new Date(Date.now() + 60_000), 1000)).map((change) => change.id);

describe("the pending index crash recovery reads", () => {
  it("lists a change from its accept until it is terminal, and not before its rows are old enough", async () => {
    const created = await store.create(newDoc("r-pending-1"), "f");
    if (!created.created) throw new Error("expected a new document");
    expect(await pendingIds()).toContain("r-pending-1");
    expect((await store.listPending(new Date(Date.now() - 60_000), 1000)).map((c) => c.id)).not.toContain(
      "r-pending-1",
    );

    const stored = await store.get("r-pending-1");
    if (stored === undefined) throw new Error("missing");
    const claimed = transition(stored.doc, "processing", new Date());
    const etag = await store.replace(claimed, "f", stored.etag);
    expect(await pendingIds()).toContain("r-pending-1");
    await store.replace(transition(claimed, "succeeded", new Date(), { outcome: "added" }), "f", etag);
    expect(await pendingIds()).not.toContain("r-pending-1");
  });

  it("lists a repeated accept again, so a change whose first accept half-failed is still covered", async () => {
    await store.create(newDoc("r-pending-2"), "f");
    await store.forgetPending("r-pending-2");
    const again = await store.create(newDoc("r-pending-2"), "f");
    expect(again.created).toBe(false);
    expect(await pendingIds()).toContain("r-pending-2");
  });
});

describe("the pending index under repeats", () => {
  it("keeps a pending row's time on a repeated accept, so retrying senders cannot postpone recovery", async () => {
    await store.create(newDoc("r-pending-3"), "f");
    const listedAt = async () =>
      (await store.listPending(new Date(Date.now() + 60_000), 1000)).find((c) => c.id === "r-pending-3")
        ?.since;
    const first = await listedAt();
    expect(first).toBeTypeOf("number");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await store.create(newDoc("r-pending-3"), "f")).created).toBe(false);
    expect(await listedAt()).toBe(first);
  });
});

describe("leases", () => {
  const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-00000000000a";

  it("keeps the generation when a released lease is taken, bumps it when a holder reported a change", async () => {
    expect(await coordination.acquireLease(ITWIN, "removal", "r-a", 1000, 120_000)).toBe(0);
    expect(await coordination.acquireLease(ITWIN, "removal", "r-b", 2000, 120_000)).toBeUndefined();
    await coordination.releaseLease(ITWIN, "removal", "r-a", false);
    expect(await coordination.acquireLease(ITWIN, "removal", "r-b", 2000, 120_000)).toBe(0);
    await coordination.releaseLease(ITWIN, "removal", "r-b", true);
    expect(await coordination.acquireLease(ITWIN, "removal", "r-c", 3000, 120_000)).toBe(1);
    await coordination.releaseLease(ITWIN, "removal", "r-c", false);
  });

  it("bumps the generation when a lease its holder never released is taken over: the holder may have changed things", async () => {
    const other = `${ITWIN.slice(0, -1)}b`;
    expect(await coordination.acquireLease(other, "removal", "r-dead", 1000, 120_000)).toBe(0);
    // Expired: another change takes it over.
    expect(await coordination.acquireLease(other, "removal", "r-next", 121_001, 120_000)).toBe(1);
    // Re-driven after a crash: the same holder takes its own unreleased lease back, also a takeover.
    expect(await coordination.acquireLease(other, "removal", "r-next", 130_000, 120_000)).toBe(2);
  });

  it("hands an unexpired lease over only from the holder the caller names as finished", async () => {
    const third = `${ITWIN.slice(0, -1)}c`;
    expect(await coordination.acquireLease(third, "removal", "r-done", 1000, 120_000)).toBe(0);
    expect(await coordination.leaseHolder(third, "removal")).toBe("r-done");
    // Naming another holder changes nothing: the lease is not that one's to give.
    expect(
      await coordination.acquireLease(third, "removal", "r-next", 2000, 120_000, "r-other"),
    ).toBeUndefined();
    expect(await coordination.acquireLease(third, "removal", "r-next", 2000, 120_000, "r-done")).toBe(1);
    expect(await coordination.leaseHolder(third, "removal")).toBe("r-next");
  });
});
