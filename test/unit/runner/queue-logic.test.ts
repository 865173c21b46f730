import { describe, expect, it } from "vitest";
import {
  backoffSequence,
  buildTriggerMetadata,
  decideAfterFailure,
  decideBeforeInvoke,
  decodeMessageText,
  encodeMessageText,
  hostPoisonQueue,
  PollingBackoff,
  receiveCount,
  resolveBindingExpression,
  shouldFetchBatch,
  toTriggerInput,
  validateQueueName,
} from "../../../dev/runner/queue-logic.ts";

describe("message decoding", () => {
  it('hands text over unchanged with messageEncoding "none"', () => {
    expect(decodeMessageText('{"a":1}', "none")).toEqual({ ok: true, text: '{"a":1}' });
    expect(decodeMessageText("aGVsbG8=", "none")).toEqual({ ok: true, text: "aGVsbG8=" });
  });

  it('decodes base64 UTF-8 with messageEncoding "base64", saying which setting asked for it', () => {
    expect(decodeMessageText("aGVs\nbG8=", "base64")).toEqual({ ok: true, text: "hello" });
    expect(decodeMessageText('{"a":1}', "base64")).toEqual({
      ok: false,
      error: 'message is not valid base64 (host.json messageEncoding is "base64")',
    });
    expect(decodeMessageText(Buffer.from([0xff, 0xfe, 0xfd]).toString("base64"), "base64")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/UTF-8/),
    });
  });

  it("encodes for output bindings symmetrically", () => {
    expect(encodeMessageText("hi", "base64")).toBe("aGk=");
    expect(encodeMessageText("hi", "none")).toBe("hi");
    expect(decodeMessageText(encodeMessageText("ü", "base64"), "base64")).toEqual({ ok: true, text: "ü" });
  });

  it("passes parsed JSON when the text is JSON, else the string (like the Node worker)", () => {
    expect(toTriggerInput('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(toTriggerInput("42")).toBe(42);
    expect(toTriggerInput('"quoted"')).toBe("quoted");
    expect(toTriggerInput("plain text")).toBe("plain text");
    expect(toTriggerInput("{broken")).toBe("{broken");
  });
});

describe("poison handling", () => {
  it("names the poison queue, except for poison queues themselves", () => {
    expect(hostPoisonQueue("owner-change-jobs")).toBe("owner-change-jobs-poison");
    expect(hostPoisonQueue("owner-change-jobs-poison")).toBeUndefined();
    expect(hostPoisonQueue("Jobs-Poison")).toBeUndefined();
  });

  it("releases a failed message until dequeueCount reaches maxDequeueCount, then poisons it", () => {
    expect(decideAfterFailure(1, 5, "q", 10_000)).toEqual({
      action: "release",
      visibilityTimeoutSeconds: 10,
    });
    expect(decideAfterFailure(4, 5, "q", 0)).toEqual({ action: "release", visibilityTimeoutSeconds: 0 });
    expect(decideAfterFailure(5, 5, "q", 0)).toEqual({ action: "poison", poisonQueue: "q-poison" });
    expect(decideAfterFailure(7, 5, "q", 0)).toEqual({ action: "poison", poisonQueue: "q-poison" });
    expect(decideAfterFailure(1, 1, "q", 0)).toEqual({ action: "poison", poisonQueue: "q-poison" });
  });

  it("rounds a sub-second visibility timeout up to whole seconds (the service's unit)", () => {
    expect(decideAfterFailure(1, 5, "q", 1500)).toEqual({ action: "release", visibilityTimeoutSeconds: 2 });
  });

  it("never poisons from a poison queue: the message is released again", () => {
    expect(decideAfterFailure(9, 5, "q-poison", 0)).toEqual({
      action: "release",
      visibilityTimeoutSeconds: 0,
    });
    expect(decideBeforeInvoke(9, 5, "q-poison")).toEqual({ action: "process" });
  });

  it("poisons before invoking only when the count already exceeds the maximum", () => {
    expect(decideBeforeInvoke(5, 5, "q")).toEqual({ action: "process" });
    expect(decideBeforeInvoke(6, 5, "q")).toEqual({ action: "poison", poisonQueue: "q-poison" });
  });
});

describe("batching and polling back-off", () => {
  it("fetches a new batch once in-flight falls to newBatchThreshold", () => {
    expect(shouldFetchBatch(0, 8)).toBe(true);
    expect(shouldFetchBatch(8, 8)).toBe(true);
    expect(shouldFetchBatch(9, 8)).toBe(false);
    expect(shouldFetchBatch(0, 0)).toBe(true);
    expect(shouldFetchBatch(1, 0)).toBe(false);
  });

  it("asks for batchSize messages, at most 32", () => {
    expect(receiveCount(16)).toBe(16);
    expect(receiveCount(64)).toBe(32);
    expect(receiveCount(0)).toBe(1);
  });

  it("doubles from 100 ms while empty, capped at maxPollingInterval", () => {
    expect(backoffSequence(2000, 7)).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(backoffSequence(60_000, 3)).toEqual([100, 200, 400]);
    expect(backoffSequence(100, 3)).toEqual([100, 100, 100]);
    expect(backoffSequence(500, 4)).toEqual([100, 200, 400, 500]);
  });

  it("polls again at once after messages and restarts the back-off", () => {
    const backoff = new PollingBackoff(2000);
    expect([backoff.delayAfter(false), backoff.delayAfter(false), backoff.delayAfter(false)]).toEqual([
      100, 200, 400,
    ]);
    expect(backoff.delayAfter(true)).toBe(0);
    expect(backoff.delayAfter(false)).toBe(100);
    expect(backoff.delayAfterError()).toBe(200);
  });
});

describe("trigger metadata", () => {
  it("has the host's camelCase fields", () => {
    const insertedOn = new Date("2026-11-20T09:15:00Z");
    const metadata = buildTriggerMetadata(
      {
        messageId: "m-1",
        popReceipt: "pop",
        messageText: "aGk=",
        dequeueCount: 2,
        insertedOn,
        expiresOn: new Date("2026-11-27T09:15:00Z"),
        nextVisibleOn: new Date("2026-11-20T09:25:00Z"),
      },
      "hi",
    );
    expect(metadata).toEqual({
      dequeueCount: 2,
      id: "m-1",
      insertionTime: "2026-11-20T09:15:00.000Z",
      expirationTime: "2026-11-27T09:15:00.000Z",
      nextVisibleTime: "2026-11-20T09:25:00.000Z",
      popReceipt: "pop",
      queueTrigger: "hi",
    });
  });
});

describe("binding expressions and queue names", () => {
  it("resolves %SETTING% from app settings, whole or in part", () => {
    const env = { OWNER_CHANGE_JOBS_QUEUE: "jobs-test", SUFFIX: "x" };
    expect(resolveBindingExpression("%OWNER_CHANGE_JOBS_QUEUE%", env)).toBe("jobs-test");
    expect(resolveBindingExpression("prefix-%SUFFIX%", env)).toBe("prefix-x");
    expect(resolveBindingExpression("literal-name", env)).toBe("literal-name");
    expect(resolveBindingExpression("%owner_change_jobs_queue%", env)).toBe("jobs-test");
  });

  it("names the missing setting", () => {
    expect(() => resolveBindingExpression("%MISSING_QUEUE%", {})).toThrow(/"MISSING_QUEUE"/);
    expect(() => resolveBindingExpression("%EMPTY%", { EMPTY: "" })).toThrow(/"EMPTY"/);
  });

  it("validates queue names up front", () => {
    expect(validateQueueName("owner-change-jobs")).toBeUndefined();
    expect(validateQueueName("Owner")).toMatch(/not a valid queue name/);
    expect(validateQueueName("a--b")).toMatch(/not a valid queue name/);
    expect(validateQueueName("ab")).toMatch(/not a valid queue name/);
  });
});
