import { describe, expect, it } from "vitest";
import { bestBudget, type HeartbeatRow, MembershipView } from "../../../src/coordination/membership.ts";

const HB = 2_000;
const STALE = 6_000;
const T = 1_700_000_000_000;

/** A process's view over a shared in-memory table: a beat writes, lists and counts at once. */
function processOn(table: Map<string, HeartbeatRow>, id: string) {
  const view = new MembershipView({ instanceId: id, heartbeatMs: HB, staleMs: STALE });
  const write = (now: number) => {
    const row = view.rowFor(now, undefined);
    table.set(id, row);
    view.written(row);
  };
  return {
    view,
    beat(now: number, tookMs = 20) {
      write(now);
      const counted = view.counted([...table.values()], now, now + tookMs, undefined);
      if (counted.publish) write(now + tookMs);
      return counted;
    },
    members: (windowStart: number, now = windowStart) => view.membersFor(windowStart, now).members,
  };
}

describe("MembershipView", () => {
  it("takes no part before its admission is written, then every window when it was alone", () => {
    const table = new Map<string, HeartbeatRow>();
    const a = processOn(table, "a");
    expect(a.members(T)).toEqual([]);
    const row = a.view.rowFor(T, undefined);
    expect(row.admitFrom).toBeUndefined();
    const counted = a.view.counted([row], T, T + 20, undefined);
    expect(counted.publish).toBe(true);
    expect(a.members(T)).toEqual([]);
    a.view.written(a.view.rowFor(T + 20, undefined));
    expect(a.members(T - 60_000, T)).toEqual(["a"]);
  });

  it("makes a second starter wait for a window its peers will count it in", () => {
    const table = new Map<string, HeartbeatRow>();
    const a = processOn(table, "a");
    const b = processOn(table, "b");
    a.beat(T);
    b.beat(T + 100);
    expect(b.members(T + 1_000, T + 1_000)).toEqual(["a"]);
    a.beat(T + HB);
    const admitted = T + 100 + HB + 1_000;
    expect(a.members(admitted - 1, T + HB)).toEqual(["a"]);
    expect(a.members(admitted, T + HB)).toEqual(["a", "b"]);
  });

  it("counts itself out when its own beats stopped landing, before the others drop it", () => {
    const table = new Map<string, HeartbeatRow>();
    const a = processOn(table, "a");
    a.beat(T);
    expect(a.members(T, T + STALE + HB - 500)).toEqual(["a"]);
    expect(a.members(T, T + STALE + HB - 499)).toEqual([]);
  });

  it("keeps a silent peer through a stall, and drops it once its own beats have been quick for a stale limit", () => {
    const table = new Map<string, HeartbeatRow>();
    const a = processOn(table, "a");
    const b = processOn(table, "b");
    a.beat(T);
    b.beat(T + 10);
    a.beat(T + 20);
    // b goes silent while a's own beats are slow (a stall): b stays counted however old its row.
    for (let at = T + HB; at <= T + 20_000; at += HB) a.beat(at, HB);
    expect(a.members(T + 20_000, T + 20_000)).toEqual(["a", "b"]);
    // Quick beats again: b goes after a stale limit of them.
    const counts: number[] = [];
    for (let at = T + 22_000; at <= T + 30_000; at += HB) {
      a.beat(at);
      counts.push(a.members(at, at).length);
    }
    expect(counts).toEqual([2, 2, 2, 1, 1]);
  });

  it("drops a deleted row at once and ignores a listing older than one already counted", () => {
    const table = new Map<string, HeartbeatRow>();
    const a = processOn(table, "a");
    const b = processOn(table, "b");
    a.beat(T);
    b.beat(T + 10);
    a.beat(T + 20);
    const rowsWithB = [...table.values()];
    table.delete("b");
    a.beat(T + HB);
    expect(a.members(T + 5_000, T + HB)).toEqual(["a"]);
    a.view.counted(rowsWithB, T + 30, T + 40, undefined);
    expect(a.members(T + 5_000, T + HB)).toEqual(["a"]);
    expect(a.view.listedAt()).toBe(T + HB);
  });

  it("lists rows dead for twenty stale limits to be purged", () => {
    const table = new Map<string, HeartbeatRow>([["old", { id: "old", lastSeen: T - 20 * STALE - 1 }]]);
    expect(processOn(table, "a").beat(T).purge).toEqual(["old"]);
  });
});

describe("bestBudget", () => {
  const budget = (limit: number) => ({ limit, windowMs: 1_000, resetAt: T });
  it("prefers live rows and their highest limit, else the most recent dead row", () => {
    const rows: HeartbeatRow[] = [
      { id: "dead-new", lastSeen: T - 10_000, ...budget(70) },
      { id: "dead-old", lastSeen: T - 50_000, ...budget(90) },
      { id: "live-low", lastSeen: T, ...budget(40) },
      { id: "live-high", lastSeen: T - 1_000, ...budget(50) },
      { id: "no-budget", lastSeen: T },
    ];
    expect(bestBudget(rows, T, STALE)).toEqual(budget(50));
    expect(bestBudget(rows.slice(0, 2), T, STALE)).toEqual(budget(70));
    expect(bestBudget(rows.slice(4), T, STALE)).toBeUndefined();
  });
});
