import { describe, expect, it } from "vitest";
import { CoordinationStore } from "../../../src/coordination/coordination-store.ts";
import { exclusive, personScope, removalScope, TurnBusyError } from "../../../src/worker/exclusive.ts";
import { KeyedLock } from "../../../src/worker/keyed-lock.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { ITWIN_ID, queuedDoc } from "../../support/fixtures.ts";
import { MemoryRows, MemoryStatusStore } from "../../support/memory-stores.ts";

/** One scope name → the in-process lock and the cross-instance lease, and what a turn reports. */

function setup() {
  const clock = new FakeClock(Date.parse("2026-11-23T12:00:00Z"));
  const coordination = new CoordinationStore(new MemoryRows());
  const store = new MemoryStatusStore();
  return { clock, coordination, store, deps: { locks: new KeyedLock(), coordination, store, clock } };
}

describe("exclusive", () => {
  it("names one scope per person and iTwin, with the email encoded for a row key", () => {
    expect(personScope(ITWIN_ID, "a/b#c@corp.example").name).toBe("subject|a%2Fb%23c%40corp.example");
    expect(removalScope(ITWIN_ID).name).toBe("removal");
  });

  it("throws a retry that does not count as an attempt while another instance holds the lease", async () => {
    const { clock, coordination, deps } = setup();
    await coordination.acquireLease(ITWIN_ID, "removal", "r-other", clock.now(), 60_000);
    const error = await exclusive(removalScope(ITWIN_ID), "r-mine", true, deps, async () => "ran").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TurnBusyError);
    expect(error).toMatchObject({ code: "Busy", countsAsAttempt: false, delayMs: 2_000 });
  });

  it("takes over at once a lease whose holder finished its change but died before releasing it", async () => {
    const { clock, coordination, store, deps } = setup();
    const at = new Date(clock.now()).toISOString();
    await coordination.acquireLease(ITWIN_ID, "removal", "r-dead", clock.now(), 120_000);
    store.put(queuedDoc({ id: "r-dead", status: "processing" }, at));
    const attempt = () =>
      exclusive(removalScope(ITWIN_ID), "r-next", true, deps, async (turn) => turn.generation);
    // Still working (as far as anyone can tell): its lease stands until it expires.
    await expect(attempt()).rejects.toBeInstanceOf(TurnBusyError);
    store.put(queuedDoc({ id: "r-dead", status: "succeeded", outcome: "removed" }, at));
    // Finished: the lease is taken over, and counted as a change the dead holder may not have reported.
    await expect(attempt()).resolves.toBe(1);
  });

  it("does not take over a lease whose holder has no status document", async () => {
    const { clock, coordination, deps } = setup();
    await coordination.acquireLease(ITWIN_ID, "removal", "r-unknown", clock.now(), 120_000);
    await expect(
      exclusive(removalScope(ITWIN_ID), "r-next", true, deps, async () => "ran"),
    ).rejects.toBeInstanceOf(TurnBusyError);
  });

  it("bumps the lease's generation only when the turn reports a change, and says so before release", async () => {
    const { deps } = setup();
    const scope = removalScope(ITWIN_ID);
    const seen = await exclusive(scope, "r-1", true, deps, async (turn) => {
      turn.reportChange();
      return { before: turn.generation, after: turn.generationAfter() };
    });
    expect(seen).toEqual({ before: 0, after: 1 });
    const next = await exclusive(scope, "r-2", true, deps, async (turn) => ({
      before: turn.generation,
      after: turn.generationAfter(),
    }));
    expect(next).toEqual({ before: 1, after: 1 });
  });

  it("releases the lease when the task fails, keeping a change it reported", async () => {
    const { deps } = setup();
    const scope = removalScope(ITWIN_ID);
    await expect(
      exclusive(scope, "r-1", true, deps, async (turn) => {
        turn.reportChange();
        throw new Error("recording failed");
      }),
    ).rejects.toThrow("recording failed");
    await expect(exclusive(scope, "r-2", true, deps, async (turn) => turn.generation)).resolves.toBe(1);
  });

  it("runs tasks of one scope in this process one after another, without a lease when asked", async () => {
    const { deps } = setup();
    const order: string[] = [];
    let releaseFirst = () => {};
    let firstStarted = () => {};
    const started = new Promise<void>((resolve) => {
      firstStarted = resolve;
    });
    const first = exclusive(personScope(ITWIN_ID, "a@corp.example"), "r-1", false, deps, async (turn) => {
      expect(turn.generation).toBeUndefined();
      order.push("first started");
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
        firstStarted();
      });
      order.push("first ended");
    });
    const second = exclusive(personScope(ITWIN_ID, "a@corp.example"), "r-2", false, deps, async () => {
      order.push("second started");
    });
    await started;
    expect(order).toEqual(["first started"]);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(["first started", "first ended", "second started"]);
  });
});
