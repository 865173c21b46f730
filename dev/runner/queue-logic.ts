import {
  type Base64TextResult,
  decodeBase64Text,
  isPoisonQueue,
  isValidQueueName,
  poisonQueueName,
} from "../../src/storage/queue-rules.ts";
import type { MessageEncoding } from "./host-config.ts";
import { MIN_POLLING_INTERVAL_MS } from "./host-config.ts";

/**
 * The decisions the queue trigger makes, as pure functions: decoding, what the handler receives,
 * when to fetch, how long to wait, and when a message is poison. queue-listener.ts does the I/O.
 */

/**
 * `messageEncoding: "base64"` (the default) means every message body is base64 of UTF-8 text; a body
 * that isn't cannot be decoded (the host moves such a message to the poison queue). `"none"` hands
 * the text over as is.
 */
export function decodeMessageText(raw: string, encoding: MessageEncoding): Base64TextResult {
  if (encoding === "none") {
    return { ok: true, text: raw };
  }
  const decoded = decodeBase64Text(raw);
  return decoded.ok
    ? decoded
    : { ok: false, error: `${decoded.error} (host.json messageEncoding is "base64")` };
}

/** The inverse, for output bindings and tests. */
export function encodeMessageText(text: string, encoding: MessageEncoding): string {
  return encoding === "base64" ? Buffer.from(text, "utf8").toString("base64") : text;
}

/** Like the Node worker's `fromRpcTypedData`: parsed JSON if the text is JSON, else the string. */
export function toTriggerInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Where the host moves this queue's failures: `<queue>-poison`, or nowhere for a poison queue. */
export function hostPoisonQueue(queueName: string): string | undefined {
  return isPoisonQueue(queueName) ? undefined : poisonQueueName(queueName);
}

export type PreInvokeDecision = { action: "process" } | { action: "poison"; poisonQueue: string };

/**
 * Before invoking: a message that was already delivered more often than allowed (an earlier run died
 * before it could move it) goes straight to the poison queue, as the host does.
 */
export function decideBeforeInvoke(
  dequeueCount: number,
  maxDequeueCount: number,
  queueName: string,
): PreInvokeDecision {
  const poisonQueue = hostPoisonQueue(queueName);
  if (dequeueCount > maxDequeueCount && poisonQueue) {
    return { action: "poison", poisonQueue };
  }
  return { action: "process" };
}

export type FailureDecision =
  | { action: "poison"; poisonQueue: string }
  | { action: "release"; visibilityTimeoutSeconds: number };

/** After a failed invocation: poison at `maxDequeueCount`, else visible again after `visibilityTimeout`. */
export function decideAfterFailure(
  dequeueCount: number,
  maxDequeueCount: number,
  queueName: string,
  visibilityTimeoutMs: number,
): FailureDecision {
  const poisonQueue = hostPoisonQueue(queueName);
  if (dequeueCount >= maxDequeueCount && poisonQueue) {
    return { action: "poison", poisonQueue };
  }
  return { action: "release", visibilityTimeoutSeconds: Math.max(0, Math.ceil(visibilityTimeoutMs / 1000)) };
}

/**
 * A new batch is fetched once no more than `newBatchThreshold` messages are in flight, so at most
 * `batchSize + newBatchThreshold` run at once (the documented bound).
 */
export function shouldFetchBatch(inFlight: number, newBatchThreshold: number): boolean {
  return inFlight <= newBatchThreshold;
}

/** How many messages to ask for: the batch size (the queue service caps one receive at 32). */
export function receiveCount(batchSize: number): number {
  return Math.max(1, Math.min(32, batchSize));
}

/**
 * Empty-queue back-off: wait 100 ms after the first empty receive, doubling per further empty receive
 * up to `maxPollingInterval`; any message resets it (and the next receive happens right away).
 */
export class PollingBackoff {
  #next = MIN_POLLING_INTERVAL_MS;
  constructor(readonly maxMs: number) {}

  /** The delay before the next receive, given whether the last receive returned messages. */
  delayAfter(gotMessages: boolean): number {
    if (gotMessages) {
      this.#next = MIN_POLLING_INTERVAL_MS;
      return 0;
    }
    const delay = Math.min(this.#next, Math.max(MIN_POLLING_INTERVAL_MS, this.maxMs));
    this.#next = Math.min(this.#next * 2, Math.max(MIN_POLLING_INTERVAL_MS, this.maxMs));
    return delay;
  }

  /** After an error talking to storage: back off as if empty. */
  delayAfterError(): number {
    return this.delayAfter(false);
  }
}

/** The sequence of delays for `n` consecutive empty receives (for docs and tests). */
export function backoffSequence(maxMs: number, n: number): number[] {
  const b = new PollingBackoff(maxMs);
  return Array.from({ length: n }, () => b.delayAfter(false));
}

export interface ReceivedMessageLike {
  messageId: string;
  popReceipt: string;
  messageText: string;
  dequeueCount: number;
  insertedOn: Date;
  expiresOn: Date;
  nextVisibleOn: Date;
}

export interface QueueTriggerMetadata {
  dequeueCount: number;
  id: string;
  insertionTime: string;
  expirationTime: string;
  nextVisibleTime: string;
  popReceipt: string;
  queueTrigger: string;
  [key: string]: unknown;
}

/** Trigger metadata as the Node library exposes it (first letter lower-cased). */
export function buildTriggerMetadata(message: ReceivedMessageLike, text: string): QueueTriggerMetadata {
  return {
    dequeueCount: message.dequeueCount,
    id: message.messageId,
    insertionTime: message.insertedOn.toISOString(),
    expirationTime: message.expiresOn.toISOString(),
    nextVisibleTime: message.nextVisibleOn.toISOString(),
    popReceipt: message.popReceipt,
    queueTrigger: text,
  };
}

/**
 * Resolves `%SETTING%` binding expressions (the whole value or parts of it) from app settings.
 * Lookup is exact first, then case-insensitive (Windows app settings are case-insensitive).
 */
export function resolveBindingExpression(
  expression: string,
  env: Record<string, string | undefined>,
): string {
  return expression.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = lookupSetting(env, name);
    if (value === undefined || value === "") {
      throw new Error(`app setting "${name}" (used as %${name}%) is not set`);
    }
    return value;
  });
}

export function lookupSetting(env: Record<string, string | undefined>, name: string): string | undefined {
  if (env[name] !== undefined) {
    return env[name];
  }
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(env)) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

/** Azure's queue name rule, checked up front so a bad name fails at start-up, not on first poll. */
export function validateQueueName(name: string): string | undefined {
  if (!isValidQueueName(name)) {
    return `"${name}" is not a valid queue name (3-63 characters: lower-case letters, digits, single hyphens)`;
  }
  return undefined;
}
