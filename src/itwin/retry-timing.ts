/**
 * Pure rules for *when* to send the next request to the owners API, derived from the response's
 * timing headers. No I/O and no clock of its own: callers pass `now` (epoch ms).
 */

/** A wait longer than this is not a real instruction (a clock skew or a garbage header), so it is ignored. */
const MAX_BELIEVABLE_WAIT_MS = 24 * 60 * 60 * 1000;
/** Values at or above this are epoch seconds, below it delta seconds (ten years of seconds). */
const EPOCH_SECONDS_THRESHOLD = 315_360_000;
/** Values at or above this are epoch milliseconds. */
const EPOCH_MS_THRESHOLD = 100_000_000_000;

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const DECIMAL = /^\d+(\.\d+)?$/;

export interface HeaderSource {
  get(name: string): string | null;
}

export interface RateLimitState {
  /** Requests allowed per window, when the server says. */
  limit?: number;
  /** Requests left in the current window. */
  remaining?: number;
  /** When the current window ends (epoch ms). */
  resetAt?: number;
  /** Length of the window (ms), from `x-rate-limit-limit: 1s` or `RateLimit-Policy: w=`. */
  windowMs?: number;
  /** The server's explicit instruction to wait (ms from now), from `Retry-After`. */
  retryAfterMs?: number;
}

function clampWait(ms: number): number | undefined {
  if (!Number.isFinite(ms) || ms > MAX_BELIEVABLE_WAIT_MS) return undefined;
  return Math.max(0, Math.ceil(ms));
}

/**
 * Parses a date the iTwin API or a gateway may send: the seed's ISO form with seven fraction digits
 * (`2022-08-29T19:24:15.3864257Z`, which `Date.parse` reads to the millisecond) or an HTTP-date.
 * Anything else is NaN, as with `Date.parse`, which `clampWait` then refuses.
 */
function parseDate(value: string): number {
  return ISO_TIMESTAMP.test(value) || /GMT$|UTC$/i.test(value) ? Date.parse(value) : Number.NaN;
}

/** `Retry-After`: delta seconds or an HTTP-date → ms to wait from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  return clampWait(DECIMAL.test(text) ? Number(text) * 1000 : parseDate(text) - now);
}

/**
 * `x-rate-limit-reset`: the seed shows an ISO timestamp; other gateways send epoch seconds, epoch
 * milliseconds or delta seconds. Magnitude tells them apart. Returns the reset instant (epoch ms).
 */
export function parseResetInstant(value: string | null, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const at = DECIMAL.test(text) ? decimalInstant(Number(text), now) : parseDate(text);
  return clampWait(at - now) === undefined ? undefined : Math.max(at, now);
}

/** A bare number's instant, told apart by its magnitude: epoch ms, epoch seconds, else delta seconds. */
function decimalInstant(n: number, now: number): number {
  if (n >= EPOCH_MS_THRESHOLD) return n;
  if (n >= EPOCH_SECONDS_THRESHOLD) return n * 1000;
  return now + n * 1000;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `x-rate-limit-limit` names the window (`1s`, `1m`, `60`); a bare number is seconds. */
export function parseWindow(value: string | null): number | undefined {
  const match = value?.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? "s").toLowerCase();
  const ms = amount * (UNIT_MS[unit] ?? 1000);
  return ms > 0 ? ms : undefined;
}

function nonNegativeInt(value: string | null | undefined): number | undefined {
  const text = value?.trim();
  if (!text || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** Reads `key=value` pairs from a structured-field item such as `"default";r=50;t=30` or `limit=10, reset=5`. */
function structuredParams(value: string | null): Map<string, string> {
  const params = new Map<string, string>();
  if (!value) return params;
  for (const part of value.split(/[;,]/)) {
    const [key, raw] = part.split("=", 2);
    if (key !== undefined && raw !== undefined) params.set(key.trim().toLowerCase(), raw.trim());
  }
  return params;
}

/**
 * Everything the response says about the rate limit. Sources, most authoritative first:
 * `Retry-After`; Bentley's `x-rate-limit-*`; IETF `RateLimit` / `RateLimit-Policy` (draft 8+ structured
 * fields `r`, `t`, `q`, `w`) and the older `RateLimit-Limit/-Remaining/-Reset` trio.
 */
export function readRateLimit(headers: HeaderSource, now: number): RateLimitState {
  const state: RateLimitState = {};
  const retryAfterMs = parseRetryAfter(headers.get("retry-after"), now);
  if (retryAfterMs !== undefined) state.retryAfterMs = retryAfterMs;

  const ietf = structuredParams(headers.get("ratelimit"));
  const policy = structuredParams(headers.get("ratelimit-policy"));

  const remaining =
    nonNegativeInt(headers.get("x-rate-limit-remaining")) ??
    nonNegativeInt(ietf.get("r") ?? ietf.get("remaining")) ??
    nonNegativeInt(headers.get("ratelimit-remaining"));
  if (remaining !== undefined) state.remaining = remaining;

  const windowMs =
    parseWindow(headers.get("x-rate-limit-limit")) ?? parseWindow(policy.get("w") ?? null) ?? undefined;
  if (windowMs !== undefined) state.windowMs = windowMs;

  const limit =
    nonNegativeInt(policy.get("q")) ??
    nonNegativeInt(ietf.get("limit")) ??
    nonNegativeInt(headers.get("ratelimit-limit"));
  if (limit !== undefined) state.limit = limit;

  const resetAt =
    parseResetInstant(headers.get("x-rate-limit-reset"), now) ??
    parseResetInstant(ietf.get("t") ?? ietf.get("reset") ?? null, now) ??
    parseResetInstant(headers.get("ratelimit-reset"), now);
  if (resetAt !== undefined) state.resetAt = resetAt;

  return state;
}

/** 408, 429 and 5xx may succeed later; every other 4xx will not, however often it is sent. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 30_000 };

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"):
 * uniformly random in [0, min(cap, base·2^(attempt-1))]. Full jitter spreads retries of many
 * instances that failed together, which plain exponential backoff would keep in lock-step.
 */
export function fullJitterBackoff(attempt: number, options: BackoffOptions, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(exponent, 30));
  return Math.floor(random() * ceiling);
}

/**
 * A server-given wait, spread by a little (at most 10 % + 50 ms, never over 250 ms) so that every caller
 * told the same instant does not hit the new window in the same millisecond.
 */
export function withJitter(ms: number, random: () => number): number {
  return ms + Math.floor(random() * Math.min(250, ms * 0.1 + 50));
}

/**
 * How long to wait before retrying a transient failure. The server's own timing wins over our guess:
 * `Retry-After`, then an exhausted window's reset. A small jitter is added to a server-given wait so
 * that every waiting caller does not hit the new window in the same millisecond.
 */
export function retryDelay(input: {
  attempt: number;
  rateLimit: RateLimitState;
  now: number;
  random: () => number;
  backoff?: BackoffOptions;
}): number {
  const { attempt, rateLimit, now, random } = input;
  if (rateLimit.retryAfterMs !== undefined) return withJitter(rateLimit.retryAfterMs, random);
  if (rateLimit.remaining === 0 && rateLimit.resetAt !== undefined)
    return withJitter(rateLimit.resetAt - now, random);
  return fullJitterBackoff(attempt, input.backoff ?? DEFAULT_BACKOFF, random);
}
