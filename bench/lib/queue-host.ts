/**
 * An in-process model of what the Functions host does with a queue-triggered function, for comparing two
 * ways of writing its body under the same delivery rules (the `naive` scenario). Every value comes from
 * the project's host.json (`extensions.queues`):
 *
 *  - at most `batchSize + newBatchThreshold` messages are processed at once (the host fetches a batch of
 *    `batchSize` and fetches more when fewer than `newBatchThreshold` are left);
 *  - an invocation that throws leaves the message on the queue: it becomes visible again
 *    `visibilityTimeout` later, and after `maxDequeueCount` deliveries it goes to the poison queue
 *    (the change is not completed);
 *  - an invocation may instead ask for the work to come back after a delay (what the worker does with a
 *    RetryLaterError: it enqueues the job again with that visibility delay). Such a re-enqueue is counted
 *    as a delivery too, against the same `maxDequeueCount` — stricter than the real worker, whose
 *    re-enqueued message starts a new dequeue count and is bounded by RETRY_MAX_ATTEMPTS (8) instead.
 *
 * Not modelled, for both sides alike: the host's polling delay (up to `maxPollingInterval` when the
 * queue looks empty) and the storage calls around each invocation. A message is picked up the moment it
 * is visible.
 */
import { join } from "node:path";
import { loadHostJson } from "../../dev/runner/host-config.ts";
import { REPO_ROOT } from "../../dev/stack/paths.ts";

export interface QueueHostConfig {
  batchSize: number;
  newBatchThreshold: number;
  /** Messages processed at once by one host instance: batchSize + newBatchThreshold. */
  concurrency: number;
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
}

/** `extensions.queues` of the project's host.json, read as the local runner reads it (with the host's defaults). */
export async function readQueueHostConfig(path = join(REPO_ROOT, "host.json")): Promise<QueueHostConfig> {
  const { batchSize, newBatchThreshold, visibilityTimeoutMs, maxDequeueCount } = (await loadHostJson(path))
    .queues;
  return {
    batchSize,
    newBatchThreshold,
    concurrency: batchSize + newBatchThreshold,
    visibilityTimeoutMs,
    maxDequeueCount,
  };
}

/** What one invocation did with its message. */
export type Invocation =
  | { kind: "completed" }
  /** The function threw: the host redelivers after visibilityTimeout (or poisons after maxDequeueCount). */
  | { kind: "threw"; reason: string }
  /** The function re-enqueued the work with a visibility delay (the worker's answer to RetryLaterError). */
  | { kind: "reenqueued"; delayMs: number; reason: string }
  /** The function recorded a final failure and returned: no redelivery, not completed. */
  | { kind: "failed"; reason: string };

export interface HostRun {
  completed: number;
  /** maxDequeueCount deliveries used without completing. */
  poisoned: number;
  failed: number;
  /** Still waiting or running when the deadline passed (0 in a normal run). */
  unfinished: number;
  /** Invocations in all (first deliveries, redeliveries and re-enqueued ones). */
  deliveries: number;
  redeliveries: number;
  reenqueues: number;
  /** Why invocations did not complete: reason → count. */
  reasons: Record<string, number>;
  /** From the start until the last change was completed, failed or poisoned (or the deadline). */
  wallMs: number;
  maxDeliveriesOfOneChange: number;
}

interface Message<T> {
  item: T;
  deliveries: number;
  visibleAt: number;
}

/**
 * Runs every item through `invoke` under the host's rules (see the module comment) until each is
 * completed, failed or poisoned, or `deadlineMs` (epoch ms) passes. Bounded: each item is invoked at most
 * maxDequeueCount times.
 */
export async function runQueueHost<T>(
  items: readonly T[],
  config: QueueHostConfig,
  invoke: (item: T) => Promise<Invocation>,
  deadlineMs: number,
): Promise<HostRun> {
  const started = Date.now();
  const queue: Message<T>[] = items.map((item) => ({ item, deliveries: 0, visibleAt: started }));
  const run: HostRun = {
    completed: 0,
    poisoned: 0,
    failed: 0,
    unfinished: 0,
    deliveries: 0,
    redeliveries: 0,
    reenqueues: 0,
    reasons: {},
    wallMs: 0,
    maxDeliveriesOfOneChange: 0,
  };
  let running = 0;
  let lastEndedAt = started;
  // Lanes idle on this promise until a message becomes visible or another lane changes the queue.
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const notify = () => {
    const previous = wake;
    changed = new Promise<void>((resolve) => {
      wake = resolve;
    });
    previous();
  };
  const ended = (at: number) => {
    lastEndedAt = Math.max(lastEndedAt, at);
  };

  const lane = async (): Promise<void> => {
    for (;;) {
      const now = Date.now();
      if (now >= deadlineMs) return;
      let pick = -1;
      for (let i = 0; i < queue.length; i++) {
        const message = queue[i] as Message<T>;
        if (
          message.visibleAt <= now &&
          (pick < 0 || message.visibleAt < (queue[pick] as Message<T>).visibleAt)
        ) {
          pick = i;
        }
      }
      if (pick >= 0) {
        const [message] = queue.splice(pick, 1) as [Message<T>];
        message.deliveries += 1;
        run.deliveries += 1;
        run.maxDeliveriesOfOneChange = Math.max(run.maxDeliveriesOfOneChange, message.deliveries);
        running += 1;
        let outcome: Invocation;
        try {
          outcome = await invoke(message.item);
        } catch (error) {
          outcome = { kind: "threw", reason: (error as Error).name ?? "Error" };
        }
        running -= 1;
        const at = Date.now();
        if (outcome.kind === "completed") {
          run.completed += 1;
          ended(at);
        } else if (outcome.kind === "failed") {
          run.failed += 1;
          run.reasons[outcome.reason] = (run.reasons[outcome.reason] ?? 0) + 1;
          ended(at);
        } else {
          run.reasons[outcome.reason] = (run.reasons[outcome.reason] ?? 0) + 1;
          if (message.deliveries >= config.maxDequeueCount) {
            run.poisoned += 1;
            ended(at);
          } else if (outcome.kind === "threw") {
            run.redeliveries += 1;
            queue.push({ ...message, visibleAt: at + config.visibilityTimeoutMs });
          } else {
            run.reenqueues += 1;
            queue.push({ ...message, visibleAt: at + outcome.delayMs });
          }
        }
        notify();
        continue;
      }
      if (queue.length === 0 && running === 0) return;
      // Nothing visible: sleep until the next message becomes visible, a lane changes the queue, or the deadline.
      const nextVisible = queue.reduce((min, message) => Math.min(min, message.visibleAt), deadlineMs);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        changed,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.max(1, Math.min(nextVisible, deadlineMs) - now));
        }),
      ]);
      clearTimeout(timer);
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.min(config.concurrency, items.length)) }, lane));
  run.unfinished = queue.length + running;
  run.wallMs = (run.unfinished > 0 ? Math.max(Date.now(), deadlineMs) : lastEndedAt) - started;
  return run;
}
