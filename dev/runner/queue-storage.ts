import type { QueueServiceClient } from "@azure/storage-queue";
import type { ReceivedMessageLike } from "./queue-logic.ts";

/**
 * I/O shell: the storage port of a queue listener, implemented over @azure/storage-queue for one
 * trigger's queue and the poison queues its failures go to.
 */

/** The storage operations a listener needs — an interface so the loop can be tested without storage. */
export interface QueueOps {
  ensureQueue(signal?: AbortSignal): Promise<void>;
  receive(
    count: number,
    visibilityTimeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<ReceivedMessageLike[]>;
  delete(messageId: string, popReceipt: string, signal?: AbortSignal): Promise<void>;
  /** Makes the message visible again after `visibilityTimeoutSeconds`, keeping its content. */
  release(
    messageId: string,
    popReceipt: string,
    rawText: string,
    visibilityTimeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Sends the raw (still encoded) message text to the poison queue, creating it if needed. */
  sendToPoison(poisonQueue: string, rawText: string, signal?: AbortSignal): Promise<void>;
}

export function storageQueueOps(service: QueueServiceClient, queueName: string): QueueOps {
  const queue = service.getQueueClient(queueName);
  const poisonCreated = new Set<string>();
  return {
    async ensureQueue(signal) {
      await queue.createIfNotExists({ abortSignal: signal });
    },
    async receive(count, visibilityTimeout, signal) {
      const response = await queue.receiveMessages({
        numberOfMessages: count,
        visibilityTimeout,
        abortSignal: signal,
      });
      return response.receivedMessageItems.map((m) => ({
        messageId: m.messageId,
        popReceipt: m.popReceipt,
        messageText: m.messageText,
        dequeueCount: m.dequeueCount,
        insertedOn: m.insertedOn,
        expiresOn: m.expiresOn,
        nextVisibleOn: m.nextVisibleOn,
      }));
    },
    async delete(messageId, popReceipt, signal) {
      await queue.deleteMessage(messageId, popReceipt, { abortSignal: signal });
    },
    async release(messageId, popReceipt, rawText, visibilityTimeout, signal) {
      await queue.updateMessage(messageId, popReceipt, rawText, visibilityTimeout, { abortSignal: signal });
    },
    async sendToPoison(poisonQueue, rawText, signal) {
      const poison = service.getQueueClient(poisonQueue);
      if (!poisonCreated.has(poisonQueue)) {
        await poison.createIfNotExists({ abortSignal: signal });
        poisonCreated.add(poisonQueue);
      }
      await poison.sendMessage(rawText, { abortSignal: signal });
    },
  };
}
