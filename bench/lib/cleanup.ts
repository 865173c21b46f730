/**
 * Every child process and server the bench starts registers how to stop it here, so a failure, a
 * watchdog timeout or Ctrl-C still stops all of them.
 */
import { progress } from "./log.ts";

const tasks = new Map<number, { what: string; stop: () => Promise<unknown> }>();
let nextId = 1;

/** Registers a stop function; call the returned function once the resource was stopped normally. */
export function onCleanup(what: string, stop: () => Promise<unknown>): () => void {
  const id = nextId++;
  tasks.set(id, { what, stop });
  return () => {
    tasks.delete(id);
  };
}

/** Stops everything still registered, newest first, each bounded by `timeoutMs`. */
export async function cleanupAll(timeoutMs = 15_000): Promise<void> {
  const pending = [...tasks.entries()].reverse();
  tasks.clear();
  for (const [, task] of pending) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        progress(`cleanup: ${task.what} did not stop within ${timeoutMs} ms`);
        resolve();
      }, timeoutMs);
    });
    await Promise.race([task.stop().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
}
