import type { InvocationContext } from "@azure/functions";
import type { QueueClient } from "@azure/storage-queue";
import { messageText } from "../changes/intake.ts";
import type { FieldError } from "../changes/model.ts";
import { invocationLogger } from "../observability/log.ts";
import { sendPoison } from "../storage/messages.ts";

/**
 * Moves the triggering queue message to a poison queue at once, with the reason beside the message
 * exactly as it arrived (the host's raw text when it has it), so it can be fixed and replayed.
 */
export async function poisonTrigger(
  queue: QueueClient,
  context: InvocationContext,
  message: unknown,
  reason: string,
  errors?: FieldError[],
): Promise<void> {
  const meta = context.triggerMetadata ?? {};
  await sendPoison(queue, {
    reason,
    ...(errors === undefined ? {} : { errors }),
    original: typeof meta.queueTrigger === "string" ? meta.queueTrigger : messageText(message),
    ...(typeof meta.id === "string" ? { messageId: meta.id } : {}),
    dequeueCount: Number(meta.dequeueCount ?? 1),
    poisonedAt: new Date().toISOString(),
    function: context.functionName,
  });
  invocationLogger(context).warn(`message moved to ${queue.name}`, { reason, errors });
}
