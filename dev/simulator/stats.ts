/**
 * Request counters for tests and benchmarks. Admin endpoints are not counted, so reading the stats does
 * not change them.
 */

export interface RouteStats {
  requests: number;
  byStatus: Record<number, number>;
}

export interface SimulatorStats {
  /** Requests to the token endpoint, discovery and the owners API (not admin). */
  requests: number;
  byStatus: Record<number, number>;
  /** Keyed by method and route template, e.g. "POST /accesscontrol/itwins/{id}/members/owners". */
  byRoute: Record<string, RouteStats>;
  /** Requests refused with 429 by the rate limiter (injected 429s are counted in faultsInjected). */
  rateLimited: number;
  /** Responses, resets and stalls produced by fault injection. */
  faultsInjected: number;
  /** Connections destroyed on purpose by a `reset` fault. */
  connectionResets: number;
  /** Requests handled (writes applied) whose answer a `loseReply` fault cut off. */
  repliesLost: number;
  tokensIssued: number;
  /** Requests being handled right now, and the most seen at once since the last reset. */
  inFlight: number;
  maxInFlight: number;
}

export class StatsRecorder {
  #stats: SimulatorStats = StatsRecorder.#empty();

  static #empty(): SimulatorStats {
    return {
      requests: 0,
      byStatus: {},
      byRoute: {},
      rateLimited: 0,
      faultsInjected: 0,
      connectionResets: 0,
      repliesLost: 0,
      tokensIssued: 0,
      inFlight: 0,
      maxInFlight: 0,
    };
  }

  started(): void {
    this.#stats.requests += 1;
    this.#stats.inFlight += 1;
    this.#stats.maxInFlight = Math.max(this.#stats.maxInFlight, this.#stats.inFlight);
  }

  /** A request left (answered or not); `status` undefined when no response was sent (reset, client gone). */
  finished(route: string, status: number | undefined): void {
    this.#stats.inFlight = Math.max(0, this.#stats.inFlight - 1);
    const routeStats = this.#stats.byRoute[route] ?? { requests: 0, byStatus: {} };
    this.#stats.byRoute[route] = routeStats;
    routeStats.requests += 1;
    if (status !== undefined) {
      this.#stats.byStatus[status] = (this.#stats.byStatus[status] ?? 0) + 1;
      routeStats.byStatus[status] = (routeStats.byStatus[status] ?? 0) + 1;
    }
  }

  rateLimited(): void {
    this.#stats.rateLimited += 1;
  }

  faultInjected(kind: "respond" | "reset" | "stall" | "lose-reply"): void {
    this.#stats.faultsInjected += 1;
    if (kind === "reset") this.#stats.connectionResets += 1;
    if (kind === "lose-reply") this.#stats.repliesLost += 1;
  }

  tokenIssued(): void {
    this.#stats.tokensIssued += 1;
  }

  snapshot(): SimulatorStats {
    return structuredClone(this.#stats);
  }

  /** Zeroes the counters; requests still in flight stay counted as in flight. */
  reset(): void {
    const inFlight = this.#stats.inFlight;
    this.#stats = StatsRecorder.#empty();
    this.#stats.inFlight = inFlight;
    this.#stats.maxInFlight = inFlight;
  }
}
