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
/** Headers as some other HTTP stack hands them over: values exactly as sent, surrounding spaces included. */
const rawHeaders = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });

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
    expect(parseResetInstant("99999999", NOW)).toBeUndefined();
  });
  it("tells a bare number's meaning by its magnitude, at the documented boundaries", () => {
    // From 100 000 000 000 on, epoch milliseconds (this one is in 1973, so: now).
    expect(parseResetInstant("100000000000", NOW)).toBe(NOW);
    // From 315 360 000 (ten years of seconds) on, epoch seconds (1979: now); below, delta seconds.
    expect(parseResetInstant("315360000", NOW)).toBe(NOW);
    expect(parseResetInstant("315359999", NOW)).toBeUndefined();
  });
  it("reads ISO timestamps with a zone offset, with or without its colon", () => {
    const at = Date.parse("2022-08-29T19:24:15Z");
    expect(parseResetInstant("2022-08-29T21:24:15+02:00", NOW)).toBe(at);
    expect(parseResetInstant("2022-08-29T21:24:15+0200", NOW)).toBe(at);
    expect(parseResetInstant("2022-08-29T17:24:15-02:00", NOW)).toBe(at);
  });
  it("ignores spaces around the value", () => {
    expect(parseResetInstant(" 3 ", NOW)).toBe(NOW + 3000);
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
    expect(parseRetryAfter("86401", NOW)).toBeUndefined();
  });
  it("believes waits of up to a day, fractions of a second and values with spaces around", () => {
    expect(parseRetryAfter("86400", NOW)).toBe(86_400_000);
    expect(parseRetryAfter("3600", NOW)).toBe(3_600_000);
    expect(parseRetryAfter("1.25", NOW)).toBe(1250);
    expect(parseRetryAfter(" 2 ", NOW)).toBe(2000);
  });
  it("ignores dates that are neither ISO timestamps nor HTTP-dates", () => {
    // Each of these is a past instant Date.parse would read, so believing it would mean "wait 0".
    expect(parseRetryAfter("Mon, 29 Aug 2022 19:24:16 GMT+0100", NOW)).toBeUndefined();
    expect(parseRetryAfter("Mon, 29 Aug 2022 19:24:16 UTC+0100", NOW)).toBeUndefined();
    // No zone at all: Date.parse would read it in this machine's local time.
    expect(parseRetryAfter("Aug 29 2022 19:24:16", NOW)).toBeUndefined();
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
  it("reads fractions and refuses a window of no length or a value it cannot read whole", () => {
    expect(parseWindow("1.5s")).toBe(1500);
    expect(parseWindow("0.25")).toBe(250);
    expect(parseWindow("0")).toBeUndefined();
    expect(parseWindow("0s")).toBeUndefined();
    expect(parseWindow("per 1s")).toBeUndefined();
    expect(parseWindow("1sec")).toBeUndefined();
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
    expect(state).toStrictEqual({
      windowMs: 1000,
      remaining: 49,
      resetAt: Date.parse("2022-08-29T19:24:15.386Z"),
    });
  });
  it("reads IETF RateLimit structured fields and the older trio", () => {
    expect(
      readRateLimit(
        headers({ ratelimit: '"default";r=0;t=7', "ratelimit-policy": '"default";q=100;w=60' }),
        NOW,
      ),
    ).toStrictEqual({ remaining: 0, resetAt: NOW + 7000, limit: 100, windowMs: 60_000 });
    expect(
      readRateLimit(
        headers({ "ratelimit-limit": "10", "ratelimit-remaining": "3", "ratelimit-reset": "4" }),
        NOW,
      ),
    ).toStrictEqual({ limit: 10, remaining: 3, resetAt: NOW + 4000 });
    // The IETF draft's earlier single-header form.
    expect(readRateLimit(headers({ ratelimit: "limit=10, remaining=3, reset=5" }), NOW)).toStrictEqual({
      limit: 10,
      remaining: 3,
      resetAt: NOW + 5000,
    });
  });
  it("ignores spaces around values and counts that are not whole non-negative numbers", () => {
    expect(readRateLimit(rawHeaders({ "x-rate-limit-remaining": " 49 " }), NOW)).toStrictEqual({
      remaining: 49,
    });
    for (const count of ["many", "12abc", "-3", "4.5"]) {
      expect(readRateLimit(rawHeaders({ "x-rate-limit-remaining": count }), NOW)).toStrictEqual({});
    }
  });
  it("keeps Retry-After separately, as the server's explicit instruction", () => {
    // Only what the response says: no key at all for what it does not.
    expect(readRateLimit(headers({ "retry-after": "1" }), NOW)).toStrictEqual({ retryAfterMs: 1000 });
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
  it("spreads a server-given wait by at most 10 % + 50 ms, and never by more than 250 ms", () => {
    const delay = (retryAfterMs: number, random: number) =>
      retryDelay({ attempt: 1, rateLimit: { retryAfterMs }, now: NOW, random: () => random });
    expect(delay(1000, 0.999)).toBe(1149);
    expect(delay(1000, 0.5)).toBe(1075);
    expect(delay(5000, 0.999)).toBe(5249);
  });
  it("waits out a window only when it is spent and its reset is known", () => {
    const backoff = { baseMs: 100, capMs: 10_000 };
    const delay = (rateLimit: { remaining?: number; resetAt?: number }) =>
      retryDelay({ attempt: 1, rateLimit, now: NOW, random: () => 0.5, backoff });
    expect(delay({ remaining: 0 })).toBe(50);
    expect(delay({ remaining: 3, resetAt: NOW + 800 })).toBe(50);
  });
  it("backs off from 250 ms up to 30 s by default", () => {
    const delay = (attempt: number, random: number) =>
      retryDelay({ attempt, rateLimit: {}, now: NOW, random: () => random });
    expect(delay(1, 0.5)).toBe(125);
    expect(delay(20, 0.999)).toBe(29_970);
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
    expect(isTransientStatus(599)).toBe(true);
    expect(isTransientStatus(600)).toBe(false);
  });
});
