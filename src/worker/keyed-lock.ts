/**
 * Runs tasks with the same key one after another, tasks with different keys side by side. The worker
 * uses it where the order of calls to the API matters within one process: two changes for the same
 * person and iTwin, or two removals that could together take an iTwin's last owner.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` when the key is free; throws LockWaitTimeout if that takes longer than `maxWaitMs`. */
  async run<T>(key: string, maxWaitMs: number, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), maxWaitMs);
    });
    const turn = await Promise.race([previous.then(() => "turn" as const), timedOut]);
    clearTimeout(timer);
    if (turn === "timeout") {
      // Give up our place: those behind us still wait for the ones before us (tail chains on `previous`).
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
      throw new LockWaitTimeout(key, maxWaitMs);
    }
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a task running or waiting (for tests and diagnostics). */
  get size(): number {
    return this.tails.size;
  }
}

export class LockWaitTimeout extends Error {
  constructor(key: string, waitedMs: number) {
    super(`${key} stayed busy for ${waitedMs} ms`);
    this.name = "LockWaitTimeout";
  }
}
