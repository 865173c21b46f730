import type { RateLimitState } from "./retry-timing.ts";

/**
 * Holds requests back *before* the API would refuse them. Shared by every call in a process: when the
 * window is spent or the server said `Retry-After`, all callers wait — not only the one that was told
 * (the flaw of octokit's throttling plugin, issue #629).
 *
 * The gate keeps its own estimate of what is left in the window, decremented per request sent and
 * corrected by every response, so that many concurrent calls do not all spend the last unit.
 */
export class PacingGate {
  private remaining: number | undefined;
  private resetAt: number | undefined;
  private pausedUntil = 0;

  /** How long a request must wait before it may be sent at `now` (0 = send now). */
  waitTime(now: number): number {
    if (this.pausedUntil > now) return this.pausedUntil - now;
    if (
      this.remaining !== undefined &&
      this.remaining <= 0 &&
      this.resetAt !== undefined &&
      this.resetAt > now
    ) {
      return this.resetAt - now;
    }
    return 0;
  }

  /** Claims one request in the current window; call when `waitTime` is 0, right before sending. */
  take(now: number): void {
    if (this.resetAt !== undefined && this.resetAt <= now) {
      // The window the estimate was about has ended; the next response tells the new one.
      this.remaining = undefined;
      this.resetAt = undefined;
    }
    if (this.remaining !== undefined) this.remaining -= 1;
  }

  /** Corrects the estimate from a response's headers. */
  observe(state: RateLimitState, now: number): void {
    if (state.retryAfterMs !== undefined) this.pauseUntil(now + state.retryAfterMs);
    if (state.resetAt !== undefined) {
      if (this.resetAt === undefined || state.resetAt > this.resetAt) {
        // A newer window: its numbers replace ours.
        this.resetAt = state.resetAt;
        this.remaining = state.remaining;
      } else if (state.resetAt === this.resetAt && state.remaining !== undefined) {
        // Same window, responses may arrive out of order: the lowest count is the truest.
        this.remaining = Math.min(this.remaining ?? state.remaining, state.remaining);
      }
      // An older window's response says nothing about now.
    } else if (state.remaining !== undefined) {
      this.remaining = state.remaining;
    }
  }

  /** Every caller waits until `until` (epoch ms), e.g. after a 429. */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }
}
