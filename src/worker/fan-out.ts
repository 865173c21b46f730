import type { QueueClient } from "@azure/storage-queue";
import pMap from "p-map";
import type { JobBundle } from "../changes/model.ts";
import { BATCH_WRITES_IN_FLIGHT } from "../changes/status-store.ts";
import { sendJob } from "../storage/messages.ts";

/**
 * A batch's bundle of jobs (accept.ts) becomes one job message per change (I/O shell). A failure
 * rethrows, so the host delivers the bundle again and it is sent whole once more: the jobs sent the
 * first time are then doubled, which the claim makes harmless (claim.ts). If the host gives up on it,
 * its changes stay `queued` without a job, and crash recovery sends each its own (design §4.7).
 */

export async function fanOut(bundle: JobBundle, jobsQueue: QueueClient): Promise<void> {
  await pMap(bundle.jobs, (job) => sendJob(jobsQueue, job), { concurrency: BATCH_WRITES_IN_FLIGHT });
}
