import type { QueueClient } from "@azure/storage-queue";
import { describe, expect, it } from "vitest";
import { jobFor } from "../../../src/changes/accept.ts";
import type { StatusDocument } from "../../../src/changes/model.ts";
import { listPoison, replayPoison } from "../../../src/poison/poison-queue.ts";
import { ITWIN_ID as ITWIN, queuedDoc } from "../../support/fixtures.ts";
import { MemoryStatusStore } from "../../support/memory-stores.ts";

/** A queue with the service's visibility rules: received messages are hidden until deleted or shown again. */
class MemoryQueue {
  readonly messages: { messageId: string; messageText: string; hidden: boolean; popReceipt: string }[] = [];
  readonly sent: string[] = [];
  receives = 0;

  add(messageText: string): string {
    const messageId = `m${this.messages.length + 1}`;
    this.messages.push({ messageId, messageText, hidden: false, popReceipt: "" });
    return messageId;
  }

  client(): QueueClient {
    const visible = () => this.messages.filter((message) => !message.hidden);
    const view = (message: MemoryQueue["messages"][number]) => ({
      ...message,
      insertedOn: new Date("2026-12-01T08:00:00Z"),
    });
    return {
      peekMessages: async ({ numberOfMessages }: { numberOfMessages: number }) => ({
        peekedMessageItems: visible().slice(0, numberOfMessages).map(view),
      }),
      receiveMessages: async ({ numberOfMessages }: { numberOfMessages: number }) => {
        this.receives += 1;
        const items = visible().slice(0, numberOfMessages);
        for (const item of items) Object.assign(item, { hidden: true, popReceipt: `p${this.receives}` });
        return { receivedMessageItems: items.map(view) };
      },
      deleteMessage: async (id: string, popReceipt: string) => {
        const index = this.messages.findIndex((m) => m.messageId === id && m.popReceipt === popReceipt);
        if (index < 0) throw new Error(`no message ${id} with receipt ${popReceipt}`);
        this.messages.splice(index, 1);
      },
      updateMessage: async (id: string, popReceipt: string, _text: undefined, visibilityTimeout: number) => {
        const message = this.messages.find((m) => m.messageId === id && m.popReceipt === popReceipt);
        if (message === undefined) throw new Error(`no message ${id} with receipt ${popReceipt}`);
        message.hidden = visibilityTimeout > 0;
      },
      sendMessage: async (text: string) => {
        this.sent.push(text);
        return {};
      },
    } as unknown as QueueClient;
  }
}

function job(requestId: string): string {
  return JSON.stringify(jobFor(queuedDoc({ id: requestId, email: "kim@corp.example" })));
}

function setup(statuses: Record<string, StatusDocument["status"]>) {
  const poison = new MemoryQueue();
  const requests = new MemoryQueue();
  const store = new MemoryStatusStore();
  for (const [id, status] of Object.entries(statuses)) {
    store.put({ id, status, itwinId: ITWIN, email: "kim@corp.example", action: "add" } as StatusDocument);
  }
  const clock = { at: 0, now: () => clock.at };
  return {
    poison,
    requests,
    clock,
    deps: { poison: poison.client(), requests: requests.client(), store, clock },
  };
}

describe("poison queue shell", () => {
  it("lists what a peek shows, with when and why, changing nothing", async () => {
    const { poison, deps } = setup({});
    poison.add(job("r-failed01"));
    expect(await listPoison(deps.poison, "jobs")).toEqual([
      {
        messageId: "m1",
        insertedOn: "2026-12-01T08:00:00.000Z",
        reason: "job of r-failed01 failed after repeated deliveries",
        change: { itwinId: ITWIN, email: "kim@corp.example", action: "add", requestId: "r-failed01" },
      },
    ]);
    expect(poison.messages.map((m) => m.hidden)).toEqual([false]);
  });

  it("replays the jobs of failed changes, skips the rest, and leaves the skipped ones visible", async () => {
    const { poison, requests, deps } = setup({ "r-failed01": "failed", "r-done0001": "succeeded" });
    poison.add(job("r-failed01"));
    poison.add(job("r-done0001"));
    poison.add(JSON.stringify({ reason: "The job fails the job schema", original: "{}" }));
    const result = await replayPoison(deps, "jobs", { all: true, max: 100, dryRun: false });
    expect(result).toEqual({
      dryRun: false,
      replayed: [{ messageId: "m1", requestId: expect.stringMatching(/^k-/) }],
      skipped: [
        { messageId: "m2", reason: "its change r-done0001 is succeeded, not failed" },
        { messageId: "m3", reason: "a job that fails the job schema is a bug to report, not to retry" },
      ],
    });
    expect(requests.sent.map((text) => JSON.parse(text).id)).toEqual(["replay:r-failed01:m1"]);
    expect(poison.messages.map((m) => [m.messageId, m.hidden])).toEqual([
      ["m2", false],
      ["m3", false],
    ]);
  });

  it("replays only the named messages, says which it did not find, and shows the others again", async () => {
    const { poison, requests, deps } = setup({});
    for (const text of ["a", "b", "c"]) poison.add(text);
    const result = await replayPoison(deps, "requests", { ids: ["m2", "m9"], max: 100, dryRun: false });
    expect(result).toEqual({
      dryRun: false,
      replayed: [{ messageId: "m2" }],
      skipped: [{ messageId: "m9", reason: "not found among the messages looked at" }],
    });
    expect(requests.sent).toEqual(["b"]);
    expect(poison.messages.map((m) => [m.messageId, m.hidden])).toEqual([
      ["m1", false],
      ["m3", false],
    ]);
  });

  it("a dry run peeks and reads statuses but sends and deletes nothing", async () => {
    const { poison, requests, deps } = setup({ "r-failed01": "failed" });
    poison.add(job("r-failed01"));
    poison.add(job("r-unknown1"));
    const result = await replayPoison(deps, "jobs", { all: true, max: 100, dryRun: true });
    expect(result).toMatchObject({
      dryRun: true,
      replayed: [{ messageId: "m1" }],
      skipped: [{ messageId: "m2", reason: "its change r-unknown1 is unknown, not failed" }],
    });
    expect(requests.sent).toEqual([]);
    expect(poison.messages).toHaveLength(2);
    expect(poison.receives).toBe(0);
  });

  it("looks at no more than max messages, 32 per receive", async () => {
    const { poison, requests, deps } = setup({});
    for (let i = 0; i < 40; i++) poison.add(`request ${i}`);
    const result = await replayPoison(deps, "requests", { all: true, max: 35, dryRun: false });
    expect(result.replayed).toHaveLength(35);
    expect(requests.sent).toHaveLength(35);
    expect(poison.receives).toBe(2);
    expect(poison.messages).toHaveLength(5);
  });

  it("starts no new round late in a replay, so no receipt expires between a send and its delete", async () => {
    const { poison, requests, clock, deps } = setup({});
    for (let i = 0; i < 40; i++) poison.add(`request ${i}`);
    const receive = deps.poison.receiveMessages.bind(deps.poison);
    deps.poison.receiveMessages = async (options) => {
      const received = await receive(options);
      clock.at += 16_000;
      return received;
    };
    const result = await replayPoison(deps, "requests", { all: true, max: 100, dryRun: false });
    expect(result.replayed).toHaveLength(32);
    expect(requests.sent).toHaveLength(32);
    expect(poison.receives).toBe(1);
    expect(poison.messages.filter((m) => !m.hidden)).toHaveLength(8);
  });
});
