import { RetryLaterError } from "./retry-later-error.ts";

/** This process's share of the rate budget is spent for longer than a call may sleep. Not a refusal. */
export class PacedWaitError extends RetryLaterError {
  override readonly name = "PacedWaitError";
  static readonly CODE = "RateLimitPaced";

  constructor(delayMs: number) {
    super(delayMs, { code: PacedWaitError.CODE, message: "waiting for the rate-limit window" });
  }
}
