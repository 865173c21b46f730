/**
 * The local Functions runner (dev/runner/main.ts) as a child process serving an app module, started
 * and awaited the same way by `npm start`, the integration tests and the bench.
 */
import { join } from "node:path";
import { REPO_ROOT, tsxLoaderUrl } from "./paths.ts";
import { getFreePort } from "./ports.ts";
import { type Exit, type ManagedProcess, type SpawnOptions, spawnNode } from "./process.ts";

export interface StartRunnerOptions {
  /** Module that registers the functions, relative to `cwd` (e.g. "src/index.ts"). */
  entry: string;
  /** Extra environment for the runner (merged over this process's environment; undefined unsets). */
  env?: Record<string, string | undefined>;
  /** Working directory = project root for the runner (host.json, local.settings.json). Default: repo root. */
  cwd?: string;
  /** host.json to use instead of `<cwd>/host.json` (passed as --host-json). */
  hostJson?: string;
  /**
   * local.settings.json handling. Default "none", so a developer's own file cannot leak into tests;
   * "project" lets the runner read `<cwd>/local.settings.json` if there is one (as `func start` does);
   * a path reads that file (an error if it is missing).
   */
  localSettings?: "none" | "project" | { path: string };
  /** Port; default: a free one. */
  port?: number;
  /** How long to wait for `runner ready`. Default 30 s. */
  timeoutMs?: number;
  detached?: boolean;
  onLine?: SpawnOptions["onLine"];
}

export interface RunningRunner {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  process: ManagedProcess;
  /**
   * Sends `signal` (default SIGTERM) and waits for the process to exit (SIGKILL after `timeoutMs`,
   * default 40 s — the runner itself allows queue invocations 30 s). Safe to call more than once.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** Everything the runner printed so far (stdout and stderr interleaved). */
  logs(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
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

/**
 * Spawns the runner with the given arguments and colourless output (unless `env` says otherwise);
 * does not wait for anything.
 */
export function spawnRunner(
  args: string[],
  options: Pick<SpawnOptions, "detached" | "onLine"> & {
    env?: Record<string, string | undefined>;
    cwd?: string;
  },
): ManagedProcess {
  return spawnNode(
    "runner",
    ["--import", tsxLoaderUrl(), join(REPO_ROOT, "dev", "runner", "main.ts"), ...args],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1", ...options.env },
      ...(options.detached === undefined ? {} : { detached: options.detached }),
      ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
    },
  );
}

/**
 * Starts the runner on `port` (default a free one) and waits for `runner ready`, which it prints once
 * its HTTP, queue and timer hosts run. Rejects with the runner's output if it exits or is not ready in
 * time.
 */
export async function startRunner(options: StartRunnerOptions): Promise<RunningRunner> {
  const port = options.port ?? (await getFreePort());
  const args = ["--entry", options.entry, "--port", String(port)];
  if (options.hostJson) args.push("--host-json", options.hostJson);
  const settings = options.localSettings ?? "none";
  if (settings === "none") args.push("--no-local-settings");
  else if (settings !== "project") args.push("--local-settings", settings.path);
  const child = spawnRunner(args, {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.detached === undefined ? {} : { detached: options.detached }),
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    await child.waitForOutput(/^runner ready /m, "runner ready", timeoutMs);
  } catch (error) {
    await child.stop("SIGKILL");
    const exit = child.exit();
    throw new RunnerStartError(
      exit && exit.signal !== "SIGKILL"
        ? `runner exited before it was ready (code ${exit.code})`
        : (error as Error).message,
      child.logs(),
      exit?.code ?? null,
    );
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    process: child,
    logs: child.logs,
    exited: child.exited,
    stop: (signal = "SIGTERM", stopTimeoutMs = 40_000) => child.stop(signal, stopTimeoutMs),
  };
}
