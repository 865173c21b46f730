import { describe, expect, it } from "vitest";
import { PacingGate } from "../../../src/itwin/pacing.ts";

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
});
