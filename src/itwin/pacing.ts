import type { RateLimitState } from "./retry-timing.ts";

/**
 * Holds requests back *before* the API would refuse them (design §6, docs/rate-limits.md).
 *
 * One gate per process, shared by every call in it: when the window is spent or the server said
 * `Retry-After`, every caller waits — not only the one that was told (octokit's open issue #629).
 *
 * All worker instances of one OAuth client draw from one server-side budget, and the server's
 * `x-rate-limit-remaining` already counts everybody's calls. So each instance:
 *  - takes at most its fair share of a window, `limit / peers` (the remainder going to the first
 *    instances by rank), where `peers` is the number of live instances (from the instance registry)
 *    and `limit` is learned from the headers;
 *  - never sends while the server's latest `remaining`, less its own calls still in flight, is 0;
 *  - predicts the next window from the last reset and the window length, so it can start sending the
 *    moment a window opens instead of waiting for a response to tell it.
 */
/** Reset instants at most this far apart are the same window. */
const SAME_WINDOW_TOLERANCE_MS = 20;

/** The processes sharing the client's budget, and this one's place among them (0-based). */
export interface Peers {
  count: number;
  rank: number;
}

export interface PacingOptions {
  peers?: () => Peers;
  /** Told when the server refused a call (429): the picture of the budget was wrong. */
  onRefused?: () => void;
}

export class PacingGate {
  private limit: number | undefined;
  private windowMs: number | undefined;
  private resetAt: number | undefined;
  /** The lowest `remaining` the server reported for the current window. */
  private serverRemaining: number | undefined;
  /** Calls this process sent in the current window. */
  private sentInWindow = 0;
  /** Calls sent and not yet answered: the server's `remaining` may not count them yet. */
  private inFlight = 0;
  private pausedUntil = 0;
  private readonly peers: () => Peers;
  private readonly onRefused: () => void;

  constructor(options: PacingOptions = {}) {
    this.peers = options.peers ?? (() => ({ count: 1, rank: 0 }));
    this.onRefused = options.onRefused ?? (() => undefined);
  }

  /** How long a request must wait before it may be sent at `now` (0 = send now). */
  waitTime(now: number): number {
    if (this.pausedUntil > now) return this.pausedUntil - now;
    this.roll(now);
    if (this.resetAt === undefined) return 0;
    const spentShare = this.sentInWindow >= this.share();
    const spentGlobally = this.serverRemaining !== undefined && this.serverRemaining - this.inFlight <= 0;
    return spentShare || spentGlobally ? this.resetAt - now : 0;
  }

  /** Claims one request; call when `waitTime` is 0, right before sending. */
  take(now: number): void {
    this.roll(now);
    this.sentInWindow += 1;
    this.inFlight += 1;
  }

  /** A claimed request ended without a response (network error, timeout). */
  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /** Corrects the picture from a response's headers; every response to a claimed request calls this once. */
  observe(state: RateLimitState, now: number): void {
    this.release();
    if (state.retryAfterMs !== undefined) this.pauseUntil(now + state.retryAfterMs);
    if (state.windowMs !== undefined) this.windowMs = state.windowMs;
    const learned = state.limit ?? (state.remaining === undefined ? undefined : state.remaining + 1);
    if (learned !== undefined) this.limit = Math.max(this.limit ?? 0, learned);
    if (state.resetAt === undefined) {
      if (state.remaining !== undefined) this.serverRemaining = state.remaining;
      return;
    }
    this.roll(now);
    if (this.resetAt !== undefined && Math.abs(state.resetAt - this.resetAt) <= SAME_WINDOW_TOLERANCE_MS) {
      // Our prediction and the server agree up to rounding (the seed's reset has 100 ns digits): adopt its.
      this.resetAt = state.resetAt;
    }
    if (this.resetAt === undefined || state.resetAt > this.resetAt) {
      // A window we had not predicted (the first one, or a server that does not align windows).
      this.resetAt = state.resetAt;
      this.serverRemaining = state.remaining;
      this.sentInWindow = Math.max(1, this.inFlight);
    } else if (state.resetAt === this.resetAt && state.remaining !== undefined) {
      // Responses of one window can arrive out of order: the lowest count is the truest.
      this.serverRemaining = Math.min(this.serverRemaining ?? state.remaining, state.remaining);
    }
    // A response about an earlier window says nothing about this one.
  }

  /** The server refused a call: every caller waits until `until` (epoch ms). */
  refused(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
    this.onRefused();
  }

  private pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /**
   * This process's part of a window: all of it until the limit is known, then an equal part, the
   * first `limit % count` processes by rank taking one more, so the parts add up to the whole limit.
   */
  private share(): number {
    if (this.limit === undefined) return Number.POSITIVE_INFINITY;
    const { count, rank } = this.peers();
    const peers = Math.max(1, count);
    return Math.max(1, Math.floor(this.limit / peers) + (rank < this.limit % peers ? 1 : 0));
  }

  /** Moves to the window that contains `now`, when the window length is known. */
  private roll(now: number): void {
    if (this.resetAt === undefined || now < this.resetAt) return;
    if (this.windowMs === undefined) {
      this.resetAt = undefined;
      this.serverRemaining = undefined;
    } else {
      const windows = Math.floor((now - this.resetAt) / this.windowMs) + 1;
      this.resetAt += windows * this.windowMs;
      this.serverRemaining = undefined;
    }
    this.sentInWindow = 0;
  }
}
