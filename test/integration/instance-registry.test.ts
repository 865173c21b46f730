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
  it("admits a lone process at once and a second one from a later window, and both count each other", async () => {
    const clock = new FakeClock();
    const now = clock.now();
    const a = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "a" });
    const b = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "b" });
    expect(a.membersFor(now).members).toEqual([]);
    await a.beat();
    expect(a.membersFor(now).members).toEqual(["a"]);
    await b.beat();
    // b joined with a part of zero: admitted one heartbeat and a margin later, when a has counted it.
    expect(b.membersFor(now).members).toEqual(["a"]);
    await a.beat();
    expect(a.membersFor(now).members).toEqual(["a"]);
    expect(a.membersFor(now + 2000).members).toEqual(["a", "b"]);
    expect(b.membersFor(now + 2000).members).toEqual(["a", "b"]);
  });

  it("forgets a process that stopped beating only after its own beats have been healthy for a stale limit", async () => {
    const clock = new FakeClock(1_800_000_000_000);
    const a = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "g" });
    const b = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "h" });
    await a.beat();
    await b.beat();
    await a.beat();
    const admitted = (registry: InstanceRegistry) => registry.membersFor(clock.now()).members;
    clock.advance(2000);
    expect(admitted(a)).toEqual(["g", "h"]);
    // h stops; g beats every second from 3 s on. The 3 s gap before broke g's run of healthy beats, so
    // h goes only once g has beaten healthily for the stale limit (3 s) again, at 6 s.
    const seen: number[] = [];
    for (let beat = 0; beat < 6; beat++) {
      clock.advance(1000);
      await a.beat();
      seen.push(admitted(a).length);
    }
    expect(seen).toEqual([2, 2, 2, 1, 1, 1]);
  });

  it("removes its row on stop", async () => {
    const clock = new FakeClock(2_000_000_000_000);
    const c = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "c" });
    const d = new InstanceRegistry(table, { clock, heartbeatMs: 1000, instanceId: "d" });
    await c.beat();
    await d.beat();
    await d.beat();
    expect(d.membersFor(clock.now() + 5000).members).toEqual(["c", "d"]);
    await c.stop();
    await d.beat();
    expect(d.membersFor(clock.now() + 5000).members).toEqual(["d"]);
  });

  it("publishes the budget its gate learned, and seeds a new process's gate with it", async () => {
    const clock = new FakeClock(2_200_000_000_000);
    const budget = { limit: 50, windowMs: 1000, resetAt: clock.now() + 400 };
    const seeded: unknown[] = [];
    const k = new InstanceRegistry(table, {
      clock,
      instanceId: "k",
      budget: { learned: () => budget, seed: () => undefined },
    });
    const l = new InstanceRegistry(table, {
      clock,
      instanceId: "l",
      budget: { learned: () => undefined, seed: (value) => seeded.push(value) },
    });
    await k.beat();
    await l.beat();
    expect(seeded).toEqual([budget]);
    await k.stop();
    await l.stop();
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
