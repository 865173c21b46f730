import { setTimeout as delay } from "node:timers/promises";

/**
 * Polls `check` every `intervalMs` until it returns something other than undefined/false, and returns
 * that. Rejects naming `what` after `timeoutMs`, or at once when `abortIf` gives a reason (e.g. the
 * process being waited for died): waiting is bounded and never relies on a lucky sleep.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 50,
  abortIf?: () => string | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    const reason = abortIf?.();
    if (reason !== undefined) throw new Error(`gave up waiting for ${what}: ${reason}`);
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}
