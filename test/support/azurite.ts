import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { getFreePorts, waitForPort } from "./ports.ts";

/** The emulator's well-known account (public, documented by Microsoft; not a secret). */
export const DEVSTORE_ACCOUNT = "devstoreaccount1";
export const DEVSTORE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteInstance {
  /** Full connection string with explicit Blob/Queue/Table endpoints on 127.0.0.1. */
  connectionString: string;
  queuePort: number;
  tablePort: number;
  blobPort: number;
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
}

/** Path of azurite's CLI script inside node_modules (run with this process's node, not a shell shim). */
export function azuriteCli(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("azurite/package.json")), "dist", "src", "azurite.js");
}

export function devStoreConnectionString(ports: {
  blobPort: number;
  queuePort: number;
  tablePort: number;
}): string {
  const base = (port: number) => `http://127.0.0.1:${port}/${DEVSTORE_ACCOUNT}`;
  return [
    "DefaultEndpointsProtocol=http",
    `AccountName=${DEVSTORE_ACCOUNT}`,
    `AccountKey=${DEVSTORE_KEY}`,
    `BlobEndpoint=${base(ports.blobPort)}`,
    `QueueEndpoint=${base(ports.queuePort)}`,
    `TableEndpoint=${base(ports.tablePort)}`,
  ].join(";");
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

interface Ports {
  blobPort: number;
  queuePort: number;
  tablePort: number;
}

/** One azurite process on `ports`; resolves once all three accept connections. */
async function launch(
  ports: Ports,
  workDir: string,
  location: string | undefined,
  timeoutMs: number,
  capture: (chunk: Buffer) => void,
  output: () => string,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      azuriteCli(),
      ...(location === undefined ? ["--inMemoryPersistence"] : ["--location", location]),
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
    { cwd: workDir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, AZURITE_ACCOUNTS: undefined } },
  );
  child.stdout?.on("data", capture);
  child.stderr?.on("data", capture);
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `azurite exited (code ${code}, signal ${signal})`;
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  try {
    const deadline = Date.now() + timeoutMs;
    for (const port of [ports.blobPort, ports.queuePort, ports.tablePort]) {
      await waitForPort(port, {
        timeoutMs: Math.max(1, deadline - Date.now()),
        abortIf: () => (exited ? `${exited}\n${output()}` : undefined),
      });
    }
  } catch (error) {
    await stopChild(child, 5000);
    throw error;
  }
  return child;
}

async function startOnce(timeoutMs: number, location: string | undefined): Promise<AzuriteInstance> {
  const [blobPort, queuePort, tablePort] = (await getFreePorts(3)) as [number, number, number];
  const ports = { blobPort, queuePort, tablePort };
  // Run from a scratch directory so nothing azurite writes (besides `location`) lands in the repo.
  const workDir = await mkdtemp(join(tmpdir(), "azurite-test-"));
  let output = "";
  const capture = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-50_000);
  };
  const start = () => launch(ports, workDir, location, timeoutMs, capture, () => output);

  let child: ChildProcess;
  try {
    child = await start();
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await stopChild(child, 5000);
      await rm(workDir, { recursive: true, force: true });
    })();
    return closing;
  };

  return {
    connectionString: devStoreConnectionString(ports),
    ...ports,
    close,
    async restart({ downMs = 0 } = {}) {
      if (location === undefined) throw new Error("restart() needs a data folder: start with `location`");
      if (closing) throw new Error("azurite was closed");
      await stopChild(child, 10_000);
      if (downMs > 0) await delay(downMs);
      child = await start();
    },
    logs: () => output,
  };
}

/**
 * Starts a private azurite (in memory, or on disk in `location`) on free ports of 127.0.0.1 and waits
 * until it accepts connections. Retries once if a port was taken in the meantime.
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteInstance> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    return await startOnce(timeoutMs, options.location);
  } catch (error) {
    if (/EADDRINUSE|exited/.test(String((error as Error).message))) {
      return startOnce(timeoutMs, options.location);
    }
    throw error;
  }
}
