import { describe, expect, it } from "vitest";
import {
  fullJitterBackoff,
  isTransientStatus,
  parseResetInstant,
  parseRetryAfter,
  parseWindow,
  readRateLimit,
  retryDelay,
} from "../../../src/itwin/retry-timing.ts";

const NOW = Date.parse("2022-08-29T19:24:14.5000000Z");
const headers = (values: Record<string, string>) => new Headers(values);

describe("parseResetInstant", () => {
  it("reads the seed's ISO timestamp with seven fraction digits", () => {
    expect(parseResetInstant("2022-08-29T19:24:15.3864257Z", NOW)).toBe(
      Date.parse("2022-08-29T19:24:15.386Z"),
    );
  });
  it("reads epoch seconds, epoch milliseconds and delta seconds", () => {
    expect(parseResetInstant(String(NOW / 1000 + 2), NOW)).toBe(NOW + 2000);
    expect(parseResetInstant(String(NOW + 1500), NOW)).toBe(NOW + 1500);
    expect(parseResetInstant("3", NOW)).toBe(NOW + 3000);
    expect(parseResetInstant("0.5", NOW)).toBe(NOW + 500);
  });
  it("treats a reset in the past as now and ignores garbage and absurd values", () => {
    expect(parseResetInstant("2022-08-29T19:24:10Z", NOW)).toBe(NOW);
    expect(parseResetInstant("soon", NOW)).toBeUndefined();
    expect(parseResetInstant("", NOW)).toBeUndefined();
    expect(parseResetInstant(null, NOW)).toBeUndefined();
    expect(parseResetInstant("2122-08-29T19:24:15Z", NOW)).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  it("reads delta seconds and HTTP-dates", () => {
    expect(parseRetryAfter("2", NOW)).toBe(2000);
    expect(parseRetryAfter(new Date(NOW + 4000).toUTCString(), NOW)).toBe(3500); // HTTP-dates have whole seconds
    expect(parseRetryAfter("Mon, 29 Aug 2022 19:24:10 GMT", NOW)).toBe(0);
  });
  it("ignores what is not a wait", () => {
    expect(parseRetryAfter("-1", NOW)).toBeUndefined();
    expect(parseRetryAfter("later", NOW)).toBeUndefined();
    expect(parseRetryAfter("99999999", NOW)).toBeUndefined();
  });
});

describe("parseWindow", () => {
  it("reads the window the limit applies to", () => {
    expect(parseWindow("1s")).toBe(1000);
    expect(parseWindow("1m")).toBe(60_000);
    expect(parseWindow("60")).toBe(60_000);
    expect(parseWindow("500ms")).toBe(500);
    expect(parseWindow("often")).toBeUndefined();
  });
});

describe("readRateLimit", () => {
  it("reads the iTwin API's headers as the seed shows them", () => {
    const state = readRateLimit(
      headers({
        "x-rate-limit-limit": "1s",
        "x-rate-limit-remaining": "49",
        "x-rate-limit-reset": "2022-08-29T19:24:15.3864257Z",
      }),
      NOW,
    );
    expect(state).toEqual({ windowMs: 1000, remaining: 49, resetAt: Date.parse("2022-08-29T19:24:15.386Z") });
  });
  it("reads IETF RateLimit structured fields and the older trio", () => {
    expect(
      readRateLimit(
        headers({ ratelimit: '"default";r=0;t=7', "ratelimit-policy": '"default";q=100;w=60' }),
        NOW,
      ),
    ).toEqual({ remaining: 0, resetAt: NOW + 7000, limit: 100, windowMs: 60_000 });
    expect(
      readRateLimit(
        headers({ "ratelimit-limit": "10", "ratelimit-remaining": "3", "ratelimit-reset": "4" }),
        NOW,
      ),
    ).toEqual({ limit: 10, remaining: 3, resetAt: NOW + 4000 });
  });
  it("keeps Retry-After separately, as the server's explicit instruction", () => {
    expect(readRateLimit(headers({ "retry-after": "1" }), NOW)).toEqual({ retryAfterMs: 1000 });
  });
});

describe("retryDelay", () => {
  const noJitter = () => 0;
  it("lets Retry-After win over everything else", () => {
    const delay = retryDelay({
      attempt: 1,
      rateLimit: { retryAfterMs: 2000, remaining: 0, resetAt: NOW + 100 },
      now: NOW,
      random: noJitter,
    });
    expect(delay).toBe(2000);
  });
  it("waits for the reset of an exhausted window", () => {
    expect(
      retryDelay({ attempt: 1, rateLimit: { remaining: 0, resetAt: NOW + 886 }, now: NOW, random: noJitter }),
    ).toBe(886);
  });
  it("spreads a server-given wait by a bounded jitter", () => {
    const delay = retryDelay({
      attempt: 1,
      rateLimit: { retryAfterMs: 1000 },
      now: NOW,
      random: () => 0.999,
    });
    expect(delay).toBeGreaterThan(1000);
    expect(delay).toBeLessThanOrEqual(1150);
  });
  it("falls back to full-jitter backoff", () => {
    expect(
      retryDelay({
        attempt: 3,
        rateLimit: {},
        now: NOW,
        random: () => 0.5,
        backoff: { baseMs: 100, capMs: 10_000 },
      }),
    ).toBe(200);
  });
});

describe("fullJitterBackoff", () => {
  it("grows exponentially up to the cap and stays within [0, ceiling)", () => {
    const options = { baseMs: 100, capMs: 1000 };
    expect(fullJitterBackoff(1, options, () => 0.999)).toBe(99);
    expect(fullJitterBackoff(4, options, () => 0.999)).toBe(799);
    expect(fullJitterBackoff(40, options, () => 0.999)).toBe(999);
    expect(fullJitterBackoff(5, options, () => 0)).toBe(0);
  });
});

describe("isTransientStatus", () => {
  it("retries 408, 429 and 5xx only", () => {
    expect([408, 429, 500, 502, 503, 504].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isTransientStatus)).toBe(false);
  });
});
