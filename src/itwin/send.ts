import type { Clock } from "../clock.ts";
import type { Answer, ApiRequest, Attempt, AttemptOutcome } from "./attempt.ts";
import { ApiError } from "./errors/api-error.ts";
import { RetryLaterError } from "./errors/retry-later-error.ts";
import { InlineBudget } from "./inline-budget.ts";
import type { PacingGate } from "./pacing.ts";
import { noteRateLimitRetry } from "./rate-limit-retries.ts";
import { decideRetry } from "./retry-policy.ts";
import type { BackoffOptions } from "./retry-timing.ts";

/**
 * One request to the owners API with its retries (I/O shell): attempts (attempt.ts) until one is
 * answered, a token refresh after a 401, and between failed attempts whatever the policy
 * (retry-policy.ts) decides — the same split as ky's `_retry` around `_fetch` and
 * `_calculateRetryDelay`.
 */

export type ClientEvent =
  | {
      type: "retry";
      method: string;
      url: string;
      httpStatus?: number;
      code: string;
      delayMs: number;
      attempt: number;
    }
  | { type: "paced"; delayMs: number };

export type Send = (request: ApiRequest) => Promise<Answer>;

export interface SendOptions {
  attempt: Attempt;
  invalidateToken: (token: string) => void;
  gate: PacingGate;
  clock: Clock;
  maxInlineWaitMs: number;
  maxAttempts: number;
  random: () => number;
  backoff: BackoffOptions;
  onEvent?: (event: ClientEvent) => void;
}

type Failed = Extract<AttemptOutcome, { kind: "failed" }>;

export function createSend(options: SendOptions): Send {
  const { clock } = options;

  /**
   * After a failed attempt: sleeps and returns when the policy says to try again here, else throws the
   * failure or a RetryLaterError for the queue.
   */
  async function waitToRetry(request: ApiRequest, failed: Failed, attempt: number, budget: InlineBudget) {
    const now = clock.now();
    const { failure } = failed;
    const decision = decideRetry({
      failure,
      attempt,
      maxAttempts: options.maxAttempts,
      rateLimit: failed.rateLimit,
      now,
      inline: budget,
      random: options.random,
      backoff: options.backoff,
    });
    // The owners API refused us: every caller in this process waits too, not only this one.
    if (failure instanceof ApiError && failure.httpStatus === 429 && decision.delayMs !== undefined) {
      options.gate.refused(now + decision.delayMs);
    }
    if (decision.kind === "throw") throw failure;
    if (failure.httpStatus === 429) noteRateLimitRetry();
    if (decision.kind === "later") throw new RetryLaterError(decision.delayMs, failure);
    options.onEvent?.({
      type: "retry",
      method: request.method,
      url: request.url,
      code: failure.code,
      delayMs: decision.delayMs,
      attempt,
      ...(failure.httpStatus === undefined ? {} : { httpStatus: failure.httpStatus }),
    });
    await budget.sleep(decision.delayMs);
  }

  return async (request) => {
    const budget = new InlineBudget(options.maxInlineWaitMs, clock);
    let tokenRefreshed = false;
    // Ends: the policy throws once `attempt` reaches maxAttempts.
    for (let attempt = 1; ; attempt++) {
      let outcome = await options.attempt(request, budget);
      if (outcome.kind === "unauthorized" && !tokenRefreshed) {
        // An expired or revoked token: once per request, the same attempt again with a new token.
        tokenRefreshed = true;
        options.invalidateToken(outcome.token);
        outcome = await options.attempt(request, budget);
      }
      if (outcome.kind !== "failed") return outcome.answer;
      await waitToRetry(request, outcome, attempt, budget);
    }
  };
}
