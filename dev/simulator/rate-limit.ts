/**
 * Per-client fixed-window rate limit, as the iTwin Platform's gateway applies it: windows are aligned to
 * multiples of the window length, every request inside a window counts, a refused request does not.
 * Pure: the caller passes the time.
 */

export interface RateLimitPolicy {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in this window after this one. */
  remaining: number;
  windowMs: number;
  /** End of the current window (epoch ms). */
  resetAtMs: number;
  /** Whole seconds until the window ends, at least 1: the `Retry-After` value when refused. */
  retryAfterSeconds: number;
}

export class FixedWindowRateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(readonly policy: RateLimitPolicy) {
    if (!Number.isInteger(policy.limit) || policy.limit < 1) {
      throw new RangeError(`rate limit must be a positive integer, got ${policy.limit}`);
    }
    if (!Number.isInteger(policy.windowMs) || policy.windowMs < 1) {
      throw new RangeError(`rate-limit window must be a positive number of ms, got ${policy.windowMs}`);
    }
  }

  /** Counts one request for `key` at `nowMs` unless the window is already full. */
  take(key: string, nowMs: number): RateLimitDecision {
    const window = this.#current(key, nowMs);
    const allowed = window.count < this.policy.limit;
    if (allowed) window.count += 1;
    return this.#decision(window, nowMs, allowed);
  }

  /** The state for `key` without counting anything. */
  peek(key: string, nowMs: number): RateLimitDecision {
    const start = windowStart(nowMs, this.policy.windowMs);
    const known = this.#windows.get(key);
    const count = known && known.start === start ? known.count : 0;
    return this.#decision({ start, count }, nowMs, count < this.policy.limit);
  }

  reset(): void {
    this.#windows.clear();
  }

  #current(key: string, nowMs: number): { start: number; count: number } {
    const start = windowStart(nowMs, this.policy.windowMs);
    let window = this.#windows.get(key);
    if (!window || window.start !== start) {
      window = { start, count: 0 };
      this.#windows.set(key, window);
    }
    return window;
  }

  #decision(window: { start: number; count: number }, nowMs: number, allowed: boolean): RateLimitDecision {
    const resetAtMs = window.start + this.policy.windowMs;
    return {
      allowed,
      limit: this.policy.limit,
      remaining: Math.max(0, this.policy.limit - window.count),
      windowMs: this.policy.windowMs,
      resetAtMs,
      retryAfterSeconds: Math.max(1, Math.ceil((resetAtMs - nowMs) / 1000)),
    };
  }
}

export function windowStart(nowMs: number, windowMs: number): number {
  return Math.floor(nowMs / windowMs) * windowMs;
}

/** Names a window the way `x-rate-limit-limit` does: "1s", "1m", "1h", or "250ms" when not whole seconds. */
export function formatWindow(windowMs: number): string {
  if (windowMs % 3_600_000 === 0) return `${windowMs / 3_600_000}h`;
  if (windowMs % 60_000 === 0) return `${windowMs / 60_000}m`;
  if (windowMs % 1000 === 0) return `${windowMs / 1000}s`;
  return `${windowMs}ms`;
}

/** ISO-8601 UTC with 7 fraction digits, as the real `x-rate-limit-reset` (e.g. 2022-08-29T19:24:15.3864257Z). */
export function formatResetTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");
}

/** The headers every rate-limited API response carries. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    "x-rate-limit-limit": formatWindow(decision.windowMs),
    "x-rate-limit-remaining": String(decision.remaining),
    "x-rate-limit-reset": formatResetTimestamp(decision.resetAtMs),
  };
}
