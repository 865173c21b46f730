import { describe, expect, it } from "vitest";
import {
  FixedWindowRateLimiter,
  formatResetTimestamp,
  formatWindow,
  rateLimitHeaders,
} from "../../../dev/simulator/rate-limit.ts";

const T0 = Date.UTC(2022, 7, 29, 19, 24, 14, 386); // 2022-08-29T19:24:14.386Z

describe("FixedWindowRateLimiter", () => {
  it("allows `limit` requests per aligned window and counts down remaining", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 3, windowMs: 1000 });
    const decisions = [0, 1, 2].map(() => limiter.take("client", T0));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    expect(decisions[0]?.resetAtMs).toBe(Date.UTC(2022, 7, 29, 19, 24, 15, 0));
  });

  it("refuses once the window is full, without counting the refusal, and reports Retry-After", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 2, windowMs: 1000 });
    limiter.take("c", T0);
    limiter.take("c", T0);
    const refused = limiter.take("c", T0 + 100);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    expect(limiter.peek("c", T0 + 100).remaining).toBe(0);
  });

  it("starts afresh in the next window", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 1, windowMs: 1000 });
    expect(limiter.take("c", T0).allowed).toBe(true);
    expect(limiter.take("c", T0 + 613).allowed).toBe(false); // still ...14.999
    expect(limiter.take("c", T0 + 614).allowed).toBe(true); // 19:24:15.000
  });

  it("keeps clients apart", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 1, windowMs: 1000 });
    expect(limiter.take("a", T0).allowed).toBe(true);
    expect(limiter.take("b", T0).allowed).toBe(true);
    expect(limiter.take("a", T0).allowed).toBe(false);
  });

  it("rounds Retry-After up to whole seconds for long windows", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 1, windowMs: 60_000 });
    const start = Date.UTC(2024, 0, 1, 0, 0, 0, 0);
    limiter.take("c", start + 500);
    expect(limiter.take("c", start + 500).retryAfterSeconds).toBe(60); // 59.5 s → 60
    expect(limiter.take("c", start + 59_999).retryAfterSeconds).toBe(1);
  });

  it("peek does not count", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 1, windowMs: 1000 });
    expect(limiter.peek("c", T0).remaining).toBe(1);
    expect(limiter.take("c", T0).allowed).toBe(true);
  });

  it("rejects nonsense policies", () => {
    expect(() => new FixedWindowRateLimiter({ limit: 0, windowMs: 1000 })).toThrow(RangeError);
    expect(() => new FixedWindowRateLimiter({ limit: 1, windowMs: 0 })).toThrow(RangeError);
  });
});

describe("header formatting", () => {
  it("names windows like the real gateway", () => {
    expect(formatWindow(1000)).toBe("1s");
    expect(formatWindow(60_000)).toBe("1m");
    expect(formatWindow(3_600_000)).toBe("1h");
    expect(formatWindow(30_000)).toBe("30s");
    expect(formatWindow(250)).toBe("250ms");
  });

  it("writes the reset as ISO-8601 with 7 fraction digits, as in the seed", () => {
    expect(formatResetTimestamp(Date.UTC(2022, 7, 29, 19, 24, 15, 386))).toBe("2022-08-29T19:24:15.3860000Z");
    expect(formatResetTimestamp(Date.UTC(2022, 7, 29, 19, 24, 15, 0))).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/,
    );
  });

  it("builds the three x-rate-limit headers", () => {
    const limiter = new FixedWindowRateLimiter({ limit: 50, windowMs: 1000 });
    expect(rateLimitHeaders(limiter.take("c", T0))).toEqual({
      "x-rate-limit-limit": "1s",
      "x-rate-limit-remaining": "49",
      "x-rate-limit-reset": "2022-08-29T19:24:15.0000000Z",
    });
  });
});
