import { describe, expect, it } from "vitest";
import { decideRetry, fitsInline, type RetryInput } from "../../../src/itwin/retry-policy.ts";

/**
 * The retry policy on its own: every decision from plain inputs, no transport and no clock. Backoff is
 * 1 000 ms · 2^(attempt-1) capped at 8 000 ms, and `random` returns 1 - ε, so a backoff is just under
 * its ceiling and a server-given wait gets its full jitter (10 % + 50 ms, at most 250 ms).
 */
const NOW = 1_700_000_000_000;
const NEAR_ONE = 1 - 2 ** -20;

function input(overrides: Partial<RetryInput> = {}): RetryInput {
  return {
    failure: { transient: true },
    attempt: 1,
    maxAttempts: 4,
    rateLimit: {},
    now: NOW,
    inline: { sleptMs: 0, maxMs: 5000 },
    random: () => NEAR_ONE,
    backoff: { baseMs: 1000, capMs: 8000 },
    ...overrides,
  };
}

describe("fitsInline", () => {
  it("allows a wait that uses the allowance exactly, and nothing beyond it", () => {
    expect(fitsInline({ sleptMs: 1000, maxMs: 5000 }, 4000)).toBe(true);
    expect(fitsInline({ sleptMs: 1000, maxMs: 5000 }, 4001)).toBe(false);
  });
});

describe("decideRetry", () => {
  it("throws a permanent failure at once, with no wait to tell", () => {
    expect(decideRetry(input({ failure: { transient: false } }))).toEqual({ kind: "throw" });
  });

  it("sleeps an exponential backoff when the answer said nothing about timing", () => {
    expect(decideRetry(input({ attempt: 1 }))).toEqual({ kind: "sleep", delayMs: 999 });
    expect(decideRetry(input({ attempt: 2 }))).toEqual({ kind: "sleep", delayMs: 1999 });
    expect(decideRetry(input({ attempt: 3 }))).toEqual({ kind: "sleep", delayMs: 3999 });
  });

  it("waits as long as Retry-After says, with a little jitter, ahead of the backoff", () => {
    const decision = decideRetry(input({ attempt: 3, rateLimit: { retryAfterMs: 1000 } }));
    expect(decision).toEqual({ kind: "sleep", delayMs: 1000 + 149 });
  });

  it("waits for the reset of an exhausted window, and ignores a reset while calls remain", () => {
    const exhausted = { remaining: 0, resetAt: NOW + 800 };
    expect(decideRetry(input({ rateLimit: exhausted }))).toEqual({ kind: "sleep", delayMs: 800 + 129 });
    const room = { remaining: 3, resetAt: NOW + 800 };
    expect(decideRetry(input({ rateLimit: room }))).toEqual({ kind: "sleep", delayMs: 999 });
  });

  it("hands a wait back to the queue when it would not fit beside what the call already slept", () => {
    const tired = { sleptMs: 4500, maxMs: 5000 };
    expect(decideRetry(input({ inline: tired }))).toEqual({ kind: "later", delayMs: 999 });
    const fresh = { sleptMs: 0, maxMs: 5000 };
    expect(decideRetry(input({ inline: fresh, rateLimit: { retryAfterMs: 30_000 } }))).toEqual({
      kind: "later",
      delayMs: 30_249,
    });
  });

  it("on the last attempt throws the failure, with when a retry would have been due", () => {
    expect(decideRetry(input({ attempt: 3, maxAttempts: 3 }))).toEqual({ kind: "throw", delayMs: 3999 });
    const past = input({ attempt: 5, maxAttempts: 3, rateLimit: { retryAfterMs: 100 } });
    expect(decideRetry(past)).toEqual({ kind: "throw", delayMs: 159 });
  });

  it("on the last attempt still hands back a wait longer than any call may sleep", () => {
    expect(decideRetry(input({ attempt: 4 }))).toEqual({ kind: "later", delayMs: 7999 });
    const told = input({ attempt: 4, rateLimit: { retryAfterMs: 6000 } });
    expect(decideRetry(told)).toEqual({ kind: "later", delayMs: 6249 });
    // Measured against the whole allowance, not what is left of it: no sleep would follow anyway.
    const tired = input({
      attempt: 4,
      inline: { sleptMs: 4900, maxMs: 5000 },
      rateLimit: { retryAfterMs: 1000 },
    });
    expect(decideRetry(tired)).toEqual({ kind: "throw", delayMs: 1149 });
  });
});
