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
});
