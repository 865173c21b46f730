/**
 * azurite, the Azure Storage emulator from npm, as a child process on 127.0.0.1: in memory on free
 * ports (tests, bench), or on disk on fixed ports (`npm start`, the chaos run's restartable storage).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { DEVSTORE_ACCOUNT, devStoreConnectionString, type StoragePorts } from "./credentials.ts";
import { azuriteCli } from "./paths.ts";
import { canConnect, getFreePorts, waitForPort } from "./ports.ts";
import { type ManagedProcess, spawnNode } from "./process.ts";

/** azurite's own defaults, which `UseDevelopmentStorage=true` points at. */
export const AZURITE_DEFAULT_PORTS: StoragePorts = { blobPort: 10000, queuePort: 10001, tablePort: 10002 };

export interface AzuriteInstance extends StoragePorts {
  /** Full connection string with explicit Blob/Queue/Table endpoints on 127.0.0.1. */
  connectionString: string;
  /** The azurite process running now (a new one after `restart()`). */
  readonly process: ManagedProcess;
  /** Stops azurite (SIGTERM, SIGKILL after 5 s). Safe to call more than once. */
  close(): Promise<void>;
  /**
   * Stops azurite gracefully (so it writes its data out) and starts it again on the same ports with the
   * same data folder, waiting `downMs` in between: an outage the clients see as refused connections.
   * Only with `location` — in memory, a restart would lose everything.
   */
  restart(options?: { downMs?: number }): Promise<void>;
  /** azurite's captured stdout/stderr, for diagnostics. */
  logs(): string;
}

export interface StartAzuriteOptions {
  /** How long to wait for the three ports to accept connections. Default 30 s. */
  timeoutMs?: number;
  /**
   * Keep the data on disk in this folder (azurite `--location`) instead of in memory, so that it
   * survives `restart()`. The caller owns the folder and removes it.
   */
  location?: string;
  /** These ports instead of free ones (no retry when one is taken). */
  ports?: StoragePorts;
  /** In its own process group, for `npm start` (see SpawnOptions.detached). */
  detached?: boolean;
  /** Each line azurite prints. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

/** One azurite process on `ports`; resolves once all three accept connections. */
async function launch(
  ports: StoragePorts,
  workDir: string,
  options: StartAzuriteOptions,
  timeoutMs: number,
): Promise<ManagedProcess> {
  const child = spawnNode(
    "azurite",
    [
      azuriteCli(),
      ...(options.location === undefined ? ["--inMemoryPersistence"] : ["--location", options.location]),
      "--silent",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(ports.blobPort),
      "--queueHost",
      "127.0.0.1",
      "--queuePort",
      String(ports.queuePort),
      "--tableHost",
      "127.0.0.1",
      "--tablePort",
      String(ports.tablePort),
    ],
    {
      cwd: workDir,
      // Only the well-known development account, whatever the caller's shell says.
      env: { ...process.env, AZURITE_ACCOUNTS: undefined },
      keepChars: 50_000,
      ...(options.detached === undefined ? {} : { detached: options.detached }),
      ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
    },
  );
  try {
    const deadline = Date.now() + timeoutMs;
    for (const port of [ports.blobPort, ports.queuePort, ports.tablePort]) {
      await waitForPort(port, {
        timeoutMs: Math.max(1, deadline - Date.now()),
        abortIf: () => {
          const exit = child.exit();
          return exit
            ? `azurite exited (code ${exit.code}, signal ${exit.signal})\n${child.logs()}`
            : undefined;
        },
      });
    }
  } catch (error) {
    await child.stop("SIGTERM", 5000);
    throw error;
  }
  return child;
}

async function startOnce(options: StartAzuriteOptions): Promise<AzuriteInstance> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const ports =
    options.ports ??
    (([blobPort, queuePort, tablePort]) => ({ blobPort, queuePort, tablePort }))(
      (await getFreePorts(3)) as [number, number, number],
    );
  // Run from a scratch directory so nothing azurite writes (besides `location`) lands in the repo.
  const workDir = await mkdtemp(join(tmpdir(), "azurite-"));
  let child: ManagedProcess;
  try {
    child = await launch(ports, workDir, options, timeoutMs);
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    connectionString: devStoreConnectionString(ports),
    ...ports,
    get process() {
      return child;
    },
    close() {
      closing ??= (async () => {
        await child.stop("SIGTERM", 5000);
        await rm(workDir, { recursive: true, force: true });
      })();
      return closing;
    },
    async restart({ downMs = 0 } = {}) {
      if (options.location === undefined) {
        throw new Error("restart() needs a data folder: start with `location`");
      }
      if (closing) throw new Error("azurite was closed");
      await child.stop("SIGTERM", 10_000);
      if (downMs > 0) await delay(downMs);
      child = await launch(ports, workDir, options, timeoutMs);
    },
    logs: () => child.logs(),
  };
}

/**
 * Starts azurite (in memory, or on disk in `location`) on 127.0.0.1 and waits until it accepts
 * connections. On free ports it retries once if a port was taken in the meantime.
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteInstance> {
  try {
    return await startOnce(options);
  } catch (error) {
    if (options.ports === undefined && /EADDRINUSE|exited/.test(String((error as Error).message))) {
      return startOnce(options);
    }
    throw error;
  }
}

/**
 * What listens on `ports` now: nothing, azurite (named by its `server` header), or something else
 * (some ports taken, or a server that is not azurite) — so `npm start` can reuse a running azurite.
 */
export async function probeStoragePorts(
  ports: StoragePorts,
): Promise<{ kind: "free" } | { kind: "azurite"; server: string } | { kind: "taken"; detail: string }> {
  const all = [ports.blobPort, ports.queuePort, ports.tablePort];
  const open = await Promise.all(all.map((port) => canConnect(port)));
  if (open.every((isOpen) => !isOpen)) return { kind: "free" };
  if (!open.every(Boolean)) {
    const busy = all.filter((_, i) => open[i]);
    return {
      kind: "taken",
      detail: `port(s) ${busy.join(", ")} already in use (azurite needs ${all.join(", ")})`,
    };
  }
  const server = await fetch(`http://127.0.0.1:${ports.queuePort}/${DEVSTORE_ACCOUNT}?comp=list`, {
    signal: AbortSignal.timeout(3000),
  })
    .then((response) => response.headers.get("server") ?? "")
    .catch(() => "");
  return /azurite/i.test(server)
    ? { kind: "azurite", server }
    : {
        kind: "taken",
        detail: `ports ${all.join(", ")} are in use, but not by azurite (server: ${server || "unknown"})`,
      };
}
