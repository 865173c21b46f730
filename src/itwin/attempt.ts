import ky from "ky";
import type { Clock } from "../clock.ts";
import { ApiError } from "./errors/api-error.ts";
import { describeErrorBody } from "./errors/describe-error-body.ts";
import { NetworkError } from "./errors/network-error.ts";
import { OwnersCallError } from "./errors/owners-call-error.ts";
import { PacedWaitError } from "./errors/paced-wait-error.ts";
import type { InlineBudget } from "./inline-budget.ts";
import type { PacingGate } from "./pacing.ts";
import { fitsInline } from "./retry-policy.ts";
import { type RateLimitState, readRateLimit } from "./retry-timing.ts";

/**
 * One attempt at one request (I/O shell): token → pacing gate → ky → body → what it was. It decides
 * nothing about retrying; it says what happened, and the loop (send.ts) asks the policy what next.
 */

const ACCEPT_V2 = "application/vnd.bentley.itwin-platform.v2+json";

export interface ApiRequest {
  method: "GET" | "POST" | "DELETE";
  url: string;
  json?: unknown;
}

/** What the API answered: a success, or a refusal only the operation can read (409 on add, 404 on remove). */
export type Answer =
  | { ok: true; status: number; text: string; correlationId?: string }
  | { ok: false; refusal: ApiError; detailCodes: readonly string[] };

export type AttemptOutcome =
  | { kind: "answered"; answer: Answer }
  /** 401: the token was refused; `answer` is that refusal, for when a new token will not be tried. */
  | { kind: "unauthorized"; token: string; answer: Answer }
  /** Worth another try (transient), or a token we could not get; `rateLimit` from the answer's headers. */
  | { kind: "failed"; failure: OwnersCallError; rateLimit: RateLimitState };

export type Attempt = (request: ApiRequest, budget: InlineBudget) => Promise<AttemptOutcome>;

export interface AttemptOptions {
  getToken: () => Promise<string>;
  timeoutMs: number;
  clock: Clock;
  gate: PacingGate;
  /** Told of every sleep spent waiting for the gate. */
  onPaced: (delayMs: number) => void;
  fetch?: typeof fetch;
}

/**
 * An attempt returns what happened; it throws only PacedWaitError, when the gate's wait outgrows what
 * the call may still sleep: nothing was sent, and the queue should bring the work back later.
 */
export function createAttempt(options: AttemptOptions): Attempt {
  const { clock, gate } = options;
  const api = ky.create({
    timeout: options.timeoutMs,
    // Retrying is ours (send.ts): ky's would resend past the pacing gate and sleep through every wait.
    retry: 0,
    throwHttpErrors: false,
    headers: { accept: ACCEPT_V2 },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    hooks: {
      // Every answer, error statuses included, corrects the gate's picture of the budget and ends the
      // claim `take` made.
      afterResponse: [
        (_request, { context }, response) =>
          gate.observe(
            readRateLimit(response.headers, clock.now()),
            clock.now(),
            typeof context.sentAt === "number" ? context.sentAt : undefined,
          ),
      ],
    },
  });

  /**
   * Waits for the gate, re-checking after each sleep: callers woken together by a new window compete
   * for its share, and the losers wait again.
   */
  async function waitForGate(budget: InlineBudget): Promise<void> {
    for (let paced = gate.waitTime(clock.now()); paced > 0; paced = gate.waitTime(clock.now())) {
      if (!fitsInline(budget, paced)) throw new PacedWaitError(paced);
      options.onPaced(paced);
      await budget.sleep(paced);
    }
  }

  return async (request, budget) => {
    // The token first: a refresh must not sit between the pacing check and the claim, or every caller
    // waiting on it would pass the check and then all send at once.
    let token: string;
    try {
      token = await options.getToken();
    } catch (error) {
      // A wrong secret is permanent (the policy throws it); IMS being unreachable is retried.
      return failed(error instanceof OwnersCallError ? error : NetworkError.from(error));
    }
    await waitForGate(budget);
    const sentAt = clock.now();
    gate.take(sentAt);
    let response: Response | undefined;
    let text: string;
    try {
      response = await api(request.url, {
        method: request.method,
        headers: { authorization: `Bearer ${token}` },
        // ky's own timeout ends when the headers arrive; this one also bounds reading the body.
        signal: AbortSignal.timeout(options.timeoutMs),
        // The gate tells a call sent just before a window's end by its claim time (pacing.ts).
        context: { sentAt },
        ...(request.json === undefined ? {} : { json: request.json }),
      });
      text = await response.text();
    } catch (error) {
      // A response that arrived was already counted by the afterResponse hook.
      if (response === undefined) gate.release();
      return failed(NetworkError.from(error));
    }
    return classify(response, text, token, clock.now());
  };
}

function failed(failure: OwnersCallError, rateLimit: RateLimitState = {}): AttemptOutcome {
  return { kind: "failed", failure, rateLimit };
}

/** Reads an error body once, here: the refusal carries its code, message and detail codes onwards. */
function classify(response: Response, text: string, token: string, now: number): AttemptOutcome {
  const correlationId = response.headers.get("x-correlation-id") ?? undefined;
  if (response.ok) {
    return { kind: "answered", answer: { ok: true, status: response.status, text, correlationId } };
  }
  const { code, message, detailCodes } = describeErrorBody(response.status, text);
  const refusal = new ApiError(response.status, code, message, correlationId);
  if (refusal.transient) return failed(refusal, readRateLimit(response.headers, now));
  const answer: Answer = { ok: false, refusal, detailCodes };
  return response.status === 401 ? { kind: "unauthorized", token, answer } : { kind: "answered", answer };
}
