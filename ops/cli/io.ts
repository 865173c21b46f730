import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { type Clock, systemClock } from "../../src/clock.ts";
import type { ProgressStream } from "./progress.ts";

/**
 * Everything the CLI takes from the process, in one object: the real one for `main.ts`, fakes in
 * tests (streams that record, a fake clock, an interrupt the test fires).
 */
export interface Io {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  clock: Clock;
  home: string;
  readFile(path: string): Promise<Uint8Array>;
  /** Calls `handler` on Ctrl-C until the returned function is called; a second Ctrl-C is the default (exit). */
  onInterrupt(handler: () => void): () => void;
  /** The HTTP client's fetch; tests answer requests in-process. Default: the global fetch. */
  fetch?: typeof fetch;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    clock: systemClock,
    home: homedir(),
    readFile: (path) => readFile(path),
    onInterrupt(handler) {
      const once = () => {
        process.off("SIGINT", once);
        handler();
      };
      process.on("SIGINT", once);
      return () => process.off("SIGINT", once);
    },
  };
}
