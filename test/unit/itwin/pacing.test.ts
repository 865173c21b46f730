import { describe, expect, it } from "vitest";
import { PacingGate } from "../../../src/itwin/pacing.ts";

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

  it("takes only its fair share of a window when several processes share the budget", () => {
    let peers = 4;
    const gate = new PacingGate({ peers: () => ({ count: peers, rank: 3 }) });
    gate.observe({ remaining: 49, resetAt: 1000, windowMs: 1000 }, 0);
    for (let i = 1; i < 12; i++) gate.take(i);
    expect(gate.waitTime(20)).toBe(980);
    peers = 2;
    expect(gate.waitTime(20)).toBe(0);
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

  it("learns the limit from the highest remaining seen and sends freely until then", () => {
    const gate = new PacingGate({ peers: () => ({ count: 2, rank: 1 }) });
    expect(gate.waitTime(0)).toBe(0);
    gate.observe({ remaining: 9, resetAt: 1000, windowMs: 1000 }, 0);
    for (let i = 0; i < 4; i++) gate.take(i);
    expect(gate.waitTime(5)).toBe(995);
  });

  it("gives the remainder of an uneven split to the first processes by rank", () => {
    const taken = [0, 1, 2, 3].map((rank) => {
      const gate = new PacingGate({ peers: () => ({ count: 4, rank }) });
      gate.observe({ remaining: 49, resetAt: 1000, windowMs: 1000 }, 0);
      let sent = 1;
      while (gate.waitTime(5) === 0 && sent < 100) {
        gate.take(5);
        gate.release();
        sent += 1;
      }
      return sent;
    });
    expect(taken).toEqual([13, 13, 12, 12]);
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

  it("counts a call against the window it was sent in, even when its answer comes after the boundary", () => {
    const gate = new PacingGate({ peers: () => ({ count: 2, rank: 0 }) });
    gate.observe({ limit: 4, remaining: 3, resetAt: 1000, windowMs: 1000 }, 0);
    gate.take(990);
    expect(gate.waitTime(995)).toBe(5);
    gate.observe({ limit: 4, remaining: 3, resetAt: 2000, windowMs: 1000 }, 1010);
    expect(callsLetThrough(gate, 1010)).toBe(2);
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
