/** TCP ports of the local stack: free ones for private instances, probes, and `--port` values. */
import { createServer, Socket } from "node:net";
import { waitFor } from "./poll.ts";

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it; the listener is closed again). */
export function getFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not determine a free port"))));
    });
  });
}

/** Several distinct free ports. */
export async function getFreePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    ports.add(await getFreePort(host));
  }
  return [...ports];
}

/** True if something accepts TCP connections on host:port right now. */
export function canConnect(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.connect(port, host);
  });
}

/**
 * Waits until host:port accepts connections; rejects after `timeoutMs`, or as soon as `abortIf()`
 * returns a reason (e.g. the server process died).
 */
export async function waitForPort(
  port: number,
  options: { host?: string; timeoutMs?: number; abortIf?: () => string | undefined } = {},
): Promise<void> {
  const { host = "127.0.0.1", timeoutMs = 20_000 } = options;
  await waitFor(
    () => canConnect(port, host),
    `${host}:${port} to accept connections`,
    timeoutMs,
    50,
    options.abortIf,
  );
}
