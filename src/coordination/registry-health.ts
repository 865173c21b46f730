/**
 * Whether this process may believe what the heartbeat table says about others' absence (pure).
 *
 * A peer whose row has not been updated for a while is either dead or behind a storage stall that
 * delays everybody's writes, ours included: dropping it in the second case gives every survivor a
 * larger share at once and overshoots the budget (every count collapsed to 1 after a stall). So a count
 * is *trusted* only when its own beat (upsert + listing) was quick, and peers are dropped only after an
 * unbroken run of trusted counts at least as long as the stale limit: then a row still old was not
 * delayed, its process stopped. Upserts stalled in a queue can land out of order and leave an old
 * `lastSeen` behind, which is why one quick count is not enough.
 */

export interface Health {
  /** Start of the first beat of the current unbroken run of trusted counts; undefined when there is none. */
  healthySince: number | undefined;
  /** Start of the latest beat counted. */
  lastBeatStart: number | undefined;
}

export const UNKNOWN_HEALTH: Health = { healthySince: undefined, lastBeatStart: undefined };

/** The health after a beat that started at `beatStart` and whose listing ended at `listedAt`. */
export function nextHealth(health: Health, beatStart: number, listedAt: number, heartbeatMs: number): Health {
  const trusted = listedAt - beatStart <= heartbeatMs / 2;
  // Beats further apart than this left a gap (a frozen process, a missed timer) in which anything happened.
  const unbroken =
    health.lastBeatStart !== undefined && beatStart - health.lastBeatStart <= 1.5 * heartbeatMs;
  let healthySince: number | undefined;
  if (trusted) healthySince = unbroken && health.healthySince !== undefined ? health.healthySince : beatStart;
  return { healthySince, lastBeatStart: beatStart };
}

/** A row this old (by `beatStart`) may be dropped: the registry has been healthy for a whole stale limit. */
export function mayDrop(health: Health, beatStart: number, staleMs: number): boolean {
  return health.healthySince !== undefined && beatStart - health.healthySince >= staleMs;
}
