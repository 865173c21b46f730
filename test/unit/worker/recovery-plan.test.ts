import { describe, expect, it } from "vitest";
import type { StatusDocument } from "../../../src/changes/model.ts";
import type { Heartbeat } from "../../../src/coordination/instance-registry.ts";
import { planRecovery, type RecoveryFacts } from "../../../src/worker/recovery-plan.ts";
import { queuedDoc } from "../../support/fixtures.ts";

const T0 = Date.parse("2026-11-30T12:00:00Z");
const AFTER = 60_000;
const at = (ms: number) => new Date(T0 + ms).toISOString();

const doc = (patch: Partial<StatusDocument> = {}) => queuedDoc({ id: "r-1", ...patch }, at(0));

function facts(now: number, patch: Partial<RecoveryFacts> = {}): RecoveryFacts {
  return {
    now: T0 + now,
    afterMs: AFTER,
    claimExpiryMs: 300_000,
    heartbeats: new Map(),
    oldestWaitingJobAt: undefined,
    maxRecoveries: 5,
    ...patch,
  };
}

/** w-1's heartbeat at `lastSeen` (ms after T0), working on `working` (undefined: it does not say). */
const beat = (lastSeen: number, working?: string[]): ReadonlyMap<string, Heartbeat> =>
  new Map([["w-1", { lastSeen: T0 + lastSeen, working: working && new Set(working) }]]);

const processing = (patch: Partial<StatusDocument> = {}) =>
  doc({ status: "processing", attempts: 1, claimedAt: at(0), claimedByInstance: "w-1", ...patch });

describe("planRecovery: a change whose worker died", () => {
  it("re-drives a claim whose worker has stopped beating for afterMs", () => {
    const decision = planRecovery(processing(), T0, facts(AFTER, { heartbeats: beat(0) }));
    expect(decision).toEqual({ kind: "redrive", reason: "its worker w-1 has been silent for 60 s" });
  });

  it("re-drives a claim whose worker is no longer registered at all", () => {
    expect(planRecovery(processing(), T0, facts(AFTER))).toMatchObject({
      kind: "redrive",
      reason: "its worker w-1 is gone",
    });
  });

  it("leaves a claim alone while its worker beats, however long the call takes (up to functionTimeout)", () => {
    const alive = beat(299_000, ["r-1"]);
    expect(planRecovery(processing(), T0, facts(299_000, { heartbeats: alive })).kind).toBe("wait");
  });

  it("leaves a fresh claim alone even if its worker's heartbeat is not visible yet", () => {
    expect(planRecovery(processing(), T0, facts(AFTER - 1)).kind).toBe("wait");
  });

  it("leaves a claim alone while its worker was seen less than afterMs ago", () => {
    expect(planRecovery(processing(), T0, facts(AFTER, { heartbeats: beat(1, ["r-1"]) })).kind).toBe("wait");
    expect(planRecovery(processing(), T0, facts(AFTER, { heartbeats: beat(1) })).kind).toBe("wait");
  });

  it("re-drives a claim older than functionTimeout even from a live worker: the host gave up on it", () => {
    const alive = beat(300_000, ["r-1"]);
    expect(planRecovery(processing(), T0, facts(300_000, { heartbeats: alive }))).toEqual({
      kind: "redrive",
      reason: "claimed 300 s ago, longer than an invocation may run",
    });
  });

  it("re-drives a claim its live worker no longer works on: the invocation ended without a status update", () => {
    const idle = beat(AFTER - 1, ["r-other"]);
    expect(planRecovery(processing(), T0, facts(AFTER, { heartbeats: idle }))).toEqual({
      kind: "redrive",
      reason: "its worker w-1 is alive but no longer working on it",
    });
    // Before afterMs the host's own redelivery (visibilityTimeout) should have taken it back.
    expect(planRecovery(processing(), T0, facts(AFTER - 1, { heartbeats: idle })).kind).toBe("wait");
  });

  it("judges a claim recorded without an instance by its age alone", () => {
    const old = processing({ claimedByInstance: undefined, claimedAt: undefined, updatedAt: at(0) });
    expect(planRecovery(old, T0, facts(299_999)).kind).toBe("wait");
    expect(planRecovery(old, T0, facts(300_000)).kind).toBe("redrive");
  });
});

describe("planRecovery: a queued change whose job may be lost", () => {
  it("re-drives a change overdue by afterMs when no job is waiting in the queue", () => {
    expect(planRecovery(doc(), T0, facts(AFTER))).toEqual({
      kind: "redrive",
      reason: "due 60 s ago and no job for it is waiting in the queue",
    });
  });

  it("waits while jobs as old as the change's are still waiting: it is in a backlog, not lost", () => {
    expect(planRecovery(doc(), T0, facts(10 * AFTER, { oldestWaitingJobAt: T0 })).kind).toBe("wait");
    expect(planRecovery(doc(), T0, facts(10 * AFTER, { oldestWaitingJobAt: T0 + 1 })).kind).toBe("redrive");
  });

  it("counts a scheduled retry as due at its retry time, not when it was scheduled", () => {
    const retry = doc({ updatedAt: at(0), retryAt: at(120_000) });
    expect(planRecovery(retry, T0, facts(120_000 + AFTER - 1)).kind).toBe("wait");
    expect(planRecovery(retry, T0, facts(120_000 + AFTER)).kind).toBe("redrive");
  });

  it("does not touch a change that is not overdue yet", () => {
    expect(planRecovery(doc(), T0, facts(AFTER - 1)).kind).toBe("wait");
  });
});

describe("planRecovery: everything else", () => {
  it("drops terminal changes from the pending index", () => {
    for (const status of ["succeeded", "failed", "rejected"] as const) {
      expect(planRecovery(doc({ status }), T0, facts(0))).toEqual({
        kind: "forget",
        reason: `already ${status}`,
      });
    }
  });

  it("never re-drives a held change: only an approval may release it", () => {
    expect(planRecovery(doc({ status: "held" }), T0, facts(100 * AFTER)).kind).toBe("wait");
  });

  it("drops an index row without a document once an accept could no longer be finishing it", () => {
    expect(planRecovery(undefined, T0, facts(299_999)).kind).toBe("wait");
    expect(planRecovery(undefined, T0, facts(300_000)).kind).toBe("forget");
  });

  it("gives up on a change re-driven maxRecoveries times instead of looping on a poison change", () => {
    const tired = processing({ recoveries: 5 });
    expect(planRecovery(tired, T0, facts(AFTER))).toEqual({
      kind: "give-up",
      reason: "its worker w-1 is gone; re-driven 5 times already",
    });
    expect(planRecovery(processing({ recoveries: 4 }), T0, facts(AFTER)).kind).toBe("redrive");
  });
});
