import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { InstanceRegistry } from "../../src/coordination/instance-registry.ts";
import { WorkInProgress } from "../../src/worker/work-in-progress.ts";
import { FakeClock } from "../support/fake-clock.ts";

/** Heartbeat rows in a real (azurite) table; time is a fake clock, so staleness needs no waiting. */
let azurite: AzuriteInstance;
let table: TableClient;

beforeAll(async () => {
  azurite = await startAzurite();
  table = TableClient.fromConnectionString(azurite.connectionString, "Registry", {
    allowInsecureConnection: true,
  });
  await table.createTable();
});
afterAll(async () => {
  await azurite?.close();
});

describe("InstanceRegistry", () => {
  it("counts live processes and forgets one that stopped beating", async () => {
    const clock = new FakeClock();
    const a = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "a" });
    const b = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "b" });
    expect(a.peers()).toEqual({ count: 1, rank: 0 });
    await a.beat();
    await b.beat();
    await a.beat();
    expect(a.peers()).toEqual({ count: 2, rank: 0 });
    expect(b.peers()).toEqual({ count: 2, rank: 1 });

    clock.advance(3001);
    await a.beat();
    expect(a.peers()).toEqual({ count: 1, rank: 0 });
  });

  it("removes its row on stop", async () => {
    const clock = new FakeClock(2_000_000_000_000);
    const c = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "c" });
    const d = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "d" });
    await c.beat();
    await d.beat();
    await c.stop();
    await d.beat();
    expect(d.peers()).toEqual({ count: 1, rank: 0 });
  });

  it("publishes what each process is working on, for crash recovery to tell live claims from orphaned ones", async () => {
    const clock = new FakeClock(2_100_000_000_000);
    const work = new WorkInProgress();
    const e = new InstanceRegistry(table, {
      clock,
      heartbeatMs: 1000,
      instanceId: "e",
      working: () => work.ids(),
    });
    const silent = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "f" });
    let release = () => {};
    const running = work.track("r-1", () => new Promise<void>((resolve) => (release = resolve)));
    await e.beat();
    await silent.beat();
    let seen = await e.heartbeats();
    expect(seen.get("e")).toEqual({ lastSeen: clock.now(), working: new Set(["r-1"]) });
    expect(seen.get("f")).toEqual({ lastSeen: clock.now(), working: undefined });

    release();
    await running;
    clock.advance(1000);
    await e.beat();
    seen = await silent.heartbeats();
    expect(seen.get("e")).toEqual({ lastSeen: clock.now(), working: new Set() });
  });
});
