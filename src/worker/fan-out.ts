import type { QueueClient } from "@azure/storage-queue";
import pMap from "p-map";
import { untaken } from "../changes/accept.ts";
import type { Job, JobBundle } from "../changes/model.ts";
import { BATCH_WRITES_IN_FLIGHT, type StatusStore } from "../changes/status-store.ts";
import type { Clock } from "../clock.ts";
import { sendJob } from "../storage/messages.ts";

/**
 * A batch's bundle of jobs (accept.ts) becomes one job message per change on the jobs queue (I/O shell;
 * design §2.1). A failure rethrows, so the host delivers the bundle again.
 *
 * A fresh bundle's changes cannot have been taken: their jobs are in it. A bundle delivered again, or one
 * older than `trustedForMs`, may have been overtaken — by its own first fan-out, or by crash
 * recovery, which gives a job to a queued change whose job it cannot see — so each change is read first,
 * and only one nobody has taken gets its job: a second job for a change waiting on a scheduled retry would
 * start it early.
 */

export interface BundleDelivery {
  dequeueCount: number;
  /** When the bundle was put on its queue, epoch ms. */
  insertedAt: number;
}

export interface FanOutDeps {
  jobsQueue: QueueClient;
  store: StatusStore;
  clock: Pick<Clock, "now">;
  /** Younger than this, no crash recovery can have re-driven the bundle's changes (half its wait). */
  trustedForMs: number;
}

export type FanOutResult = { sent: number; skipped: number };

export async function fanOut(
  bundle: JobBundle,
  delivery: BundleDelivery,
  deps: FanOutDeps,
): Promise<FanOutResult> {
  const trusted = delivery.dequeueCount === 1 && deps.clock.now() - delivery.insertedAt < deps.trustedForMs;
  const sent = await pMap(
    bundle.jobs,
    async (job: Job) => {
      if (!trusted) {
        const stored = await deps.store.get(job.requestId);
        if (stored === undefined || !untaken(stored.doc)) return false;
      }
      await sendJob(deps.jobsQueue, job);
      return true;
    },
    { concurrency: BATCH_WRITES_IN_FLIGHT },
  );
  const count = sent.filter(Boolean).length;
  return { sent: count, skipped: sent.length - count };
}
