import type { Clock } from "../clock.ts";
import type { InlineAllowance } from "./retry-policy.ts";

/**
 * The sleeping one call may do in all (RETRY_MAX_INLINE_WAIT_MS): waits for the pacing gate and waits
 * before a retry draw on the same allowance, so a call never holds its invocation longer than that.
 */
export class InlineBudget implements InlineAllowance {
  #sleptMs = 0;

  constructor(
    readonly maxMs: number,
    private readonly clock: Clock,
  ) {}

  get sleptMs(): number {
    return this.#sleptMs;
  }

  async sleep(ms: number): Promise<void> {
    this.#sleptMs += ms;
    await this.clock.sleep(ms);
  }
}
