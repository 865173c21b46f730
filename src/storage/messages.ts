import type { QueueClient } from "@azure/storage-queue";
import type { Job } from "../changes/model.ts";

/** Azure caps a message's initial invisibility at seven days. */
const MAX_VISIBILITY_SECONDS = 7 * 24 * 60 * 60;

/**
 * host.json sets `messageEncoding: "none"`, so the Functions host hands a message's text over as is:
 * we send plain JSON (the SDK's sendMessage does not encode either).
 */
export async function sendJob(queue: QueueClient, job: Job, delayMs = 0): Promise<void> {
  const visibilityTimeout = Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(delayMs / 1000));
  await queue.sendMessage(JSON.stringify(job), visibilityTimeout > 0 ? { visibilityTimeout } : {});
}

export interface PoisonEnvelope {
  reason: string;
  errors?: readonly { path: string; message: string }[];
  /** The message exactly as it arrived, so it can be fixed and replayed. */
  original: string;
  messageId?: string;
  dequeueCount?: number;
  poisonedAt: string;
  function: string;
}

/**
 * A message we can never process goes to the poison queue at once, with the reason beside the original
 * text — retrying a message that is not JSON five times would only delay the same answer.
 */
export async function sendPoison(queue: QueueClient, envelope: PoisonEnvelope): Promise<void> {
  await queue.sendMessage(JSON.stringify(envelope));
}
