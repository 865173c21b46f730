import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Counts the 429 answers retried on behalf of one job. The owners client is shared by every job of a
 * process, so the count follows the job's async context rather than an argument through every call;
 * a listing served to others from the owner-directory cache counts for the job that made the call.
 */
const current = new AsyncLocalStorage<{ count: number }>();

/** Runs one job with a count of its own, starting at 0. */
export function countingRateLimitRetries<T>(run: () => Promise<T>): Promise<T> {
  return current.run({ count: 0 }, run);
}

/** The retry loop (send.ts) calls this for each 429 it retries, inline or through the queue. */
export function noteRateLimitRetry(): void {
  const counter = current.getStore();
  if (counter !== undefined) counter.count++;
}

/** 429 retries so far in the running job (0 outside one). */
export function rateLimitRetriesSoFar(): number {
  return current.getStore()?.count ?? 0;
}
