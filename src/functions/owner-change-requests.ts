import { app, type InvocationContext } from "@azure/functions";
import { acceptChange } from "../changes/accept.ts";
import { parseQueueRequest } from "../changes/intake.ts";
import { systemClock } from "../clock.ts";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";
import { poisonTrigger } from "./poison.ts";

/**
 * The public `owner-change-requests` queue: the same accept path as HTTP. A message that can never
 * be valid goes to the poison queue at once with the reason; a storage failure is thrown, so the host
 * retries it and, after `maxDequeueCount`, poisons it itself.
 */
export async function ownerChangeRequestsIntake(message: unknown, context: InvocationContext): Promise<void> {
  const meta = context.triggerMetadata ?? {};
  const messageId = typeof meta.id === "string" ? meta.id : undefined;
  const correlationId = messageId ?? context.invocationId;
  const { storage, store } = services();
  await services().ready();

  const parsed = parseQueueRequest(message);
  if (!parsed.ok)
    return poisonTrigger(storage.requestsPoisonQueue, context, message, parsed.reason, parsed.errors);

  // A message without the sender's own id is keyed by the queue message id, so that its redelivery
  // (after a failure between our insert and our enqueue, or a lost delete) is the same request.
  const result = await acceptChange(
    {
      change: parsed.change,
      via: "queue",
      correlationId,
      ...(parsed.change.id === undefined && messageId !== undefined
        ? { idempotencyKey: `msg:${messageId}` }
        : {}),
    },
    { store, jobsQueue: storage.jobsQueue, clock: systemClock },
  );
  if (result.kind === "key-reused") {
    const reason = `The id was already used for a different request (${result.doc.id})`;
    return poisonTrigger(storage.requestsPoisonQueue, context, message, reason);
  }
  invocationLogger(context, { correlationId, messageId }).info(`owner change ${result.kind}`, {
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
