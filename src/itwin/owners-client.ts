import type { Clock } from "../clock.ts";
import { createAttempt } from "./attempt.ts";
import { type OwnersClient, ownerOperations } from "./owner-operations.ts";
import { PacingGate } from "./pacing.ts";
import { type BackoffOptions, DEFAULT_BACKOFF } from "./retry-timing.ts";
import { type ClientEvent, createSend } from "./send.ts";

/**
 * The iTwin Access Control v2 owners API client, put together from its steps:
 *
 *   operations (owner-operations.ts: add, list with paging, remove; what each answer means)
 *     → send (send.ts: the loop — attempt, one token refresh after a 401, retry as the policy says)
 *       → attempt (attempt.ts: token → pacing gate → ky → body → what it was)
 *       → decideRetry (retry-policy.ts: sleep here, hand the wait to the queue, or throw; pure)
 *
 * ky carries each request (timeouts, JSON, and an afterResponse hook that feeds the pacing gate), but
 * its retry is off. Not for want of headers: ky 1.14 reads `Retry-After`, `RateLimit-Reset` and
 * `X-Rate-Limit-Reset` (the seed's ISO form too) on a 413, 429 or 503. Ours differs in what it is for:
 *  1. pacing *before* a refusal: one gate per process, shared by all its calls, letting through this
 *     instance's share of a budget every instance draws on, and closed for every caller after one 429;
 *     ky's retry reacts per request, to the request that was refused;
 *  2. a wait longer than an invocation should sleep goes back to the queue as a RetryLaterError with
 *     its delay; ky sleeps through it, and `maxRetryAfter` can only cap it or `shouldRetry` give up;
 *  3. one sleep allowance per call for pacing and retry waits together, on an injected clock;
 *  4. the resend after a token refresh passes the gate again; ky's refresh pattern (`ky.retry()` from
 *     afterResponse) would resend inside ky, past it;
 *  5. a little jitter on a server-given wait, so callers told the same instant do not all arrive in its
 *     first millisecond (ky adds none to those).
 */

export type { AddOwnerResult, Member, OwnersClient, RemoveOwnerResult } from "./owner-operations.ts";
export type { ClientEvent } from "./send.ts";

/** The owner address under which an iTwin lists a service (client-credentials) application. */
export function serviceClientEmail(clientId: string): string {
  return `${clientId}@apps.imsoidc.bentley.com`.toLowerCase();
}

export interface OwnersClientOptions {
  baseUrl: string;
  getToken: () => Promise<string>;
  invalidateToken: (token: string) => void;
  timeoutMs: number;
  clock: Clock;
  /** Longest total sleep inside one call; beyond it the call throws RetryLaterError. */
  maxInlineWaitMs: number;
  /** Attempts inside one call before a transient failure is thrown as is. */
  maxInlineAttempts?: number;
  gate?: PacingGate;
  random?: () => number;
  backoff?: BackoffOptions;
  onEvent?: (event: ClientEvent) => void;
  /** For tests: another fetch implementation. */
  fetch?: typeof fetch;
}

export function createOwnersClient(options: OwnersClientOptions): OwnersClient {
  const gate = options.gate ?? new PacingGate();
  const attempt = createAttempt({
    getToken: options.getToken,
    timeoutMs: options.timeoutMs,
    clock: options.clock,
    gate,
    onPaced: (delayMs) => options.onEvent?.({ type: "paced", delayMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const send = createSend({
    attempt,
    invalidateToken: options.invalidateToken,
    gate,
    clock: options.clock,
    maxInlineWaitMs: options.maxInlineWaitMs,
    maxAttempts: options.maxInlineAttempts ?? 4,
    random: options.random ?? Math.random,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  return ownerOperations(send, options.baseUrl);
}
