/**
 * When a new worker process may start taking a part of the budget (pure; docs/rate-limits.md).
 *
 * The others learn of a new process only at their next heartbeat, so a process that sent at once would
 * spend a part nobody subtracted from theirs. It joins with a part of zero: its first beat writes its row
 * as *pending*, lists, and then publishes `admitFrom`, the first window start at least one heartbeat
 * (plus a margin for late timers and slow listings) after it joined. By then every live peer has
 * listed the row and counts it for that window and after. A process that finds no other live row is
 * admitted at once, for every window: upsert-then-list means two processes starting together cannot
 * both find themselves alone.
 */

/** admitFrom of a process admitted for every window, the current one included. */
export const ALWAYS = 0;
/** Added to a heartbeat before admission: timers firing late and listings taking a while. */
export const ADMISSION_MARGIN_MS = 1_000;

/** A window length and any instant at which one ended, which fixes where windows start. */
export interface WindowPhase {
  windowMs: number;
  resetAt: number;
}

/**
 * `admitFrom` for a process that joined at `joinedAt`: ALWAYS when it is alone, else the first window
 * start at or after one heartbeat and the margin, or that instant itself when no window is known yet.
 */
export function admissionFor(options: {
  joinedAt: number;
  alone: boolean;
  heartbeatMs: number;
  phase: WindowPhase | undefined;
}): number {
  if (options.alone) return ALWAYS;
  const notBefore = options.joinedAt + options.heartbeatMs + ADMISSION_MARGIN_MS;
  const { phase } = options;
  if (phase === undefined) return notBefore;
  return phase.resetAt + Math.ceil((notBefore - phase.resetAt) / phase.windowMs) * phase.windowMs;
}

/**
 * Whether a row's process takes a part of the window starting at `windowStart`. A row without
 * `joinedAt` comes from a version of the app before admission existed: it was sending already.
 */
export function admittedTo(row: { joinedAt?: number; admitFrom?: number }, windowStart: number): boolean {
  const admitFrom = row.admitFrom ?? (row.joinedAt === undefined ? ALWAYS : Number.POSITIVE_INFINITY);
  return admitFrom <= windowStart;
}
