import type { QueueClient } from "@azure/storage-queue";
import type { Job } from "../changes/model.ts";
import type { Clock } from "../clock.ts";
import { OwnersCallError } from "../itwin/errors/owners-call-error.ts";
import { RetryLaterError } from "../itwin/errors/retry-later-error.ts";
import { withJitter } from "../itwin/retry-timing.ts";
import { sendJob } from "../storage/messages.ts";
import type { Delivery } from "./claim.ts";
import { type ChangeRecord, changeError, type JobResult, unexpected } from "./record.ts";

/**
 * What a failed attempt becomes (I/O shell): a retry scheduled on the jobs queue (a wait the API asked
 * for, or our turn), a failed change (a permanent refusal, or the attempts are spent), or — for a
 * transient failure — the error rethrown, so the host redelivers the message and, after its last
 * delivery, moves it to the poison queue; the record says so first.
 */

export interface FailureDeps {
  jobsQueue: QueueClient;
  maxAttempts: number;
  random: () => number;
  clock: Clock;
}

export async function settleFailure(
  error: unknown,
  job: Job,
  record: ChangeRecord,
  delivery: Delivery,
  deps: FailureDeps,
): Promise<JobResult> {
  if (error instanceof RetryLaterError) return reschedule(job, record, error, delivery, deps);
  if (error instanceof OwnersCallError && !error.transient) return record.fail(changeError(error));
  if (isLastDelivery(delivery)) {
    const cause = error instanceof OwnersCallError ? changeError(error) : unexpected(error);
    const note = `gave up after ${delivery.dequeueCount} deliveries; job moved to the poison queue`;
    await record.fail(cause, note).catch(() => undefined);
  }
  throw error;
}

async function reschedule(
  job: Job,
  record: ChangeRecord,
  error: RetryLaterError,
  delivery: Delivery,
  deps: FailureDeps,
): Promise<JobResult> {
  // Waiting for our own share of the budget, or our turn, is not a failed attempt: nothing was refused.
  const counts = error.countsAsAttempt;
  if (counts && job.attempt >= deps.maxAttempts) {
    return record.fail(
      changeError(error.failure ?? error),
      `gave up after ${job.attempt} scheduled attempts`,
    );
  }
  const delayMs = withJitter(error.delayMs, deps.random);
  // Record first, then enqueue. If the enqueue fails, the host redelivers this message — unless this
  // was its last delivery: then the record says failed rather than waiting for a job that never comes.
  const at = new Date(deps.clock.now() + delayMs).toISOString();
  await record.save("queued", { retryAt: at, note: `retry scheduled for ${at}: ${error.code}` });
  try {
    await sendJob(deps.jobsQueue, { ...job, attempt: counts ? job.attempt + 1 : job.attempt }, delayMs);
  } catch (sendError) {
    if (isLastDelivery(delivery)) {
      await record.fail(unexpected(sendError), "the retry could not be queued").catch(() => undefined);
    }
    throw sendError;
  }
  return { kind: "rescheduled", delayMs };
}

function isLastDelivery(delivery: Delivery): boolean {
  return delivery.dequeueCount >= delivery.maxDequeueCount;
}
