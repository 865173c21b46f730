import { describe, expect, it, vi } from "vitest";
import type { QueuesOptions } from "../../../dev/runner/host-config.ts";
import { Logger } from "../../../dev/runner/log.ts";
import type { MessageProcessor } from "../../../dev/runner/queue-listener.ts";
import { QueueListener } from "../../../dev/runner/queue-listener.ts";
import type { ReceivedMessageLike } from "../../../dev/runner/queue-logic.ts";
import type { QueueOps } from "../../../dev/runner/queue-storage.ts";

/**
 * The listener loop against an in-memory queue and an injected sleep: no storage, no real time.
 * `events` records what the loop did, in order.
 */

interface StoredMessage {
  id: string;
  text: string;
  dequeueCount: number;
  visible: boolean;
}

class FakeQueue implements QueueOps {
  readonly messages: StoredMessage[] = [];
  readonly poison = new Map<string, string[]>();
  readonly events: string[] = [];
  readonly receiveSizes: number[] = [];
  ensureCalls = 0;
  failNextReceives = 0;
  private seq = 0;

  add(text: string, dequeueCount = 0) {
    this.messages.push({ id: `m${++this.seq}`, text, dequeueCount, visible: true });
  }

  async ensureQueue() {
    this.ensureCalls++;
  }

  async receive(count: number): Promise<ReceivedMessageLike[]> {
    this.receiveSizes.push(count);
    if (this.failNextReceives > 0) {
      this.failNextReceives--;
      this.events.push("receive:error");
      throw new Error("connect ECONNREFUSED");
    }
    const batch = this.messages.filter((m) => m.visible).slice(0, count);
    for (const m of batch) {
      m.visible = false;
      m.dequeueCount++;
    }
    this.events.push(`receive:${batch.length}`);
    const now = new Date();
    return batch.map((m) => ({
      messageId: m.id,
      popReceipt: `pop-${m.id}-${m.dequeueCount}`,
      messageText: m.text,
      dequeueCount: m.dequeueCount,
      insertedOn: now,
      expiresOn: now,
      nextVisibleOn: now,
    }));
  }

  async delete(messageId: string) {
    this.events.push(`delete:${messageId}`);
    const i = this.messages.findIndex((m) => m.id === messageId);
    if (i >= 0) this.messages.splice(i, 1);
  }

  async release(messageId: string, _pop: string, _raw: string, visibilityTimeoutSeconds: number) {
    this.events.push(`release:${messageId}:${visibilityTimeoutSeconds}s`);
    const m = this.messages.find((x) => x.id === messageId);
    if (m) m.visible = true;
  }

  async sendToPoison(poisonQueue: string, rawText: string) {
    this.events.push(`poison:${poisonQueue}`);
    this.poison.set(poisonQueue, [...(this.poison.get(poisonQueue) ?? []), rawText]);
  }
}

const options = (overrides: Partial<QueuesOptions> = {}): QueuesOptions => ({
  batchSize: 16,
  newBatchThreshold: 8,
  maxPollingIntervalMs: 1000,
  visibilityTimeoutMs: 0,
  maxDequeueCount: 5,
  messageEncoding: "none",
  ...overrides,
});

function setup(queue: FakeQueue, process: MessageProcessor, queues = options(), queueName = "jobs") {
  const sleeps: number[] = [];
  const lines: string[] = [];
  const logger = new Logger({}, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  const listener = new QueueListener({
    functionName: "worker",
    queueName,
    ops: queue,
    queues,
    logger,
    process,
    // Injected clock: record the delay, then yield without waiting.
    sleep: async (ms) => {
      sleeps.push(ms);
      queue.events.push(`sleep:${ms}`);
      await new Promise((r) => setImmediate(r));
    },
  });
  return { listener, sleeps, lines };
}

describe("QueueListener", () => {
  it("creates the queue once and backs off 100 ms → maxPollingInterval while it is empty", async () => {
    const queue = new FakeQueue();
    const { listener, sleeps } = setup(queue, async () => {});
    listener.start();
    await vi.waitFor(() => expect(sleeps.length).toBeGreaterThanOrEqual(7));
    await listener.stop();
    expect(queue.ensureCalls).toBe(1);
    expect(sleeps.slice(0, 7)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it("hands over decoded text, deletes on success and polls again at once after a non-empty receive", async () => {
    const queue = new FakeQueue();
    queue.add('{"n":1}');
    const seen: unknown[] = [];
    const { listener } = setup(queue, async (message, text) => {
      seen.push({ text, dequeueCount: message.dequeueCount });
    });
    listener.start();
    await vi.waitFor(() => expect(queue.events).toContain("sleep:100"));
    await listener.stop();
    expect(seen).toEqual([{ text: '{"n":1}', dequeueCount: 1 }]);
    const firstSleep = queue.events.indexOf("sleep:100");
    expect(queue.events.slice(0, firstSleep)).toEqual(
      expect.arrayContaining(["receive:1", "delete:m1", "receive:0"]),
    );
    expect(queue.events.indexOf("receive:1")).toBe(0);
    expect(queue.messages).toEqual([]);
  });

  it("releases failures with visibilityTimeout and poisons at maxDequeueCount", async () => {
    const queue = new FakeQueue();
    queue.add("boom");
    const attempts: number[] = [];
    const { listener, lines } = setup(
      queue,
      async (message) => {
        attempts.push(message.dequeueCount);
        throw new Error("handler failed");
      },
      options({ maxDequeueCount: 3, visibilityTimeoutMs: 2000 }),
    );
    listener.start();
    await vi.waitFor(() => expect(queue.poison.get("jobs-poison")).toEqual(["boom"]));
    await listener.stop();
    expect(attempts).toEqual([1, 2, 3]);
    expect(queue.events.filter((e) => e.startsWith("release:"))).toEqual(["release:m1:2s", "release:m1:2s"]);
    expect(queue.events).toContain("delete:m1");
    expect(queue.messages).toEqual([]);
    expect(lines.join("\n")).toMatch(/moved to "jobs-poison": failed 3 time\(s\)/);
  });

  it("poisons an undecodable base64 message without invoking the handler", async () => {
    const queue = new FakeQueue();
    queue.add("definitely not base64!");
    const process = vi.fn(async () => {});
    const { listener } = setup(queue, process, options({ messageEncoding: "base64" }));
    listener.start();
    await vi.waitFor(() => expect(queue.poison.get("jobs-poison")).toEqual(["definitely not base64!"]));
    await listener.stop();
    expect(process).not.toHaveBeenCalled();
  });

  it("moves a message whose dequeueCount already exceeds the maximum straight to poison", async () => {
    const queue = new FakeQueue();
    queue.add("old", 5); // received as the 6th delivery
    const process = vi.fn(async () => {});
    const { listener } = setup(queue, process, options({ maxDequeueCount: 5 }));
    listener.start();
    await vi.waitFor(() => expect(queue.poison.get("jobs-poison")).toEqual(["old"]));
    await listener.stop();
    expect(process).not.toHaveBeenCalled();
  });

  it("fetches batchSize at a time and waits until in-flight ≤ newBatchThreshold", async () => {
    const queue = new FakeQueue();
    for (let i = 0; i < 10; i++) queue.add(`m${i}`);
    const gates: (() => void)[] = [];
    let running = 0;
    let maxRunning = 0;
    const { listener } = setup(
      queue,
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
      },
      options({ batchSize: 4, newBatchThreshold: 1 }),
    );
    listener.start();
    await vi.waitFor(() => expect(running).toBe(4));
    // Four in flight > threshold 1: the loop must not receive again.
    await new Promise((r) => setTimeout(r, 20));
    expect(queue.events.filter((e) => e.startsWith("receive:"))).toEqual(["receive:4"]);
    // Finish three: in-flight 1 ≤ threshold, so the next batch of four arrives (5 in flight max).
    for (const release of gates.splice(0, 3)) release();
    await vi.waitFor(() => expect(running).toBe(5));
    expect(queue.receiveSizes.every((n) => n === 4)).toBe(true);
    // Drain everything.
    while (queue.messages.length > 0) {
      for (const release of gates.splice(0)) release();
      await new Promise((r) => setImmediate(r));
    }
    await listener.stop();
    expect(maxRunning).toBe(5); // batchSize + newBatchThreshold
  });

  it("on stop, stops polling but lets in-flight messages finish and be deleted", async () => {
    const queue = new FakeQueue();
    queue.add("slow");
    let finish: (() => void) | undefined;
    const { listener } = setup(queue, () => new Promise<void>((resolve) => (finish = resolve)));
    listener.start();
    await vi.waitFor(() => expect(finish).toBeDefined());
    const stopped = listener.stop(5000);
    await new Promise((r) => setImmediate(r));
    const receivesAtStop = queue.events.filter((e) => e.startsWith("receive:")).length;
    finish?.();
    expect(await stopped).toBe(true);
    expect(queue.events).toContain("delete:m1");
    expect(queue.events.filter((e) => e.startsWith("receive:")).length).toBe(receivesAtStop);
  });

  it("gives up waiting after the grace period and reports it", async () => {
    const queue = new FakeQueue();
    queue.add("stuck");
    const { listener, lines } = setup(queue, () => new Promise<void>(() => {}));
    listener.start();
    await vi.waitFor(() => expect(listener.inFlight).toBe(1));
    expect(await listener.stop(30)).toBe(false);
    expect(lines.join("\n")).toMatch(/1 message\(s\) still running/);
  });

  it("logs a storage error once, backs off, and recovers", async () => {
    const queue = new FakeQueue();
    queue.failNextReceives = 3;
    const { listener, lines, sleeps } = setup(queue, async () => {});
    listener.start();
    await vi.waitFor(() => expect(queue.events).toContain("receive:0"));
    await listener.stop();
    const errors = lines.filter((l) => l.includes("ECONNREFUSED"));
    expect(errors).toHaveLength(1);
    expect(sleeps.slice(0, 3).every((ms) => ms >= 1000)).toBe(true);
    expect(lines.join("\n")).toMatch(/reachable again/);
  });
});
