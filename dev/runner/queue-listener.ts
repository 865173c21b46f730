import { setTimeout as delay } from "node:timers/promises";
import type { QueuesOptions } from "./host-config.ts";
import type { Logger } from "./log.ts";
import { describeError } from "./log.ts";
import type { ReceivedMessageLike } from "./queue-logic.ts";
import {
  decideAfterFailure,
  decideBeforeInvoke,
  decodeMessageText,
  hostPoisonQueue,
  PollingBackoff,
  receiveCount,
  shouldFetchBatch,
} from "./queue-logic.ts";
import type { QueueOps } from "./queue-storage.ts";

/**
 * I/O shell: one queue trigger's loop with host.json `extensions.queues` semantics — batches of
 * `batchSize`, a new batch once in-flight ≤ `newBatchThreshold`, exponential back-off while empty
 * (100 ms → maxPollingInterval), delete on success, release after `visibilityTimeout` on failure,
 * `<queue>-poison` after `maxDequeueCount` deliveries. Every decision is queue-logic.ts's; storage is
 * reached only through `QueueOps` (queue-storage.ts), so the loop runs in tests against a fake queue.
 */

/** Received messages stay invisible this long while being processed (the host uses 10 minutes). */
export const RECEIVE_VISIBILITY_TIMEOUT_SECONDS = 600;

export type MessageProcessor = (
  message: ReceivedMessageLike,
  text: string,
  signal: AbortSignal,
) => Promise<void>;

export interface QueueListenerOptions {
  functionName: string;
  queueName: string;
  ops: QueueOps;
  queues: QueuesOptions;
  process: MessageProcessor;
  logger: Logger;
  /** Injectable for tests; must reject (or resolve) promptly when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  receiveVisibilityTimeoutSeconds?: number;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  delay(ms, undefined, { signal }).catch(() => undefined) as Promise<void>;

export class QueueListener {
  readonly #opts: QueueListenerOptions;
  readonly #stopPolling = new AbortController();
  /** Aborted only when stop()'s grace period runs out: lets in-flight work delete/release first. */
  readonly #stopWork = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #loop: Promise<void> | undefined;
  #lastError: string | undefined;
  #processed = 0;

  constructor(options: QueueListenerOptions) {
    this.#opts = options;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get processed(): number {
    return this.#processed;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling, waits for in-flight messages up to `graceMs`; resolves true if all finished. */
  async stop(graceMs = 30_000): Promise<boolean> {
    this.#stopPolling.abort();
    await this.#loop;
    if (this.#inFlight.size === 0) return true;
    const timeout = new AbortController();
    const drained = await Promise.race([
      Promise.allSettled([...this.#inFlight]).then(() => true),
      delay(graceMs, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    if (!drained) {
      this.#opts.logger.warn(
        this.#opts.functionName,
        `${this.#inFlight.size} message(s) still running after ${graceMs} ms; they become visible again later`,
      );
      this.#stopWork.abort();
    }
    return drained;
  }

  async #run(): Promise<void> {
    const { queues, ops, logger, functionName } = this.#opts;
    const sleep = this.#opts.sleep ?? defaultSleep;
    const signal = this.#stopPolling.signal;
    const backoff = new PollingBackoff(queues.maxPollingIntervalMs);
    const visibility = this.#opts.receiveVisibilityTimeoutSeconds ?? RECEIVE_VISIBILITY_TIMEOUT_SECONDS;
    const aborted = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    let ensured = false;
    while (!signal.aborted) {
      let wait = 0;
      try {
        if (!ensured) {
          await ops.ensureQueue(signal);
          ensured = true;
        }
        await this.#waitForCapacity(signal, aborted);
        if (signal.aborted) break;
        const messages = await ops.receive(receiveCount(queues.batchSize), visibility, signal);
        if (this.#lastError) {
          logger.info(functionName, `queue "${this.#opts.queueName}" reachable again`);
          this.#lastError = undefined;
        }
        for (const message of messages) {
          this.#track(this.#handle(message));
        }
        wait = backoff.delayAfter(messages.length > 0);
      } catch (error) {
        if (signal.aborted) break;
        const text = describeError(error);
        if (text !== this.#lastError) {
          logger.error(functionName, `polling queue "${this.#opts.queueName}" failed: ${text} (retrying)`);
          this.#lastError = text;
        }
        wait = Math.max(1000, backoff.delayAfterError());
      }
      if (wait > 0 && !signal.aborted) {
        await sleep(wait, signal).catch(() => undefined);
      }
    }
  }

  async #waitForCapacity(signal: AbortSignal, aborted: Promise<void>): Promise<void> {
    while (!signal.aborted && !shouldFetchBatch(this.#inFlight.size, this.#opts.queues.newBatchThreshold)) {
      await Promise.race([...this.#inFlight, aborted]);
    }
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error) => {
      this.#opts.logger.error(this.#opts.functionName, `unexpected: ${describeError(error)}`);
    });
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }

  async #handle(message: ReceivedMessageLike): Promise<void> {
    const { queues, ops, logger, functionName, queueName } = this.#opts;
    const work = this.#stopWork.signal;

    const before = decideBeforeInvoke(message.dequeueCount, queues.maxDequeueCount, queueName);
    if (before.action === "poison") {
      await this.#moveToPoison(
        message,
        before.poisonQueue,
        `dequeue count ${message.dequeueCount} already exceeds ${queues.maxDequeueCount}`,
      );
      return;
    }

    const decoded = decodeMessageText(message.messageText, queues.messageEncoding);
    if (!decoded.ok) {
      const poison = hostPoisonQueue(queueName);
      if (poison) {
        await this.#moveToPoison(message, poison, decoded.error);
      } else {
        logger.error(functionName, `message ${message.messageId}: ${decoded.error}`);
        await this.#release(message, Math.ceil(queues.visibilityTimeoutMs / 1000));
      }
      return;
    }

    try {
      await this.#opts.process(message, decoded.text, work);
    } catch {
      this.#processed++;
      const decision = decideAfterFailure(
        message.dequeueCount,
        queues.maxDequeueCount,
        queueName,
        queues.visibilityTimeoutMs,
      );
      if (decision.action === "poison") {
        await this.#moveToPoison(
          message,
          decision.poisonQueue,
          `failed ${message.dequeueCount} time(s) (maxDequeueCount ${queues.maxDequeueCount})`,
        );
      } else {
        await this.#release(message, decision.visibilityTimeoutSeconds);
      }
      return;
    }
    this.#processed++;
    try {
      await ops.delete(message.messageId, message.popReceipt, work);
    } catch (error) {
      logger.warn(functionName, `could not delete message ${message.messageId}: ${describeError(error)}`);
    }
  }

  async #release(message: ReceivedMessageLike, visibilityTimeoutSeconds: number) {
    try {
      await this.#opts.ops.release(
        message.messageId,
        message.popReceipt,
        message.messageText,
        visibilityTimeoutSeconds,
        this.#stopWork.signal,
      );
    } catch (error) {
      this.#opts.logger.warn(
        this.#opts.functionName,
        `could not release message ${message.messageId}: ${describeError(error)} (it becomes visible when its lease ends)`,
      );
    }
  }

  async #moveToPoison(message: ReceivedMessageLike, poisonQueue: string, why: string) {
    const { ops, logger, functionName } = this.#opts;
    try {
      await ops.sendToPoison(poisonQueue, message.messageText, this.#stopWork.signal);
      await ops.delete(message.messageId, message.popReceipt, this.#stopWork.signal);
      logger.warn(functionName, `message ${message.messageId} moved to "${poisonQueue}": ${why}`);
    } catch (error) {
      logger.error(
        functionName,
        `could not move message ${message.messageId} to "${poisonQueue}": ${describeError(error)}`,
      );
    }
  }
}
