import { type BackoffOptions, type RateLimitState, retryDelay } from "./retry-timing.ts";

/**
 * Pure rule for what one call does after a failed attempt (no I/O, no clock: callers pass `now`): sleep
 * and try again inside the call, hand the wait back to the queue, or give up here. The transport only
 * reports what happened (attempt.ts); this decides, as octokit's throttling leaves the decision to a
 * handler; the loop in send.ts carries it out.
 */

/** What one call has slept so far, pacing and retry waits alike, and what it may sleep in all. */
export interface InlineAllowance {
  readonly sleptMs: number;
  readonly maxMs: number;
}

/** Whether a wait of `delayMs` still fits in the call's allowance. */
export function fitsInline(allowance: InlineAllowance, delayMs: number): boolean {
  return allowance.sleptMs + delayMs <= allowance.maxMs;
}

export interface RetryInput {
  failure: { readonly transient: boolean };
  /** The attempt that just failed, from 1. */
  attempt: number;
  maxAttempts: number;
  /** What the failed answer's headers said; empty when no answer arrived. */
  rateLimit: RateLimitState;
  now: number;
  inline: InlineAllowance;
  random: () => number;
  backoff: BackoffOptions;
}

export type RetryDecision =
  /** Sleep `delayMs` inside this call, then try again. */
  | { kind: "sleep"; delayMs: number }
  /** The next attempt is due in `delayMs`, longer than this call may still sleep: hand it to the queue. */
  | { kind: "later"; delayMs: number }
  /**
   * Throw the failure as it is: no retry can fix it, or this call's attempts are spent and the wait is
   * short enough for the host's own redelivery. `delayMs` says when a retry would have been due.
   */
  | { kind: "throw"; delayMs?: number };

export function decideRetry(input: RetryInput): RetryDecision {
  if (!input.failure.transient) return { kind: "throw" };
  const delayMs = retryDelay({
    attempt: input.attempt,
    rateLimit: input.rateLimit,
    now: input.now,
    random: input.random,
    backoff: input.backoff,
  });
  if (input.attempt >= input.maxAttempts) {
    // No attempt left in this call. A wait longer than any call may sleep still goes back with its
    // delay, so the queue does not redeliver before the server said it would listen again.
    return delayMs > input.inline.maxMs ? { kind: "later", delayMs } : { kind: "throw", delayMs };
  }
  return fitsInline(input.inline, delayMs) ? { kind: "sleep", delayMs } : { kind: "later", delayMs };
}
