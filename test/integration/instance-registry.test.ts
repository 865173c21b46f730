import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InstanceRegistry } from "../../src/storage/instance-registry.ts";
import { type AzuriteInstance, startAzurite } from "../support/azurite.ts";
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
});
