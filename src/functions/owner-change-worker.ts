import { app, type InvocationContext } from "@azure/functions";
import { messageText } from "../changes/intake.ts";
import { fieldErrors, jobSchema } from "../changes/model.ts";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";
import { sendPoison } from "../storage/messages.ts";
import { processJob } from "../worker/process-job.ts";

/** The worker on the internal `owner-change-jobs` queue (design §4). */
export async function ownerChangeWorker(message: unknown, context: InvocationContext): Promise<void> {
  const meta = context.triggerMetadata ?? {};
  const { storage, store, owners, directory, policy, settings } = services();
  await services().ready();
  const original = typeof meta.queueTrigger === "string" ? meta.queueTrigger : messageText(message);

  const parsed = jobSchema.safeParse(typeof message === "string" ? safeJson(message) : message);
  if (!parsed.success) {
    // Only `accept` writes this queue, so a bad job is a bug or a stray writer: keep it for inspection.
    const errors = fieldErrors(parsed.error);
    await sendPoison(storage.jobsPoisonQueue, {
      reason: "The job fails the job schema",
      errors,
      original,
      ...(typeof meta.id === "string" ? { messageId: meta.id } : {}),
      dequeueCount: Number(meta.dequeueCount ?? 1),
      poisonedAt: new Date().toISOString(),
      function: context.functionName,
    });
    invocationLogger(context).warn("job moved to the poison queue", { errors });
    return;
  }
  const job = parsed.data;
  const log = invocationLogger(context, {
    requestId: job.requestId,
    correlationId: job.correlationId,
    attempt: job.attempt,
  });
  const result = await processJob(
    job,
    { dequeueCount: Number(meta.dequeueCount ?? 1), maxDequeueCount: settings.QUEUE_MAX_DEQUEUE_COUNT },
    {
      store,
      owners,
      directory,
      jobsQueue: storage.jobsQueue,
      policy,
      now: () => new Date(),
      maxAttempts: settings.RETRY_MAX_ATTEMPTS,
      log: log.info,
    },
  );
  log.info(`job ${result.kind}`, { ...result });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

app.storageQueue("ownerChangeWorker", {
  queueName: services().settings.OWNER_CHANGE_JOBS_QUEUE,
  connection: "AzureWebJobsStorage",
  handler: ownerChangeWorker,
});
