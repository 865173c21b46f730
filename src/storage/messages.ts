import { Buffer } from "node:buffer";
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

/**
 * The most one bundle may measure (`escapedBytes`). Azure takes 64 KiB a message; the SDK sends the text
 * inside XML, and whether the limit counts it before or after escaping is not ours to rely on.
 */
export const MAX_BUNDLE_BYTES = 60 * 1024;

/** UTF-8 bytes of the text once escaped for XML, the most an entity may add for each character. */
export function escapedBytes(text: string): number {
  let extra = 0;
  for (const char of text) {
    if (char === "&") extra += 4;
    else if (char === "<" || char === ">") extra += 3;
    else if (char === '"' || char === "'") extra += 5;
  }
  return Buffer.byteLength(text) + extra;
}

/** A bundle's text around its jobs' texts (jobBundleSchema). */
const bundleText = (jobTexts: readonly string[]) => `{"v":1,"jobs":[${jobTexts.join(",")}]}`;

/** Jobs in as few bundle messages as their size allows, in order. Pure. */
export function jobBundles(jobs: readonly Job[], maxBytes = MAX_BUNDLE_BYTES): string[] {
  const frame = escapedBytes(bundleText([]));
  const messages: string[] = [];
  let current: string[] = [];
  let bytes = frame;
  for (const job of jobs) {
    const text = JSON.stringify(job);
    // One more for the comma before it.
    const size = escapedBytes(text) + 1;
    if (current.length > 0 && bytes + size > maxBytes) {
      messages.push(bundleText(current));
      current = [];
      bytes = frame;
    }
    current.push(text);
    bytes += size;
  }
  if (current.length > 0) messages.push(bundleText(current));
  return messages;
}

/**
 * Sends a batch's jobs: a lone job straight to the jobs queue, more as bundles to the bundles queue
 * (design §2.1), the messages side by side.
 */
export async function sendJobs(
  queues: { jobsQueue: QueueClient; jobBundlesQueue: QueueClient },
  jobs: readonly Job[],
): Promise<void> {
  if (jobs.length === 1) return sendJob(queues.jobsQueue, jobs[0] as Job);
  await Promise.all(jobBundles(jobs).map((text) => queues.jobBundlesQueue.sendMessage(text)));
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
