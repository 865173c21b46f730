import { describe, expect, it } from "vitest";
import { KeyedLock, LockWaitTimeout } from "../../src/worker/keyed-lock.ts";

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("KeyedLock", () => {
  it("runs tasks of one key in order and tasks of other keys at once", async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const gate = deferred();
    const first = lock.run("a", 1000, async () => {
      events.push("a1 start");
      await gate.promise;
      events.push("a1 end");
    });
    const second = lock.run("a", 1000, async () => {
      events.push("a2");
    });
    const other = lock.run("b", 1000, async () => {
      events.push("b");
    });
    await other;
    expect(events).toEqual(["a1 start", "b"]);
    gate.resolve();
    await Promise.all([first, second]);
    expect(events).toEqual(["a1 start", "b", "a1 end", "a2"]);
    expect(lock.size).toBe(0);
  });

  it("releases the key when a task fails", async () => {
    const lock = new KeyedLock();
    await expect(lock.run("a", 1000, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(lock.run("a", 1000, async () => "next")).resolves.toBe("next");
    expect(lock.size).toBe(0);
  });

  it("gives up waiting after maxWaitMs without letting later tasks overtake the running one", async () => {
    const lock = new KeyedLock();
    const gate = deferred();
    const events: string[] = [];
    const first = lock.run("a", 1000, async () => {
      await gate.promise;
      events.push("first");
    });
    await expect(lock.run("a", 10, async () => events.push("impatient"))).rejects.toBeInstanceOf(
      LockWaitTimeout,
    );
    const third = lock.run("a", 1000, async () => {
      events.push("third");
    });
    gate.resolve();
    await Promise.all([first, third]);
    expect(events).toEqual(["first", "third"]);
    expect(lock.size).toBe(0);
  });
});
