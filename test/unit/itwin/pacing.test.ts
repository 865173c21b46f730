import { describe, expect, it } from "vitest";
import { type Membership, shareOf } from "../../../src/itwin/budget-split.ts";
import { BOUNDARY_GUARD_MS, PacingGate, PROBE_SLOT_MS } from "../../../src/itwin/pacing.ts";

/** `count` admitted processes p0, p1, …; this one is `p<self>`. */
function members(count: number, self: number): Membership {
  return { members: Array.from({ length: count }, (_, i) => `p${i}`), self: `p${self}` };
}

/**
 * How many calls the gate lets out at `now`, one after another, each ending without a response (as a
 * network error does), so only the gate's count of what was sent holds them back. Bounded, so a gate
 * that never closes shows up as `cap`.
 */
function callsLetThrough(gate: PacingGate, now: number, cap = 100): number {
  let sent = 0;
  while (sent < cap && gate.waitTime(now) === 0) {
    gate.take(now);
    gate.release();
    sent += 1;
  }
  return sent;
}

describe("PacingGate", () => {
  it("lets requests through while the window has room", () => {
    const gate = new PacingGate();
    expect(gate.waitTime(0)).toBe(0);
    gate.observe({ remaining: 2, resetAt: 1000 }, 0);
    expect(gate.waitTime(0)).toBe(0);
  });

  it("holds every caller until the reset once its own estimate reaches zero", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 2, resetAt: 1000 }, 0);
    gate.take(10);
    gate.take(20);
    expect(gate.waitTime(30)).toBe(970);
    expect(gate.waitTime(1000)).toBe(0);
  });

  it("starts afresh when the window it knew about has ended", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 0, resetAt: 1000 }, 0);
    gate.take(1000);
    expect(gate.waitTime(1000)).toBe(0);
  });

  it("pauses every caller after Retry-After", () => {
    const gate = new PacingGate();
    gate.observe({ retryAfterMs: 2000 }, 100);
    expect(gate.waitTime(100)).toBe(2000);
    expect(gate.waitTime(2100)).toBe(0);
  });

  it("keeps the lowest count among out-of-order responses of the same window and ignores older windows", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 3, resetAt: 1000 }, 0);
    gate.observe({ remaining: 5, resetAt: 1000 }, 0);
    gate.observe({ remaining: 9, resetAt: 500 }, 0);
    gate.take(1);
    gate.take(2);
    gate.take(3);
    expect(gate.waitTime(4)).toBe(996);
  });

  it("takes only its part of a window when several processes share the budget", () => {
    let count = 4;
    const gate = new PacingGate({ membersFor: () => members(count, 1) });
    gate.observe({ remaining: 49, resetAt: 1000, windowMs: 1000 }, 0);
    // The answer's own call, then what the gate lets through: 50 / 4, the remainder by rendezvous hash.
    expect(1 + callsLetThrough(gate, 20)).toBeOneOf([12, 13]);
    expect(gate.waitTime(20)).toBe(980);
    count = 2;
    expect(gate.waitTime(20)).toBe(0);
  });

  it("takes no part of a window it is not admitted to, and its part of the first one it is", () => {
    const gate = new PacingGate({
      membersFor: (windowStart) => (windowStart >= 2000 ? members(2, 1) : { members: ["p0"], self: "p1" }),
    });
    gate.observe({ limit: 10, remaining: 9, resetAt: 1000, windowMs: 1000 }, 0);
    expect(gate.waitTime(10)).toBe(990);
    expect(gate.waitTime(1500)).toBe(500);
    expect(callsLetThrough(gate, 2000)).toBe(5);
  });

  it("never sends while the server's remaining is used up by calls still in flight", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 49, resetAt: 1000, windowMs: 1000 }, 0);
    gate.observe({ remaining: 2, resetAt: 1000, windowMs: 1000 }, 0);
    gate.take(1);
    gate.take(2);
    expect(gate.waitTime(3)).toBe(997);
    gate.release();
    expect(gate.waitTime(3)).toBe(0);
  });

  it("predicts the next window from the window length, with a full share and no stale count", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 0, resetAt: 1000, windowMs: 1000 }, 10);
    expect(gate.waitTime(10)).toBe(990);
    expect(gate.waitTime(2500)).toBe(0);
    gate.take(2500);
    // The server confirms the predicted window (2000–3000) up to rounding.
    gate.observe({ remaining: 0, resetAt: 3000.4, windowMs: 1000 }, 2510);
    expect(gate.waitTime(2510)).toBeCloseTo(490.4);
  });

  it("learns the limit from the highest remaining seen", () => {
    const gate = new PacingGate({ membersFor: () => members(2, 1) });
    gate.observe({ remaining: 9, resetAt: 1000, windowMs: 1000 }, 0);
    for (let i = 0; i < 4; i++) gate.take(i);
    expect(gate.waitTime(5)).toBe(995);
  });

  it("splits an uneven limit so that the parts add up to it", () => {
    const taken = [0, 1, 2, 3].map((self) => {
      const gate = new PacingGate({ membersFor: () => members(4, self) });
      gate.observe({ remaining: 49, resetAt: 1000, windowMs: 1000 }, 0);
      let sent = 1;
      while (gate.waitTime(5) === 0 && sent < 100) {
        gate.take(5);
        gate.release();
        sent += 1;
      }
      return sent;
    });
    expect(taken.sort()).toEqual([12, 12, 13, 13]);
    expect(taken.reduce((a, b) => a + b, 0)).toBe(50);
  });

  it("lets a process alone use the whole window when nobody says how many share it", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 9, resetAt: 1000, windowMs: 1000 }, 0);
    expect(callsLetThrough(gate, 10)).toBe(9);
    expect(gate.waitTime(10)).toBe(990);
  });

  it("counts a call claimed as a new window opens against that window", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 1, resetAt: 1000, windowMs: 1000 }, 0);
    expect(gate.waitTime(999)).toBe(0);
    // Asked at 999, sent at 1000: the call belongs to the window 1000–2000, which has room for two.
    gate.take(1000);
    expect(callsLetThrough(gate, 1000)).toBe(1);
  });

  it("counts a call sent just before the reset against the next window too, where the server put it", () => {
    const gate = new PacingGate({ membersFor: () => members(2, 0) });
    gate.observe({ limit: 4, remaining: 3, resetAt: 1000, windowMs: 1000 }, 0);
    gate.take(990);
    expect(gate.waitTime(995)).toBe(5);
    gate.observe({ limit: 4, remaining: 3, resetAt: 2000, windowMs: 1000 }, 1010, 990);
    expect(callsLetThrough(gate, 1010)).toBe(1);
  });

  it("gives the next window's call back when the answer shows the server counted it in the earlier one", () => {
    const gate = new PacingGate({ membersFor: () => members(2, 0) });
    gate.observe({ limit: 4, remaining: 3, resetAt: 1000, windowMs: 1000 }, 0);
    gate.take(1000 - BOUNDARY_GUARD_MS + 1);
    gate.observe(
      { limit: 4, remaining: 2, resetAt: 1000, windowMs: 1000 },
      1010,
      1000 - BOUNDARY_GUARD_MS + 1,
    );
    expect(callsLetThrough(gate, 1010)).toBe(2);
  });

  it("does not count a call sent before the guard against the next window", () => {
    const gate = new PacingGate({ membersFor: () => members(2, 0) });
    gate.observe({ limit: 4, remaining: 3, resetAt: 1000, windowMs: 1000 }, 0);
    gate.take(1000 - BOUNDARY_GUARD_MS);
    expect(callsLetThrough(gate, 1010)).toBe(2);
  });

  it("sends close to the reset only what also fits its part of the next window", () => {
    // Four processes, two calls per window: this one has a call in alternate windows only.
    const gate = new PacingGate({ membersFor: () => members(4, 0) });
    gate.observe({ limit: 2, remaining: 1, resetAt: 1000, windowMs: 1000 }, 0);
    const parts = [1, 2, 3, 4, 5, 6].map((window) => callsLetThrough(gate, window * 1000 + 10));
    const windowWithPart = parts.indexOf(1);
    const windowWithout = parts.indexOf(0);
    expect(windowWithPart).toBeGreaterThanOrEqual(0);
    expect(windowWithout).toBeGreaterThanOrEqual(0);
    // Just before a window in which it has no part, nothing; just before one in which it has, one call.
    const fresh = () => {
      const g = new PacingGate({ membersFor: () => members(4, 0) });
      g.observe({ limit: 2, remaining: 1, resetAt: 1000, windowMs: 1000 }, 0);
      return g;
    };
    const withoutNext = fresh();
    expect(callsLetThrough(withoutNext, (windowWithout + 1) * 1000 - 100)).toBe(0);
    const withNext = fresh();
    // It may or may not have a part of the window it is in; what it sends is bounded by the next one's.
    expect(callsLetThrough(withNext, (windowWithPart + 1) * 1000 - 100)).toBeLessThanOrEqual(1);
  });

  it("stops counting a call as in flight once its response arrived", () => {
    const gate = new PacingGate();
    gate.observe({ limit: 100, remaining: 2, resetAt: 1000 }, 0);
    gate.take(10);
    gate.observe({ limit: 100, remaining: 1, resetAt: 1000 }, 20);
    expect(gate.waitTime(20)).toBe(0);
    gate.take(20);
    expect(gate.waitTime(20)).toBe(980);
  });

  it("opens a new window at the very instant of the reset, with exactly one window's share", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 2, resetAt: 1000, windowMs: 1000 }, 0);
    expect(callsLetThrough(gate, 1000)).toBe(3);
    expect(gate.waitTime(1000)).toBe(1000);
  });

  it("predicts the window that contains now after several idle windows", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 0, resetAt: 1000, windowMs: 1000 }, 0);
    gate.take(3500);
    expect(gate.waitTime(3500)).toBe(500);
  });

  it("keeps the window length and the limit it learned when later responses leave them out", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 1, resetAt: 1000, windowMs: 1000 }, 0);
    // Answers that carry fewer headers: a count without the window, and one with nothing at all.
    gate.observe({ remaining: 0, resetAt: 1000 }, 10);
    gate.observe({}, 20);
    expect(gate.waitTime(20)).toBe(980);
    // 1000–2000 was never described by a response, yet it holds as many calls as the limit allows.
    expect(callsLetThrough(gate, 1500)).toBe(2);
    expect(gate.waitTime(1500)).toBe(500);
  });

  it("without a window length, sends freely once the reset has passed and adopts the next reset it is told", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 0, resetAt: 1000 }, 0);
    expect(gate.waitTime(500)).toBe(500);
    expect(gate.waitTime(1500)).toBe(0);
    gate.take(1500);
    gate.observe({ remaining: 0, resetAt: 2000 }, 1510);
    expect(gate.waitTime(1510)).toBe(490);
  });

  it("believes a server whose next window does not start where it predicted", () => {
    const gate = new PacingGate();
    gate.observe({ remaining: 0, resetAt: 1000, windowMs: 1000 }, 0);
    gate.take(1500);
    gate.observe({ remaining: 0, resetAt: 2300, windowMs: 1000 }, 1510);
    expect(gate.waitTime(1510)).toBe(790);
  });

  it("treats a reset up to 20 ms before its prediction as the same window, and an earlier one as a stale answer", () => {
    const answer = (resetAt: number) => {
      const gate = new PacingGate();
      gate.observe({ limit: 100, remaining: 50, resetAt: 1000, windowMs: 1000 }, 0);
      gate.take(2500); // predicted window: 2000–3000
      gate.observe({ limit: 100, remaining: 0, resetAt, windowMs: 1000 }, 2510);
      return gate.waitTime(2510);
    };
    expect(answer(2980)).toBe(470);
    expect(answer(2979)).toBe(0);
  });

  it("lets a response that gives only the remaining count close the window it knows", () => {
    const gate = new PacingGate();
    gate.observe({ limit: 100, remaining: 5, resetAt: 1000, windowMs: 1000 }, 0);
    gate.take(5);
    gate.observe({ remaining: 0 }, 10);
    expect(gate.waitTime(10)).toBe(990);
  });

  it("does not let a response without counts, or a late answer about an earlier window, change the count", () => {
    const gate = new PacingGate();
    gate.observe({ limit: 100, remaining: 0, resetAt: 1000 }, 0);
    gate.observe({}, 10);
    gate.observe({ resetAt: 1000 }, 10);
    expect(gate.waitTime(10)).toBe(990);

    const later = new PacingGate();
    later.observe({ limit: 100, remaining: 5, resetAt: 1000 }, 0);
    later.observe({ limit: 100, remaining: 0, resetAt: 500 }, 10);
    expect(later.waitTime(10)).toBe(0);
  });

  it("keeps a spent window closed when a shorter Retry-After runs out before its reset", () => {
    const gate = new PacingGate();
    gate.observe({ retryAfterMs: 500, remaining: 0, resetAt: 1000 }, 0);
    expect(gate.waitTime(400)).toBe(100);
    expect(gate.waitTime(500)).toBe(500);
  });

  it("pauses for a Retry-After that follows responses without one", () => {
    const gate = new PacingGate();
    gate.observe({ limit: 100, remaining: 50, resetAt: 1000 }, 0);
    gate.observe({ retryAfterMs: 300 }, 100);
    expect(gate.waitTime(100)).toBe(300);
  });

  it("pauses every caller when told of a refusal, keeps the longest pause, and tells whoever listens", () => {
    let refusals = 0;
    const gate = new PacingGate({ onRefused: () => (refusals += 1) });
    gate.refused(5000);
    gate.refused(2000);
    expect(gate.waitTime(1000)).toBe(4000);
    expect(gate.waitTime(5000)).toBe(0);
    expect(refusals).toBe(2);

    const unheard = new PacingGate();
    unheard.refused(300);
    expect(unheard.waitTime(100)).toBe(200);
  });
});

describe("PacingGate from a cold start", () => {
  /** A whole second, at the start of a probe slot. */
  const T = 1_700_000_000_000;

  it("sends one call until it has an answer, then paces by what the answer said", () => {
    const gate = new PacingGate();
    expect(gate.waitTime(T)).toBe(0);
    gate.take(T);
    expect(gate.waitTime(T + 10)).toBeGreaterThan(0);
    gate.observe({ remaining: 4, resetAt: T + 1000, windowMs: 1000 }, T + 50, T);
    expect(callsLetThrough(gate, T + 50)).toBe(4);
  });

  it("lets one call through again when the first ended without an answer", () => {
    const gate = new PacingGate();
    gate.take(T);
    gate.release();
    expect(gate.waitTime(T + 10)).toBe(0);
  });

  it("sends freely after an answer without counts: the API gives nothing to pace by", () => {
    const gate = new PacingGate();
    gate.take(T);
    gate.observe({}, T + 20, T);
    expect(callsLetThrough(gate, T + 20)).toBe(100);
  });

  it("with no budget known anywhere, lets only the slot's rendezvous winner probe", () => {
    const ids = ["a", "b", "c", "d", "e"];
    const gates = ids.map(
      (self) => new PacingGate({ membersFor: () => ({ members: ids, self }), listedAt: () => T }),
    );
    expect(gates.filter((gate) => gate.waitTime(T + 10) === 0)).toHaveLength(1);
  });

  it("asks for a fresh listing while it waits for a budget as an admitted non-prober, and not while pending", () => {
    const ids = ["a", "b", "c", "d", "e"];
    const asked = new Map<string, number>();
    for (const self of ids) {
      const gate = new PacingGate({
        membersFor: () => ({ members: ids, self }),
        listedAt: () => T,
        onWaitingForBudget: () => asked.set(self, (asked.get(self) ?? 0) + 1),
      });
      gate.waitTime(T + 10);
    }
    expect([...asked.values()]).toEqual([1, 1, 1, 1]);
    let pendingAsked = 0;
    const pending = new PacingGate({
      membersFor: () => ({ members: ["a"], self: "z" }),
      onWaitingForBudget: () => (pendingAsked += 1),
    });
    expect(pending.waitTime(T + 10)).toBeGreaterThan(0);
    expect(pendingAsked).toBe(0);
  });

  it("probes only from the members admitted when the slot began", () => {
    const ids = ["a", "b", "c", "d", "e"];
    const gates = ids.map(
      (self) =>
        new PacingGate({
          membersFor: (windowStart) => ({ members: windowStart < T ? [] : ids, self }),
          listedAt: () => T,
        }),
    );
    expect(gates.filter((gate) => gate.waitTime(T + 10) === 0)).toHaveLength(1);
    const late = ids.map(
      (self) =>
        new PacingGate({
          membersFor: (windowStart) => ({ members: windowStart <= T ? [] : ids, self }),
          listedAt: () => T,
        }),
    );
    expect(late.filter((gate) => gate.waitTime(T + 10) === 0)).toHaveLength(0);
  });

  it("does not probe on a listing older than the slot, late in the slot, or in the last guard of a second", () => {
    const probe = (listedAt: number, now: number) =>
      new PacingGate({ listedAt: () => listedAt }).waitTime(now);
    expect(probe(T - 1, T + 10)).toBeGreaterThan(0);
    expect(probe(T, T + PROBE_SLOT_MS - 1000)).toBeGreaterThan(0);
    expect(probe(T, T + PROBE_SLOT_MS - 1500)).toBe(0);
    expect(probe(T, T + 1000 - BOUNDARY_GUARD_MS + 1)).toBe(BOUNDARY_GUARD_MS - 1);
    expect(probe(T, T + 1000 - BOUNDARY_GUARD_MS)).toBe(0);
  });

  it("starts from a seeded budget at its first call, in the window that contains now", () => {
    const gate = new PacingGate({ membersFor: () => members(2, 0) });
    gate.seed({ limit: 10, windowMs: 1000, resetAt: T - 60_000 }, T + 300);
    expect(gate.learned()).toEqual({ limit: 10, windowMs: 1000, resetAt: T + 1000 });
    gate.take(T + 300);
    gate.observe({ remaining: 8, resetAt: T + 1000, windowMs: 1000 }, T + 350, T + 300);
    expect(1 + callsLetThrough(gate, T + 350)).toBe(5);
    expect(gate.waitTime(T + 350)).toBe(650);
  });

  it("keeps the first seed until an answer, and publishes nothing before limit, window and reset are known", () => {
    const gate = new PacingGate();
    gate.seed({ limit: 50, windowMs: 1000, resetAt: T }, T);
    gate.seed({ limit: 70, windowMs: 1000, resetAt: T }, T);
    expect(gate.learned()?.limit).toBe(50);

    const countsOnly = new PacingGate();
    countsOnly.observe({ remaining: 5 }, T);
    expect(countsOnly.learned()).toBeUndefined();
    const noWindow = new PacingGate();
    noWindow.observe({ remaining: 5, resetAt: T + 1000 }, T);
    expect(noWindow.learned()).toBeUndefined();
    const noReset = new PacingGate();
    noReset.observe({ remaining: 5, windowMs: 1000 }, T);
    expect(noReset.learned()).toBeUndefined();
  });

  it("ignores a seed once it has a budget of its own, and lets an explicit limit replace a seed", () => {
    const own = new PacingGate();
    own.observe({ limit: 20, remaining: 19, resetAt: T + 1000, windowMs: 1000 }, T);
    own.seed({ limit: 50, windowMs: 1000, resetAt: T }, T);
    expect(own.learned()?.limit).toBe(20);

    const seeded = new PacingGate();
    seeded.seed({ limit: 50, windowMs: 1000, resetAt: T }, T);
    seeded.observe({ limit: 20, remaining: 19, resetAt: T + 1000, windowMs: 1000 }, T);
    expect(seeded.learned()?.limit).toBe(20);
  });

  it("says when it first learned the budget from an answer, so that it can be published at once", () => {
    let learned = 0;
    const gate = new PacingGate({ onLearned: () => (learned += 1) });
    gate.seed({ limit: 50, windowMs: 1000, resetAt: T }, T);
    expect(learned).toBe(0);
    gate.observe({ remaining: 49, resetAt: T + 1000, windowMs: 1000 }, T);
    expect(learned).toBe(1);
    gate.observe({ remaining: 48, resetAt: T + 1000, windowMs: 1000 }, T);
    expect(learned).toBe(1);
    expect(new PacingGate().learned()).toBeUndefined();

    let unseeded = 0;
    const fresh = new PacingGate({ onLearned: () => (unseeded += 1) });
    fresh.observe({}, T);
    expect(unseeded).toBe(0);
    fresh.observe({ remaining: 9, resetAt: T + 1000, windowMs: 1000 }, T);
    expect(unseeded).toBe(1);
  });
});

describe("PacingGate near a window's end", () => {
  /** Limit `limit` for `count` processes; this one is p0; the first window ends at 1000. */
  const gateFor = (limit: number, count = 1) => {
    const gate = new PacingGate({ membersFor: () => members(count, 0) });
    gate.observe({ limit, remaining: limit - 1, resetAt: 1000, windowMs: 1000 }, 0, 0);
    gate.release();
    return gate;
  };

  it("carries every call sent inside the guard, and no more than those", () => {
    const gate = gateFor(8);
    gate.take(800);
    gate.take(850);
    gate.take(1000 - BOUNDARY_GUARD_MS);
    // The window 1000-2000 starts with the two carried calls counted.
    expect(callsLetThrough(gate, 1010)).toBe(6);
  });

  it("gives a carried call back when its answer arrives before the reset, about the window it was sent in", () => {
    const gate = gateFor(4);
    gate.take(800);
    gate.observe({ limit: 4, remaining: 2, resetAt: 1000, windowMs: 1000 }, 900, 800);
    expect(callsLetThrough(gate, 1010)).toBe(4);
  });

  it("gives back only for calls sent inside the guard before that reset", () => {
    const gate = gateFor(4);
    gate.take(800);
    // Answers about the window ending at 1000 to calls sent at its guard's start and at the reset itself.
    gate.observe({ limit: 4, remaining: 2, resetAt: 1000, windowMs: 1000 }, 1010, 1000 - BOUNDARY_GUARD_MS);
    gate.observe({ limit: 4, remaining: 2, resetAt: 1000, windowMs: 1000 }, 1010, 1000);
    expect(callsLetThrough(gate, 1010)).toBe(3);
  });

  it("gives back one call per answer after the reset, and none beyond what was carried", () => {
    const gate = gateFor(8);
    gate.take(800);
    gate.take(850);
    gate.observe({ limit: 8, remaining: 5, resetAt: 1000, windowMs: 1000 }, 1010, 800);
    expect(callsLetThrough(gate, 1010)).toBe(7);

    const spent = gateFor(8);
    spent.take(800);
    spent.observe({ limit: 8, remaining: 6, resetAt: 1000, windowMs: 1000 }, 900, 800);
    spent.take(1010);
    // Nothing carried is left: an answer about the earlier window gives nothing back.
    spent.observe({ limit: 8, remaining: 6, resetAt: 1000, windowMs: 1000 }, 1020, 810);
    expect(callsLetThrough(spent, 1020)).toBe(7);
  });

  it("forgets what it carried when a whole window passed without a call", () => {
    const gate = gateFor(4);
    gate.take(900);
    expect(callsLetThrough(gate, 2500)).toBe(4);
  });

  it("near the reset, stops at its part of the next window even when this one has room", () => {
    // Alone in the window ending at 1000 (part 4), one of two in the next (part 2).
    const gate = new PacingGate({
      membersFor: (windowStart) => (windowStart < 1000 ? members(1, 0) : members(2, 0)),
    });
    gate.observe({ limit: 4, remaining: 3, resetAt: 1000, windowMs: 1000 }, 0, 0);
    gate.release();
    expect(callsLetThrough(gate, 1000 - BOUNDARY_GUARD_MS + 1)).toBe(2);
    expect(gate.waitTime(1000 - BOUNDARY_GUARD_MS + 1)).toBe(BOUNDARY_GUARD_MS - 1);
  });

  it("is not near the reset at exactly the guard's length before it", () => {
    const gate = new PacingGate({
      membersFor: (windowStart) => (windowStart < 1000 ? members(1, 0) : { members: ["p1"], self: "p0" }),
    });
    gate.observe({ limit: 4, remaining: 3, resetAt: 1000, windowMs: 1000 }, 0, 0);
    gate.release();
    expect(gate.waitTime(1000 - BOUNDARY_GUARD_MS)).toBe(0);
    expect(gate.waitTime(1000 - BOUNDARY_GUARD_MS + 1)).toBe(BOUNDARY_GUARD_MS - 1);
  });

  it("asks for the members of each window by its start, and splits by the window's index", () => {
    const asked: number[] = [];
    const fixed = members(2, 0);
    const gate = new PacingGate({
      membersFor: (windowStart) => {
        asked.push(windowStart);
        return fixed;
      },
    });
    gate.observe({ limit: 3, remaining: 2, resetAt: 1000, windowMs: 1000 }, 0, 0);
    gate.release();
    const parts = [1, 2, 3, 4, 5, 6, 7, 8].map((window) => callsLetThrough(gate, window * 1000 + 10));
    const expected = [1, 2, 3, 4, 5, 6, 7, 8].map((window) => shareOf(3, fixed, window + 1));
    expect(parts).toEqual(expected);
    expect(new Set(parts)).toEqual(new Set([1, 2]));
    expect(asked).toContain(8000);
    expect(asked.every((start) => start % 1000 === 0)).toBe(true);
  });

  it("takes a larger explicit limit at once within a window, and keeps its own against a smaller one", () => {
    const gate = gateFor(4);
    gate.observe({ limit: 8, remaining: 6, resetAt: 1000, windowMs: 1000 }, 10);
    // 8 less the first answer's own call.
    expect(callsLetThrough(gate, 10)).toBe(7);
    gate.observe({ limit: 2, remaining: 0, resetAt: 2000, windowMs: 1000 }, 1010);
    expect(gate.learned()?.limit).toBe(8);
  });

  it("without a window length, splits by the members of now", () => {
    const asked: number[] = [];
    const gate = new PacingGate({
      membersFor: (windowStart) => {
        asked.push(windowStart);
        return members(2, 0);
      },
    });
    gate.observe({ limit: 6, remaining: 5, resetAt: 1000 }, 0, 0);
    gate.release();
    // Half of 6, less the first answer's own call.
    expect(callsLetThrough(gate, 500)).toBe(2);
    expect(asked).toContain(500);
  });
});
