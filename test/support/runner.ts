import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { getFreePort } from "./ports.ts";

/** Repository root (test/support/../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface StartRunnerOptions {
  /** Module that registers the functions, relative to `cwd` (e.g. "test/support/fixture-app.ts"). */
  entry: string;
  /** Extra environment for the runner (merged over this process's environment). */
  env?: Record<string, string | undefined>;
  /** Working directory = project root for the runner (host.json, local.settings.json). Default: repo root. */
  cwd?: string;
  /** host.json to use instead of `<cwd>/host.json` (passed as --host-json). */
  hostJson?: string;
  /** local.settings.json to read; default none, so a developer's own file can't leak into tests. */
  localSettings?: string;
  /** Port; default: a free one. */
  port?: number;
  /** How long to wait for `runner ready`. Default 30 s. */
  timeoutMs?: number;
}

export interface RunningRunner {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  /**
   * Sends `signal` (default SIGTERM) and waits for the process to exit (SIGKILL after `timeoutMs`,
   * default 40 s — the runner itself allows queue invocations 30 s). Safe to call more than once.
   */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the runner printed so far (stdout and stderr interleaved). */
  logs(): string;
  /** Resolves when the process has exited on its own. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** tsx's ESM loader, so the runner runs as `node --import <tsx> dev/runner/main.ts` (one process). */
export function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(join(dirname(require.resolve("tsx/package.json")), "dist", "loader.mjs")).href;
}

/** Same as RunningRunner. */
export type RunnerProcess = RunningRunner;

export class RunnerStartError extends Error {
  override name = "RunnerStartError";
  constructor(
    message: string,
    readonly output: string,
    readonly exitCode: number | null,
  ) {
    super(`${message}\n--- runner output ---\n${output}`);
  }
}

/** Spawns the runner script with the given arguments, capturing output. */
export function spawnRunner(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string },
) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", tsxLoaderUrl(), join(REPO_ROOT, "dev", "runner", "main.ts"), ...args],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const listeners = new Set<() => void>();
  const capture = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const l of listeners) l();
  };
  child.stdout?.on("data", capture);
  child.stderr?.on("data", capture);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once("exit", (code, signal) => {
      for (const l of listeners) l();
      resolveExit({ code, signal });
    });
  });
  return { child, exited, logs: () => output, onOutput: (l: () => void) => listeners.add(l) };
}

/**
 * Starts `dev/runner/main.ts` as a child process on a free port and waits for `runner ready`.
 * Rejects (with the runner's output) if it exits or does not become ready in time.
 */
export async function startRunner(options: StartRunnerOptions): Promise<RunningRunner> {
  const port = options.port ?? (await getFreePort());
  const args = ["--entry", options.entry, "--port", String(port)];
  if (options.hostJson) args.push("--host-json", options.hostJson);
  if (options.localSettings) args.push("--local-settings", options.localSettings);
  else args.push("--no-local-settings");
  const { child, exited, logs, onOutput } = spawnRunner(args, { env: options.env, cwd: options.cwd });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((info) => {
    exitInfo = info;
    process.off("exit", killOnExit);
  });

  const timeoutMs = options.timeoutMs ?? 30_000;
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new RunnerStartError(`runner not ready within ${timeoutMs} ms`, logs(), null));
    }, timeoutMs);
    const check = () => {
      if (/^runner ready /m.test(logs())) {
        clearTimeout(timer);
        resolveReady();
      } else if (exitInfo || child.exitCode !== null) {
        clearTimeout(timer);
        reject(
          new RunnerStartError(
            `runner exited before it was ready (code ${child.exitCode})`,
            logs(),
            child.exitCode,
          ),
        );
      }
    };
    onOutput(check);
    check();
  });

  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    logs,
    exited,
    stop(signal = "SIGTERM", stopTimeoutMs = 40_000) {
      stopping ??= (async () => {
        if (exitInfo) return exitInfo;
        const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
        child.kill(signal);
        const info = await exited;
        clearTimeout(timer);
        return info;
      })();
      return stopping;
    },
  };
}
