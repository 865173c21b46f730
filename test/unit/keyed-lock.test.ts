import { describe, expect, it } from "vitest";
import { KeyedLock } from "../../src/worker/keyed-lock.ts";

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
    const first = lock.run("a", async () => {
      events.push("a1 start");
      await gate.promise;
      events.push("a1 end");
    });
    const second = lock.run("a", async () => {
      events.push("a2");
    });
    const other = lock.run("b", async () => {
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
    await expect(lock.run("a", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(lock.run("a", async () => "next")).resolves.toBe("next");
    expect(lock.size).toBe(0);
  });
});
