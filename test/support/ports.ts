import { createServer, Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";

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
 * Waits until host:port accepts connections, polling every `intervalMs`; rejects after `timeoutMs`
 * or as soon as `abortIf()` returns a reason (e.g. the server process died).
 */
export async function waitForPort(
  port: number,
  options: {
    host?: string;
    timeoutMs?: number;
    intervalMs?: number;
    abortIf?: () => string | undefined;
  } = {},
): Promise<void> {
  const { host = "127.0.0.1", timeoutMs = 20_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = options.abortIf?.();
    if (reason) throw new Error(`gave up waiting for ${host}:${port}: ${reason}`);
    if (await canConnect(port, host)) return;
    if (Date.now() >= deadline)
      throw new Error(`${host}:${port} did not accept connections within ${timeoutMs} ms`);
    await delay(intervalMs);
  }
}
