import { readFile } from "node:fs/promises";
import type { Io } from "../../ops/cli/io.ts";
import { runCli } from "../../ops/cli/program.ts";
import { systemClock } from "../../src/clock.ts";

/** The owner-changes CLI run in-process: recording streams, files from memory or disk, a Ctrl-C on demand. */

export interface RecordingStream {
  chunks: string[];
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
  text(): string;
}

export function recordingStream(options: { isTTY?: boolean; columns?: number } = {}): RecordingStream {
  const chunks: string[] = [];
  return {
    chunks,
    ...options,
    write(chunk) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(""),
  };
}

export interface TestIo {
  io: Io;
  stdout: RecordingStream;
  stderr: RecordingStream;
  /** Fires the handler a command registered for Ctrl-C (false when none listens). */
  interrupt(): boolean;
}

export function testIo(
  options: Partial<Omit<Io, "stdout" | "stderr" | "onInterrupt">> & { files?: Record<string, string> } = {},
): TestIo {
  const stdout = recordingStream();
  const stderr = recordingStream();
  let handler: (() => void) | undefined;
  const { files, ...rest } = options;
  const io: Io = {
    stdout,
    stderr,
    // No OWNER_CHANGES_* from the machine running the tests, and no profile file.
    env: {},
    clock: systemClock,
    home: "/nonexistent-home-for-tests",
    readFile: async (path) =>
      files !== undefined && path in files ? new TextEncoder().encode(files[path]) : readFile(path),
    onInterrupt(next) {
      handler = next;
      return () => {
        handler = undefined;
      };
    },
    ...rest,
  };
  return {
    io,
    stdout,
    stderr,
    interrupt() {
      if (handler === undefined) return false;
      handler();
      return true;
    },
  };
}

export async function runTestCli(
  argv: string[],
  options: Parameters<typeof testIo>[0] = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = testIo(options);
  const code = await runCli(argv, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
