import { ALONE, type Membership, shareOf, winners } from "./budget-split.ts";
import type { RateLimitState } from "./retry-timing.ts";

/**
 * Holds requests back *before* the API would refuse them (design §6, docs/rate-limits.md).
 *
 * One gate per process, shared by every call in it: when the window is spent or the server said
 * `Retry-After`, every caller waits — not only the one that was told (octokit's open issue #629).
 *
 * All worker instances of one OAuth client draw from one server-side budget, and the server's
 * `x-rate-limit-remaining` already counts everybody's calls. So each instance:
 *  - takes at most its part of a window (budget-split.ts) among the processes admitted to that window
 *    (the instance registry's `membersFor`), and none before it is admitted itself;
 *  - never sends while the server's latest `remaining`, less its own calls still in flight, is 0;
 *  - predicts the next window from the last reset and the window length, so it can start sending the
 *    moment a window opens instead of waiting for a response to tell it;
 *  - until it has seen one answer, sends one call at a time, and while no process knows the budget,
 *    only one process probes (below): a cold start must not send a burst into a limit it cannot see.
 */

/** Reset instants at most this far apart are the same window. */
const SAME_WINDOW_TOLERANCE_MS = 20;
/**
 * With no budget known anywhere, one process probes per slot this long: longer than a heartbeat plus its
 * margin, so the budget the prober learned is published and listed by the others before the next slot.
 */
export const PROBE_SLOT_MS = 5_000;
/** A probe is sent no later than this before its slot ends: time for its answer and the publishing beat. */
const PROBE_PUBLISH_MS = 1_000;
/**
 * A call sent this close before a reset may be counted by the server in the next window (≥ the p99
 * request latency): it counts against both. A probe, whose reset is unknown, is sent only this long or
 * more before a whole second, where windows of whole seconds and minutes end.
 */
export const BOUNDARY_GUARD_MS = 250;
/** How soon a caller held back by the probe rules asks again. */
const PROBE_POLL_MS = 250;
/** How soon a caller waiting for the first answer asks again. */
const FIRST_ANSWER_POLL_MS = 50;

/** What one process knows of the shared budget; the instance registry publishes it and seeds others with it. */
export interface Budget {
  limit: number;
  windowMs: number;
  /** Any instant at which a window ended: it fixes the windows' phase. */
  resetAt: number;
}

export interface PacingOptions {
  /** The processes admitted to the window starting at `windowStart` (default: this one alone). */
  membersFor?: (windowStart: number) => Membership;
  /** Start of this process's latest registry listing: a probe needs one from inside its probe slot. */
  listedAt?: () => number;
  /** Told when the server refused a call (429): the picture of the budget was wrong. */
  onRefused?: () => void;
  /** Told when this process learned the budget from an answer, so it can be published at once. */
  onLearned?: () => void;
  /** Told while an admitted process waits for a budget nobody has published yet: list again soon. */
  onWaitingForBudget?: () => void;
}

export class PacingGate {
  private limit: number | undefined;
  /** The limit came from the registry (`seed`), not from an answer to this process. */
  private seeded = false;
  private windowMs: number | undefined;
  private resetAt: number | undefined;
  /** The lowest `remaining` the server reported for the current window. */
  private serverRemaining: number | undefined;
  /** Calls this process sent in the current window. */
  private sentInWindow = 0;
  /**
   * Calls sent in the last BOUNDARY_GUARD_MS before the reset `from`: they count against the next window
   * too (`pending` until it opens, `applied` after), until an answer shows the server counted one in
   * the window it was sent in.
   */
  private carry: { from: number | undefined; pending: number; applied: number } = {
    from: undefined,
    pending: 0,
    applied: 0,
  };
  /** Calls sent and not yet answered: the server's `remaining` may not count them yet. */
  private inFlight = 0;
  private pausedUntil = 0;
  private answered = false;
  /** The last answers of `share` for the current and the next window. */
  private readonly shares: (
    | { membership: Membership; index: number; limit: number; share: number }
    | undefined
  )[] = [undefined, undefined];
  private readonly membersFor: (windowStart: number) => Membership;
  private readonly listedAt: () => number;
  private readonly onRefused: () => void;
  private readonly onLearned: () => void;
  private readonly onWaitingForBudget: () => void;

  constructor(options: PacingOptions = {}) {
    this.membersFor = options.membersFor ?? (() => ALONE);
    this.listedAt = options.listedAt ?? (() => Number.POSITIVE_INFINITY);
    this.onRefused = options.onRefused ?? (() => undefined);
    this.onLearned = options.onLearned ?? (() => undefined);
    this.onWaitingForBudget = options.onWaitingForBudget ?? (() => undefined);
  }

  /** How long a request must wait before it may be sent at `now` (0 = send now). */
  waitTime(now: number): number {
    if (this.pausedUntil > now) return this.pausedUntil - now;
    this.roll(now);
    if (!this.answered && this.inFlight > 0) return FIRST_ANSWER_POLL_MS;
    // An API that answers without counts gives nothing to pace by.
    if (this.limit === undefined) return this.answered ? 0 : this.probeWait(now);
    if (this.resetAt === undefined) return 0;
    const spentShare = this.sentInWindow >= this.share(now, 0);
    const spentGlobally = this.serverRemaining !== undefined && this.serverRemaining - this.inFlight <= 0;
    // Close to the reset a call may land in the next window, so it must fit this process's part of that
    // one too: with more processes than calls, that part is often 0.
    const nearReset = this.windowMs !== undefined && this.resetAt - now < BOUNDARY_GUARD_MS;
    const spentNext = nearReset && this.carried() >= this.share(now, 1);
    return spentShare || spentGlobally || spentNext ? this.resetAt - now : 0;
  }

  /** Claims one request; call when `waitTime` is 0, right before sending. */
  take(now: number): void {
    this.roll(now);
    this.sentInWindow += 1;
    this.inFlight += 1;
    if (this.resetAt !== undefined && this.resetAt - now < BOUNDARY_GUARD_MS) {
      if (this.carry.from !== this.resetAt) this.carry = { from: this.resetAt, pending: 0, applied: 0 };
      this.carry.pending += 1;
    }
  }

  /** A claimed request ended without a response (network error, timeout). */
  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /**
   * Corrects the picture from a response's headers; every response to a claimed request calls this once.
   * `sentAt` is when that request was claimed (`take`).
   */
  observe(state: RateLimitState, now: number, sentAt?: number): void {
    this.release();
    const knewBudget = this.limit !== undefined && !this.seeded;
    this.answered = true;
    this.seeded = false;
    if (state.retryAfterMs !== undefined) this.pauseUntil(now + state.retryAfterMs);
    if (state.windowMs !== undefined) this.windowMs = state.windowMs;
    // An explicit limit replaces a seed (the quota may have changed); `remaining + 1` is only a lower
    // bound, since other processes may have spent part of the window, so it can only raise it.
    if (state.limit !== undefined) this.limit = Math.max(knewBudget ? (this.limit ?? 0) : 0, state.limit);
    else if (state.remaining !== undefined) this.limit = Math.max(this.limit ?? 0, state.remaining + 1);
    if (!knewBudget && this.limit !== undefined) this.onLearned();
    if (state.resetAt === undefined) {
      if (state.remaining !== undefined) this.serverRemaining = state.remaining;
      return;
    }
    this.roll(now);
    if (sentAt !== undefined) this.uncarry(state.resetAt, sentAt);
    if (this.resetAt !== undefined && Math.abs(state.resetAt - this.resetAt) <= SAME_WINDOW_TOLERANCE_MS) {
      // Our prediction and the server agree up to rounding (the seed's reset has 100 ns digits): adopt its.
      this.resetAt = state.resetAt;
    }
    if (this.resetAt === undefined || state.resetAt > this.resetAt) {
      // A window we had not predicted (the first one, or a server that does not align windows).
      this.resetAt = state.resetAt;
      this.serverRemaining = state.remaining;
      this.sentInWindow = Math.max(1, this.inFlight);
      this.carry.applied = 0;
    } else if (state.resetAt === this.resetAt && state.remaining !== undefined) {
      // Responses of one window can arrive out of order: the lowest count is the truest.
      this.serverRemaining = Math.min(this.serverRemaining ?? state.remaining, state.remaining);
    }
    // A response about an earlier window says nothing about this one.
  }

  /** The server refused a call: every caller waits until `until` (epoch ms). */
  refused(until: number): void {
    this.pauseUntil(until);
    this.onRefused();
  }

  /**
   * The budget another process learned (from the instance registry), so a fresh process paces from its
   * first call instead of probing. Ignored once this process has a budget of its own.
   */
  seed(budget: Budget, now: number): void {
    if (this.answered || this.limit !== undefined) return;
    this.limit = budget.limit;
    this.seeded = true;
    this.windowMs = budget.windowMs;
    // The reset that ends the window containing `now`, published before or after it.
    const windows = Math.floor((now - budget.resetAt) / budget.windowMs) + 1;
    this.resetAt = budget.resetAt + windows * budget.windowMs;
  }

  /** What this process knows of the budget, to publish; undefined until limit, window and phase are known. */
  learned(): Budget | undefined {
    if (this.limit === undefined || this.windowMs === undefined || this.resetAt === undefined)
      return undefined;
    return { limit: this.limit, windowMs: this.windowMs, resetAt: this.resetAt };
  }

  /** An answer about the window ending at `resetAt` to a call sent at `sentAt` that we had carried: it did not spill over. */
  private uncarry(resetAt: number, sentAt: number): void {
    const { from } = this.carry;
    if (from === undefined || Math.abs(resetAt - from) > SAME_WINDOW_TOLERANCE_MS) return;
    if (sentAt >= from || from - sentAt >= BOUNDARY_GUARD_MS) return;
    if (this.carry.pending > 0) {
      this.carry.pending -= 1;
    } else if (this.carry.applied > 0) {
      this.carry.applied -= 1;
      this.sentInWindow = Math.max(0, this.sentInWindow - 1);
    }
  }

  private pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /**
   * No process has published a budget: one process per probe slot sends one call — the rendezvous
   * winner among those admitted when the slot began (a set that does not grow during the slot, so there
   * is one winner), early enough in the slot for its budget to be published before the next one, and
   * only if its latest listing is from this slot: an older one could predate an earlier prober's
   * budget. Not in the last BOUNDARY_GUARD_MS of a second either, so that it lands in the window it
   * was sent in, which nobody else spends.
   */
  private probeWait(now: number): number {
    const slot = Math.floor(now / PROBE_SLOT_MS);
    const slotStart = slot * PROBE_SLOT_MS;
    const { members, self } = this.membersFor(slotStart);
    const prober =
      this.listedAt() >= slotStart &&
      now < slotStart + PROBE_SLOT_MS - PROBE_PUBLISH_MS &&
      winners(members, slot, 1).has(self);
    if (!prober) {
      // The prober publishes what it learns at once; reading it a heartbeat later would idle the budget.
      if (this.membersFor(now).members.includes(self)) this.onWaitingForBudget();
      return PROBE_POLL_MS;
    }
    const intoSecond = now % 1000;
    return intoSecond > 1000 - BOUNDARY_GUARD_MS ? 1000 - intoSecond : 0;
  }

  /**
   * This process's part of the current window (`ahead` 0) or the next one (1) (budget-split.ts); 0 when
   * it is not admitted to it.
   */
  private share(now: number, ahead: 0 | 1): number {
    const limit = this.limit ?? 0;
    const resetAt = this.resetAt ?? now;
    let membership: Membership;
    let index: number;
    if (this.windowMs === undefined) {
      membership = this.membersFor(now);
      index = Math.round(resetAt);
    } else {
      membership = this.membersFor(resetAt + (ahead - 1) * this.windowMs);
      index = Math.round(resetAt / this.windowMs) + ahead;
    }
    // Asked before every call by every waiting caller; the hashes change only with the members or the window.
    const known = this.shares[ahead];
    if (known?.membership === membership && known.index === index && known.limit === limit)
      return known.share;
    const share = shareOf(limit, membership, index);
    this.shares[ahead] = { membership, index, limit, share };
    return share;
  }

  /** Calls sent so close to the current window's reset that they count against the next one too. */
  private carried(): number {
    return this.carry.from === this.resetAt ? this.carry.pending : 0;
  }

  /** Moves to the window that contains `now`, when the window length is known. */
  private roll(now: number): void {
    if (this.resetAt === undefined || now < this.resetAt) return;
    let windows = 1;
    if (this.windowMs === undefined) {
      this.resetAt = undefined;
    } else {
      windows = Math.floor((now - this.resetAt) / this.windowMs) + 1;
      this.resetAt += windows * this.windowMs;
    }
    this.serverRemaining = undefined;
    // A carried call lands in the window right after the one it was sent in, or in none we still count.
    this.carry.applied = windows === 1 ? this.carry.pending : 0;
    this.carry.pending = 0;
    this.sentInWindow = this.carry.applied;
  }
}
