import { app, type InvocationContext } from "@azure/functions";
import { fieldErrors, jobBundleSchema } from "../changes/model.ts";
import { systemClock } from "../clock.ts";
import { messageValue } from "../json.ts";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";
import { bundleQueueName } from "../storage/queue-rules.ts";
import { fanOut } from "../worker/fan-out.ts";
import { poisonTrigger } from "./poison.ts";

/**
 * A batch's bundle of jobs (design §2.1), sent on as single jobs to `owner-change-jobs`. A storage
 * failure is thrown, so the host delivers the bundle again; on its last delivery it is let go instead
 * of poisoned, because its changes are `queued` without a job, which crash recovery re-drives (§4.7).
 */
export async function fanOutJobBundles(message: unknown, context: InvocationContext): Promise<void> {
  const meta = context.triggerMetadata ?? {};
  const { storage, store, settings } = services();
  await services().ready();
  const bundle = jobBundleSchema.safeParse(messageValue(message));
  if (!bundle.success) {
    // Only the batch intake writes this queue, from validated records: a bad bundle is a bug or a stray
    // writer, kept for inspection beside the bad jobs.
    return poisonTrigger(
      storage.jobsPoisonQueue,
      context,
      message,
      "The bundle fails the job bundle schema",
      fieldErrors(bundle.error),
    );
  }
  const dequeueCount = Number(meta.dequeueCount ?? 1);
  const insertedAt = Date.parse(String(meta.insertionTime ?? ""));
  const log = invocationLogger(context, { dequeueCount });
  try {
    const result = await fanOut(
      bundle.data,
      { dequeueCount, insertedAt: Number.isNaN(insertedAt) ? 0 : insertedAt },
      {
        jobsQueue: storage.jobsQueue,
        store,
        clock: systemClock,
        trustedForMs: (settings.RECOVERY_AFTER_SECONDS * 1000) / 2,
      },
    );
    log.info("job bundle fanned out", { jobs: bundle.data.jobs.length, ...result });
  } catch (error) {
    if (dequeueCount < settings.QUEUE_MAX_DEQUEUE_COUNT) throw error;
    log.error("job bundle given up: crash recovery sends its queued changes their jobs", {
      jobs: bundle.data.jobs.length,
      error: (error as Error).message,
    });
  }
}

app.storageQueue("fanOutJobBundles", {
  queueName: bundleQueueName(services().settings.OWNER_CHANGE_JOBS_QUEUE),
  connection: "AzureWebJobsStorage",
  handler: fanOutJobBundles,
});
