/** Owners-API figures from the simulator: its counters, and the request log bucketed into rate windows. */
import type { SimulatorStats } from "../../dev/simulator/stats.ts";
import type { ApiEvent } from "./stack.ts";

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

export interface WindowUse {
  /** Rate windows wholly between the first and the last owners-API request. */
  fullWindows: number;
  /** Mean admitted (non-429) owners-API requests per full window ÷ the limit. */
  meanUse: number;
  /** Full windows using less than 90 % of the limit. */
  underused: number;
  /** Windows with at least one 429. */
  windowsWith429: number;
  /** Where the 429s fell: "window index from the first request: count", e.g. "#0: 6". */
  where429: string;
  firstAt?: number;
  lastAt?: number;
}

/** How well the budget was used, window by window (windows aligned to multiples of windowMs, as the simulator's). */
export function windowUse(events: ApiEvent[], limit: number, windowMs: number): WindowUse {
  const owners = events.filter((event) => event.owners && event.status !== undefined);
  if (owners.length === 0)
    return { fullWindows: 0, meanUse: 0, underused: 0, windowsWith429: 0, where429: "" };
  const admitted = new Map<number, number>();
  const refused = new Map<number, number>();
  let firstAt = Number.POSITIVE_INFINITY;
  let lastAt = 0;
  for (const event of owners) {
    const window = Math.floor(event.at / windowMs);
    firstAt = Math.min(firstAt, event.at);
    lastAt = Math.max(lastAt, event.at);
    if (event.status === 429) refused.set(window, (refused.get(window) ?? 0) + 1);
    else admitted.set(window, (admitted.get(window) ?? 0) + 1);
  }
  const first = Math.floor(firstAt / windowMs);
  const last = Math.floor(lastAt / windowMs);
  let fullWindows = 0;
  let used = 0;
  let underused = 0;
  for (let window = first + 1; window < last; window++) {
    fullWindows += 1;
    const n = admitted.get(window) ?? 0;
    used += n;
    if (n < 0.9 * limit) underused += 1;
  }
  return {
    fullWindows,
    meanUse: fullWindows === 0 ? 0 : used / fullWindows / limit,
    underused,
    windowsWith429: refused.size,
    where429: [...refused.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([window, n]) => `#${window - first}: ${n}`)
      .join(", "),
    firstAt,
    lastAt,
  };
}
