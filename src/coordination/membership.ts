import type { Membership } from "../itwin/budget-split.ts";
import type { Budget } from "../itwin/pacing.ts";
import { admissionFor, admittedTo } from "./admission.ts";
import { type Health, mayDrop, nextHealth, UNKNOWN_HEALTH } from "./registry-health.ts";

/**
 * One process's view of the heartbeat table (pure core of the instance registry): what its row says,
 * what it makes of a listing, and which processes take a part of a given window. The registry
 * (instance-registry.ts) and the bench's scale simulation (bench/lib/scale-sim.ts) drive it, one over
 * Table Storage and one over a simulated table; neither adds logic of its own.
 *
 * A beat is: `rowFor` → upsert → `written` → list → `counted`; when `counted` says so, `rowFor` →
 * upsert → `written` once more (the first beat publishes the admission it decided).
 */

/** A heartbeat row as the table holds it. */
export interface HeartbeatRow {
  id: string;
  lastSeen: number;
  /** When the process first beat; absent in rows of versions before admission (they were sending). */
  joinedAt?: number;
  /** First window start it takes a part of (admission.ts); absent while pending. */
  admitFrom?: number;
  /** The budget it learned: limit, window length and a reset instant. */
  limit?: number;
  windowMs?: number;
  resetAt?: number;
}

export interface MembershipOptions {
  instanceId: string;
  heartbeatMs: number;
  /** A row older than this, at a beat's start, is a process that stopped without saying so. */
  staleMs: number;
}

export interface Counted {
  /** The best budget the table holds, to seed this process's gate with. */
  seed: Budget | undefined;
  /** Admission was decided by this count: write the row again before taking any part. */
  publish: boolean;
  /** Rows dead for so long (20 stale limits) that nobody needs their budget or claims any more. */
  purge: string[];
}

/** How much earlier than its peers a process counts itself out: its heartbeats may be late by this much. */
const SELF_MARGIN_MS = 500;

export class MembershipView {
  private joinedAt: number | undefined;
  private admitFrom: number | undefined;
  /** A row carrying `admitFrom` has been written: the others can see the admission. */
  private admissionWritten = false;
  private view = new Map<string, HeartbeatRow>();
  private health: Health = UNKNOWN_HEALTH;
  private lastOkBeatStart = Number.NEGATIVE_INFINITY;
  private latestListing = Number.NEGATIVE_INFINITY;
  /** Bumped whenever the view or this process's admission changes, to reuse `membersFor` answers. */
  private version = 0;
  private cached: { key: string; membership: Membership } | undefined;

  constructor(private readonly options: MembershipOptions) {}

  /** The row to upsert for a beat that starts at `now`, with the budget this process knows. */
  rowFor(now: number, budget: Budget | undefined): HeartbeatRow {
    this.joinedAt ??= now;
    const row: HeartbeatRow = { id: this.options.instanceId, lastSeen: now, joinedAt: this.joinedAt };
    if (this.admitFrom !== undefined) row.admitFrom = this.admitFrom;
    if (budget !== undefined) Object.assign(row, budget);
    return row;
  }

  /** `row` (from `rowFor`) is in the table. */
  written(row: HeartbeatRow): void {
    if (row.admitFrom !== undefined && !this.admissionWritten) {
      this.admissionWritten = true;
      this.version += 1;
    }
  }

  /**
   * A listing made by the beat that started at `beatStart` and ended at `listedAt`. `budget` is what
   * this process's gate knows; it fixes the window phase of an admission before the table's does.
   */
  counted(
    rows: readonly HeartbeatRow[],
    beatStart: number,
    listedAt: number,
    budget: Budget | undefined,
  ): Counted {
    const { heartbeatMs, staleMs, instanceId } = this.options;
    const seed = bestBudget(rows, beatStart, staleMs);
    const purge = rows.filter((row) => beatStart - row.lastSeen > 20 * staleMs).map((row) => row.id);
    // Beats may overlap (a refresh during a slow heartbeat): an older listing than one counted says less.
    if (beatStart < (this.health.lastBeatStart ?? Number.NEGATIVE_INFINITY)) {
      return { seed, publish: false, purge };
    }
    this.health = nextHealth(this.health, beatStart, listedAt, heartbeatMs);
    this.lastOkBeatStart = beatStart;
    this.latestListing = beatStart;
    const canDrop = mayDrop(this.health, beatStart, staleMs);
    const next = new Map<string, HeartbeatRow>();
    for (const row of rows) {
      if (row.id === instanceId) continue;
      const age = beatStart - row.lastSeen;
      // A row missing from the listing was deleted by a process that stopped: it goes at once. An old
      // row goes only when the registry is healthy (registry-health.ts), and a heartbeat after stale.
      if (age <= staleMs || (this.view.has(row.id) && !(canDrop && age > staleMs + heartbeatMs))) {
        next.set(row.id, row);
      }
    }
    this.view = next;
    this.version += 1;
    if (this.admitFrom !== undefined) return { seed, publish: false, purge };
    // The first count starts from an empty view, so `next` holds exactly the other live rows.
    const alone = next.size === 0;
    const joinedAt = this.joinedAt ?? beatStart;
    this.admitFrom = admissionFor({ joinedAt, alone, heartbeatMs, phase: budget ?? seed });
    return { seed, publish: true, purge };
  }

  /**
   * The processes that take a part of the window starting at `windowStart`, as seen at `now`. This
   * one only once its admission is written, and only while its own beats are recent: a process whose
   * heartbeats stopped landing may already be counted out by the others.
   */
  membersFor(windowStart: number, now: number): Membership {
    const { instanceId, heartbeatMs, staleMs } = this.options;
    const selfIn =
      this.admissionWritten &&
      this.admitFrom !== undefined &&
      this.admitFrom <= windowStart &&
      now - this.lastOkBeatStart <= staleMs + heartbeatMs - SELF_MARGIN_MS;
    const key = `${this.version}:${windowStart}:${selfIn}`;
    if (this.cached?.key === key) return this.cached.membership;
    const members = [...this.view.values()]
      .filter((row) => admittedTo(row, windowStart))
      .map((row) => row.id);
    if (selfIn) members.push(instanceId);
    members.sort();
    const membership: Membership = { members, self: instanceId };
    this.cached = { key, membership };
    return membership;
  }

  /** Start of the latest beat whose listing was counted. */
  listedAt(): number {
    return this.latestListing;
  }
}

/**
 * The budget to start from: among live rows the highest limit (`remaining + 1` only ever underestimates
 * it), else the most recent of the dead rows' (they keep it across a scale to zero).
 */
export function bestBudget(rows: readonly HeartbeatRow[], now: number, staleMs: number): Budget | undefined {
  let best: (Budget & { fresh: boolean; lastSeen: number }) | undefined;
  for (const row of rows) {
    const { limit, windowMs, resetAt, lastSeen } = row;
    if (limit === undefined || windowMs === undefined || resetAt === undefined) continue;
    const fresh = now - lastSeen <= staleMs;
    const better =
      best === undefined ||
      (fresh && (!best.fresh || limit > best.limit)) ||
      (!fresh && !best.fresh && lastSeen > best.lastSeen);
    if (better) best = { limit, windowMs, resetAt, fresh, lastSeen };
  }
  return best === undefined
    ? undefined
    : { limit: best.limit, windowMs: best.windowMs, resetAt: best.resetAt };
}
