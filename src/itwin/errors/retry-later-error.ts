import { OwnersCallError } from "./owners-call-error.ts";

/** Why a wait that refused nothing was needed: our own share of the budget, or another change's turn. */
export interface WaitReason {
  code: string;
  message: string;
}

/**
 * The next attempt should happen later than one invocation should sleep: the worker re-enqueues the
 * work with this delay instead of holding an instance (and a queue lease) idle. Built from a failure
 * (the API refused or did not answer: counts as an attempt) or from a wait reason (nothing was refused:
 * does not count).
 */
export class RetryLaterError extends Error {
  override readonly name: string = "RetryLaterError";
  readonly code: string;
  /** The refusal behind the wait; undefined when we only waited for our share or our turn. */
  readonly failure: OwnersCallError | undefined;

  constructor(
    readonly delayMs: number,
    reason: OwnersCallError | WaitReason,
  ) {
    const failure = reason instanceof OwnersCallError ? reason : undefined;
    super(
      `retry in ${delayMs} ms: ${reason.message}`,
      failure === undefined ? undefined : { cause: failure },
    );
    this.code = reason.code;
    this.failure = failure;
  }

  get countsAsAttempt(): boolean {
    return this.failure !== undefined;
  }
}
