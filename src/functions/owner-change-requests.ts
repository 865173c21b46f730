import { app, type InvocationContext } from "@azure/functions";
import { acceptChange } from "../changes/accept.ts";
import { messageText, parseQueueRequest } from "../changes/intake.ts";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";
import { sendPoison } from "../storage/messages.ts";

/**
 * The public `owner-change-requests` queue: the same accept path as HTTP. A message that can never
 * be valid goes to the poison queue at once with the reason; a storage failure is thrown, so the host
 * retries it and, after `maxDequeueCount`, poisons it itself.
 */
export async function ownerChangeRequestsIntake(message: unknown, context: InvocationContext): Promise<void> {
  const meta = context.triggerMetadata ?? {};
  const messageId = typeof meta.id === "string" ? meta.id : undefined;
  const correlationId = messageId ?? context.invocationId;
  const log = invocationLogger(context, { correlationId, messageId });
  const { storage, store } = services();
  await services().ready();

  const original = typeof meta.queueTrigger === "string" ? meta.queueTrigger : messageText(message);
  const poison = async (reason: string, errors?: { path: string; message: string }[]) => {
    await sendPoison(storage.requestsPoisonQueue, {
      reason,
      ...(errors === undefined ? {} : { errors }),
      original,
      ...(messageId === undefined ? {} : { messageId }),
      dequeueCount: Number(meta.dequeueCount ?? 1),
      poisonedAt: new Date().toISOString(),
      function: context.functionName,
    });
    log.warn("owner-change request moved to the poison queue", { reason, errors });
  };

  const parsed = parseQueueRequest(message);
  if (!parsed.ok) return poison(parsed.reason, parsed.errors);

  const result = await acceptChange(
    { change: parsed.change, via: "queue", correlationId },
    { store, jobsQueue: storage.jobsQueue, now: () => new Date() },
  );
  if (result.kind === "key-reused") {
    return poison(`The id was already used for a different request (${result.doc.id})`);
  }
  log.info(`owner change ${result.kind}`, {
    requestId: result.doc.id,
    itwinId: result.doc.itwinId,
    action: result.doc.action,
  });
}

app.storageQueue("ownerChangeRequestsIntake", {
  queueName: services().settings.OWNER_CHANGE_REQUESTS_QUEUE,
  connection: "AzureWebJobsStorage",
  handler: ownerChangeRequestsIntake,
});
