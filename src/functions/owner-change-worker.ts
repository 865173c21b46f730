import { app, type InvocationContext } from "@azure/functions";
import { fieldErrors, jobSchema } from "../changes/model.ts";
import { systemClock } from "../clock.ts";
import { messageValue } from "../json.ts";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";
import { processJob } from "../worker/process-job.ts";
import { poisonTrigger } from "./poison.ts";

/** The worker on the internal `owner-change-jobs` queue (design §4). */
export async function ownerChangeWorker(message: unknown, context: InvocationContext): Promise<void> {
  const meta = context.triggerMetadata ?? {};
  const { storage, store, coordination, owners, directory, policy, locks, settings, registry, working } =
    services();
  await services().ready();
  // Only processes that call the API take a share of its budget, so only the worker registers.
  await registry.start();

  const parsed = jobSchema.safeParse(messageValue(message));
  if (!parsed.success) {
    // Only this app writes this queue (accept, reschedules, approvals, recovery), all from a validated
    // status document, so a bad job is a bug or a stray writer: keep it for inspection.
    return poisonTrigger(
      storage.jobsPoisonQueue,
      context,
      message,
      "The job fails the job schema",
      fieldErrors(parsed.error),
    );
  }
  const job = parsed.data;
  const log = invocationLogger(context, {
    requestId: job.requestId,
    correlationId: job.correlationId,
    attempt: job.attempt,
  });
  const result = await working.track(job.requestId, () =>
    processJob(
      job,
      {
        messageId: typeof meta.id === "string" ? meta.id : context.invocationId,
        dequeueCount: Number(meta.dequeueCount ?? 1),
        maxDequeueCount: settings.QUEUE_MAX_DEQUEUE_COUNT,
      },
      {
        store,
        coordination,
        owners,
        directory,
        jobsQueue: storage.jobsQueue,
        policy,
        people: services().people,
        locks,
        instanceId: registry.instanceId,
        clock: systemClock,
        maxAttempts: settings.RETRY_MAX_ATTEMPTS,
        log: log.info,
      },
    ),
  );
  log.info(`job ${result.kind}`, { ...result });
}

app.storageQueue("ownerChangeWorker", {
  queueName: services().settings.OWNER_CHANGE_JOBS_QUEUE,
  connection: "AzureWebJobsStorage",
  handler: ownerChangeWorker,
});
