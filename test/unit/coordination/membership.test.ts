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

describe("MembershipView rows and counts", () => {
  const budget = { limit: 50, windowMs: 1_000, resetAt: T + 400 };

  it("writes its join time once, its admission once decided, and the budget its gate knows", () => {
    const view = new MembershipView({ instanceId: "a", heartbeatMs: HB, staleMs: STALE });
    expect(view.rowFor(T, undefined)).toEqual({ id: "a", lastSeen: T, joinedAt: T });
    view.counted([], T, T + 10, undefined);
    expect(view.rowFor(T + HB, budget)).toEqual({
      id: "a",
      lastSeen: T + HB,
      joinedAt: T,
      admitFrom: 0,
      ...budget,
    });
  });

  it("counts its admission as written only by a row that carries it", () => {
    const view = new MembershipView({ instanceId: "a", heartbeatMs: HB, staleMs: STALE });
    const pending = view.rowFor(T, undefined);
    view.written(pending);
    view.counted([pending], T, T + 10, undefined);
    expect(view.membersFor(T, T).members).toEqual([]);
    view.written(pending);
    expect(view.membersFor(T, T).members).toEqual([]);
    view.written(view.rowFor(T + 20, undefined));
    expect(view.membersFor(T, T).members).toEqual(["a"]);
  });

  it("decides admission once: later counts do not ask for another write", () => {
    const table = new Map<string, HeartbeatRow>();
    const a = processOn(table, "a");
    expect(a.beat(T).publish).toBe(true);
    expect(a.beat(T + HB).publish).toBe(false);
    // An older listing than one already counted changes nothing and asks for nothing.
    const stale = a.view.counted([], T + 1, T + 2, undefined);
    expect(stale.publish).toBe(false);
    expect(a.members(T + HB, T + HB)).toEqual(["a"]);
  });

  it("admits from the first window of its own gate's phase, else of the table's budget", () => {
    const other: HeartbeatRow = { id: "b", lastSeen: T, joinedAt: T - 60_000, admitFrom: 0, ...budget };
    const fromTable = new MembershipView({ instanceId: "a", heartbeatMs: HB, staleMs: STALE });
    fromTable.written(fromTable.rowFor(T, undefined));
    fromTable.counted([other], T, T + 10, undefined);
    fromTable.written(fromTable.rowFor(T + 10, undefined));
    // Joined at T: the first window start at or after T + 3 s with resets at …400.
    expect(fromTable.membersFor(T + 3_400, T + 3_400).members).toEqual(["a", "b"]);
    expect(fromTable.membersFor(T + 2_400, T + 2_400).members).toEqual(["b"]);

    const ownPhase = new MembershipView({ instanceId: "a", heartbeatMs: HB, staleMs: STALE });
    ownPhase.written(ownPhase.rowFor(T, undefined));
    ownPhase.counted([other], T, T + 10, { limit: 50, windowMs: 1_000, resetAt: T + 700 });
    ownPhase.written(ownPhase.rowFor(T + 10, undefined));
    expect(ownPhase.membersFor(T + 3_400, T + 3_400).members).toEqual(["b"]);
    expect(ownPhase.membersFor(T + 3_700, T + 3_700).members).toEqual(["a", "b"]);
  });

  it("keeps a row exactly a stale limit old as live, and drops a kept one only past stale + heartbeat", () => {
    const table = new Map<string, HeartbeatRow>();
    const a = processOn(table, "a");
    table.set("b", { id: "b", lastSeen: T - STALE, joinedAt: T - 60_000, admitFrom: 0 });
    a.beat(T);
    const seesB = (at: number) => a.members(at, at).includes("b");
    expect(seesB(T)).toBe(true);
    // Quick beats every heartbeat: healthy for a stale limit from T + 6 s on. b's age is then 12 s.
    const seen: boolean[] = [];
    for (let at = T + HB; at <= T + 8_000; at += HB) {
      a.beat(at);
      seen.push(seesB(at));
    }
    expect(seen).toEqual([true, true, false, false]);
  });

  it("drops a kept row at the first healthy beat after it is older than stale + heartbeat, not before", () => {
    const table = new Map<string, HeartbeatRow>();
    const a = processOn(table, "a");
    const b = processOn(table, "b");
    a.beat(T);
    b.beat(T);
    // a is healthy from T on; b stops. At T + 8 s b is exactly stale + heartbeat old: still counted.
    const seen: boolean[] = [];
    for (let at = T + HB; at <= T + 10_000; at += HB) {
      a.beat(at);
      // Asked about a window after b's admission, so that only the drop decides.
      seen.push(a.members(T + 60_000, at).includes("b"));
    }
    expect(seen).toEqual([true, true, true, true, false]);
  });

  it("purges rows older than twenty stale limits, not one exactly that old", () => {
    const table = new Map<string, HeartbeatRow>([
      ["edge", { id: "edge", lastSeen: T - 20 * STALE }],
      ["old", { id: "old", lastSeen: T - 20 * STALE - 1 }],
    ]);
    expect(processOn(table, "a").beat(T).purge).toEqual(["old"]);
  });

  it("counts itself only from its admission window on", () => {
    const table = new Map<string, HeartbeatRow>([
      ["b", { id: "b", lastSeen: T, joinedAt: T - 60_000, admitFrom: 0 }],
    ]);
    const a = processOn(table, "a");
    a.beat(T);
    const admitFrom = table.get("a")?.admitFrom ?? 0;
    expect(a.members(admitFrom - 1, T)).toEqual(["b"]);
    expect(a.members(admitFrom, T)).toEqual(["a", "b"]);
  });
});

describe("bestBudget edges", () => {
  it("skips rows with part of a budget, and takes the later of two dead rows or the higher of two live ones", () => {
    const full = { limit: 10, windowMs: 1_000, resetAt: T };
    expect(bestBudget([{ id: "x", lastSeen: T, limit: 10, windowMs: 1_000 }], T, STALE)).toBeUndefined();
    expect(bestBudget([{ id: "x", lastSeen: T, limit: 10, resetAt: T }], T, STALE)).toBeUndefined();
    expect(bestBudget([{ id: "x", lastSeen: T, windowMs: 1_000, resetAt: T }], T, STALE)).toBeUndefined();
    const dead = (lastSeen: number, limit: number): HeartbeatRow => ({
      id: `d${limit}`,
      lastSeen,
      ...full,
      limit,
    });
    expect(bestBudget([dead(T - 9_000, 30), dead(T - 8_000, 20)], T, STALE)?.limit).toBe(20);
    expect(bestBudget([dead(T - 8_000, 20), dead(T - 9_000, 30)], T, STALE)?.limit).toBe(20);
    // Exactly a stale limit old is live; a live row beats any dead one.
    expect(bestBudget([dead(T - 7_000, 90), dead(T - STALE, 20)], T, STALE)?.limit).toBe(20);
    expect(bestBudget([dead(T - STALE, 20), dead(T - 7_000, 90)], T, STALE)?.limit).toBe(20);
    const live = (limit: number, resetAt: number): HeartbeatRow => ({
      id: `l${limit}`,
      lastSeen: T,
      ...full,
      limit,
      resetAt,
    });
    expect(bestBudget([live(50, T + 1), live(50, T + 2)], T, STALE)?.resetAt).toBe(T + 1);
  });
});
