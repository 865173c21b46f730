/**
 * One child process of the local stack (azurite, a runner): started with this process's node (no
 * shell, no npx wrapper), its output kept for diagnostics and, if asked, handed on line by line; stopped
 * with a signal, SIGKILL after a grace period, and killed if this process exits first.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { LinePrefixer } from "../log-prefix.ts";
import { waitFor } from "./poll.ts";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * Run in its own process group (`npm start`): a terminal's Ctrl-C then reaches only the parent, which
   * stops the children in order, and a stop reaches whatever the child started itself.
   */
  detached?: boolean;
  /** Each complete output line, as it arrives. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Keep at most this many characters of output for `logs()` (default: all of it). */
  keepChars?: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** The exit, once it happened. */
  exit(): Exit | undefined;
  /** Everything it printed so far (stdout and stderr interleaved), or the last `keepChars` of it. */
  logs(): string;
  /** Sends `signal` to the process (to its group when detached); no-op once it has exited. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Sends `signal` and waits for the exit, SIGKILL after `graceMs`. Safe to call more than once: later
   * calls share the first one's result.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
  /** Resolves with the first output match of `pattern`; rejects if the process exits first or time runs out. */
  waitForOutput(pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray>;
}

/** Starts `node <argv>` as a managed child. */
export function spawnNode(name: string, argv: readonly string[], options: SpawnOptions): ManagedProcess {
  const detached = options.detached === true;
  const child = spawn(process.execPath, [...argv], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached,
  });
  let output = "";
  const keep = options.keepChars ?? Number.POSITIVE_INFINITY;
  for (const stream of ["stdout", "stderr"] as const) {
    const lines = options.onLine ? new LinePrefixer("", (line) => options.onLine?.(line, stream)) : undefined;
    child[stream]?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.length > keep) output = output.slice(-keep);
      lines?.push(chunk);
    });
    child[stream]?.once("end", () => lines?.flush());
  }

  let exitInfo: Exit | undefined;
  const killOnExit = () => send("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<Exit>((resolveExit) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      process.off("exit", killOnExit);
      resolveExit(exitInfo);
    });
    child.once("error", (error) => {
      output += `\n${name} could not be started: ${error.message}\n`;
      exitInfo ??= { code: null, signal: null };
      process.off("exit", killOnExit);
      resolveExit(exitInfo);
    });
  });

  function send(signal: NodeJS.Signals): void {
    if (exitInfo || child.pid === undefined) return;
    try {
      if (detached) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  }

  let stopping: Promise<Exit> | undefined;
  return {
    name,
    child,
    pid: child.pid ?? -1,
    exited,
    exit: () => exitInfo,
    logs: () => output,
    signal: send,
    stop(signal = "SIGTERM", graceMs = 5000) {
      stopping ??= (async () => {
        const timer = setTimeout(() => send("SIGKILL"), graceMs);
        send(signal);
        const info = await exited;
        clearTimeout(timer);
        // Anything the child left in its group goes too.
        if (detached && child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // the group is empty
          }
        }
        return info;
      })();
      return stopping;
    },
    waitForOutput(pattern, what, timeoutMs) {
      return waitFor(
        () => pattern.exec(output) ?? undefined,
        `${name}: ${what}`,
        timeoutMs,
        50,
        () => (exitInfo ? `${name} exited (code ${exitInfo.code}, signal ${exitInfo.signal})` : undefined),
      );
    },
  };
}
