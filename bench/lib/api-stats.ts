/** Owners-API figures from the simulator: its counters, and its rate-limit decisions bucketed into its windows. */
import type { SimulatorStats } from "../../dev/simulator/stats.ts";
import type { LimiterDecision } from "./stack.ts";

export interface OwnersApiCounts {
  /** Owners-API requests (token and discovery calls excluded). */
  requests: number;
  /** Answered 429 (by the rate limiter or injected). */
  tooMany: number;
  /** The simulator's own count of rate-limiter refusals. */
  rateLimited: number;
  byMethod: Record<string, number>;
  byStatus: Record<string, number>;
  tokensIssued: number;
}

export function ownersApiCounts(stats: SimulatorStats): OwnersApiCounts {
  const out: OwnersApiCounts = {
    requests: 0,
    tooMany: 0,
    rateLimited: stats.rateLimited,
    byMethod: {},
    byStatus: {},
    tokensIssued: stats.tokensIssued,
  };
  for (const [route, routeStats] of Object.entries(stats.byRoute)) {
    const [method = "?", path = ""] = route.split(" ");
    if (!path.startsWith("/accesscontrol/")) continue;
    out.requests += routeStats.requests;
    out.byMethod[method] = (out.byMethod[method] ?? 0) + routeStats.requests;
    for (const [status, n] of Object.entries(routeStats.byStatus)) {
      out.byStatus[status] = (out.byStatus[status] ?? 0) + n;
      if (status === "429") out.tooMany += n;
    }
  }
  return out;
}

export interface BudgetUse {
  /** Owners-API requests the limiter counted (admitted or refused). */
  requests: number;
  /**
   * Rate windows from the one holding the first owners-API request to the one holding the last, both
   * included: the budget the run occupied, whether or not each window was filled.
   */
  windowsSpanned: number;
  /** Admitted and refused requests per window, index 0 = the window of the first request. */
  perWindow: { admitted: number; refused: number }[];
  /** Windows strictly between the first and the last (the edges may be partly outside the run). */
  innerWindows: number;
  /** Mean admitted requests per inner window ÷ the limit. */
  innerMeanUse: number;
  /** Inner windows using less than 90 % of the limit. */
  underused: number;
  /** Windows with at least one 429. */
  windowsWith429: number;
  firstAt?: number;
  lastAt?: number;
  /** Start of the first and of the last window (epoch ms). */
  firstWindowStart?: number;
  lastWindowStart?: number;
}

/**
 * How the run used the client's budget, window by window, from the simulator's own rate-limit decisions
 * (its windows are aligned to multiples of windowMs from the epoch: `windowStart` in
 * dev/simulator/rate-limit.ts). Only decisions for `clientId` count.
 */
export function budgetUse(
  decisions: readonly LimiterDecision[],
  clientId: string,
  limit: number,
  windowMs: number,
): BudgetUse {
  const mine = decisions.filter((decision) => decision.clientId === clientId);
  if (mine.length === 0) {
    return {
      requests: 0,
      windowsSpanned: 0,
      perWindow: [],
      innerWindows: 0,
      innerMeanUse: 0,
      underused: 0,
      windowsWith429: 0,
    };
  }
  let firstAt = Number.POSITIVE_INFINITY;
  let lastAt = Number.NEGATIVE_INFINITY;
  let firstWindowStart = Number.POSITIVE_INFINITY;
  let lastWindowStart = Number.NEGATIVE_INFINITY;
  for (const decision of mine) {
    firstAt = Math.min(firstAt, decision.at);
    lastAt = Math.max(lastAt, decision.at);
    firstWindowStart = Math.min(firstWindowStart, decision.windowStart);
    lastWindowStart = Math.max(lastWindowStart, decision.windowStart);
  }
  const windowsSpanned = Math.round((lastWindowStart - firstWindowStart) / windowMs) + 1;
  const perWindow = Array.from({ length: windowsSpanned }, () => ({ admitted: 0, refused: 0 }));
  for (const decision of mine) {
    const slot = perWindow[Math.round((decision.windowStart - firstWindowStart) / windowMs)];
    if (slot === undefined) continue;
    if (decision.allowed) slot.admitted += 1;
    else slot.refused += 1;
  }
  const inner = perWindow.slice(1, -1);
  const innerUsed = inner.reduce((sum, window) => sum + window.admitted, 0);
  return {
    requests: mine.length,
    windowsSpanned,
    perWindow,
    innerWindows: inner.length,
    innerMeanUse: inner.length === 0 ? 0 : innerUsed / inner.length / limit,
    underused: inner.filter((window) => window.admitted < 0.9 * limit).length,
    windowsWith429: perWindow.filter((window) => window.refused > 0).length,
    firstAt,
    lastAt,
    firstWindowStart,
    lastWindowStart,
  };
}

/** The per-window table in one line: "#0 37 · #1 50 · #2 48+2×429 · …" (admitted, then refused if any). */
export function formatPerWindow(use: BudgetUse): string {
  return use.perWindow
    .map((window, i) => `#${i} ${window.admitted}${window.refused > 0 ? `+${window.refused}×429` : ""}`)
    .join(" · ");
}
