import { setTimeout as delay } from "node:timers/promises";
import type { QueueClient } from "@azure/storage-queue";
import { QueueServiceClient } from "@azure/storage-queue";

/**
 * Queue helpers for driving and observing a local stack's storage (tests, bench): send exactly the
 * bytes you mean, and wait for messages by polling the queue (short intervals, hard deadline) instead
 * of sleeping and hoping.
 */

export interface ReceivedTestMessage {
  id: string;
  /** The message body exactly as stored (not decoded). */
  text: string;
  dequeueCount: number;
  insertedOn: Date;
}

const services = new Map<string, QueueServiceClient>();

export function queueClient(connectionString: string, queue: string): QueueClient {
  let service = services.get(connectionString);
  if (!service) {
    service = QueueServiceClient.fromConnectionString(connectionString, {
      retryOptions: { maxTries: 2, tryTimeoutInMs: 10_000 },
    });
    services.set(connectionString, service);
  }
  return service.getQueueClient(queue);
}

/** Sends `text` as the message body, unchanged (creates the queue if missing). Returns the message id. */
export async function sendRaw(connectionString: string, queue: string, text: string): Promise<string> {
  const client = queueClient(connectionString, queue);
  await client.createIfNotExists();
  const sent = await client.sendMessage(text);
  return sent.messageId;
}

/** Sends `text` base64-encoded, as a producer must when host.json messageEncoding is "base64". */
export function sendBase64(connectionString: string, queue: string, text: string): Promise<string> {
  return sendRaw(connectionString, queue, Buffer.from(text, "utf8").toString("base64"));
}

async function receiveBatch(client: QueueClient): Promise<ReceivedTestMessage[]> {
  if (!(await client.exists())) return [];
  const response = await client.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
  const out: ReceivedTestMessage[] = [];
  for (const m of response.receivedMessageItems) {
    await client.deleteMessage(m.messageId, m.popReceipt);
    out.push({
      id: m.messageId,
      text: m.messageText,
      dequeueCount: m.dequeueCount,
      insertedOn: m.insertedOn,
    });
  }
  return out;
}

export interface ReceiveAllOptions {
  /** Upper bound for the whole call. Default 0: drain what is visible now and return. */
  timeoutMs?: number;
  /** Stop as soon as this returns true for the texts received so far (checked after every receive). */
  until?: (texts: string[]) => boolean;
  /** Pause between empty receives. Default 50 ms. */
  intervalMs?: number;
}

/**
 * Receives (and deletes) messages from `queue` and returns their raw texts. Without `until`, it
 * collects everything that becomes visible within `timeoutMs` (default: one drain, no waiting); with
 * `until`, it returns as soon as `until(texts)` holds, or at the deadline with whatever arrived.
 */
export async function receiveAll(
  connectionString: string,
  queue: string,
  options: ReceiveAllOptions = {},
): Promise<string[]> {
  const { timeoutMs = 0, intervalMs = 50, until } = options;
  const client = queueClient(connectionString, queue);
  const deadline = Date.now() + timeoutMs;
  // Draining keeps going while messages come back, but never more than 10 s past the deadline.
  const hardStop = deadline + 10_000;
  const texts: string[] = [];
  for (;;) {
    const batch = await receiveBatch(client);
    texts.push(...batch.map((m) => m.text));
    if (until?.(texts)) return texts;
    if (batch.length > 0 && Date.now() < hardStop) continue;
    if (Date.now() >= deadline) return texts;
    await delay(intervalMs);
  }
}

/**
 * Polls `queue` (receiving and deleting) until `count` messages arrived; rejects after `timeoutMs`
 * with what did arrive. Returns exactly the messages received (possibly more than `count`).
 */
export async function waitForMessages(
  connectionString: string,
  queue: string,
  count: number,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<ReceivedTestMessage[]> {
  const client = queueClient(connectionString, queue);
  const deadline = Date.now() + timeoutMs;
  const all: ReceivedTestMessage[] = [];
  for (;;) {
    all.push(...(await receiveBatch(client)));
    if (all.length >= count) return all;
    if (Date.now() >= deadline) {
      throw new Error(
        `expected ${count} message(s) on "${queue}" within ${timeoutMs} ms, got ${all.length}: ${JSON.stringify(all.map((m) => m.text))}`,
      );
    }
    await delay(intervalMs);
  }
}

/** Approximate number of messages in a queue (0 if it doesn't exist). */
export async function approximateCount(connectionString: string, queue: string): Promise<number> {
  const client = queueClient(connectionString, queue);
  if (!(await client.exists())) return 0;
  const props = await client.getProperties();
  return props.approximateMessagesCount ?? 0;
}
