/**
 * Starts the iTwin API simulator on 127.0.0.1: Bentley IMS (discovery + client-credentials tokens) and
 * the Access Control v2 owners API, plus /__admin endpoints. Used by `npm start`, integration tests
 * (in-process) and benchmarks.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errors } from "./api-errors.ts";
import { type ClientCredentials, DEFAULT_CLIENTS } from "./clients.ts";
import type { Exchange, SimulatorContext } from "./context.ts";
import { BodyTooLargeError, sendJson } from "./http.ts";
import { handleAdmin } from "./routes/admin.ts";
import { handleApi } from "./routes/gateway.ts";
import { handleOidc } from "./routes/oidc.ts";
import { DEFAULT_STATE_OPTIONS, SimulatorState } from "./state.ts";

export { SEEDED_ITWINS } from "./seed.ts";
export { SimulatorState } from "./state.ts";

export interface SimulatorOptions {
  /** Default 0 = a free port; the host is always 127.0.0.1. */
  port?: number;
  /** Default "corp.example": emails outside it get invitations. */
  orgDomain?: string;
  /** Default DEFAULT_CLIENTS: the dev client of dev/stack/credentials.ts. */
  clients?: ClientCredentials[];
  /** Default { limit: 50, windowMs: 1000 }; per client id. */
  rateLimit?: { limit: number; windowMs: number };
  /** Default 3600. */
  tokenTtlSeconds?: number;
  /** Default true: seed the demo iTwins (see SEEDED_ITWINS). */
  seed?: boolean;
  /** Default 100: the default page size, and the most a `$top` can ask for (larger is clamped). */
  maxPageSize?: number;
  /** Injected clock (ms), default Date.now: token expiry, rate-limit windows, invitation dates. */
  now?: () => number;
  /** One line per request; default silent. */
  log?: (line: string) => void;
}

export interface RunningSimulator {
  /** "http://127.0.0.1:<port>": both the API base URL and the OIDC authority. */
  url: string;
  state: SimulatorState;
  /** Closes the server and every socket promptly (stalled requests are cut off). */
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const state = new SimulatorState({
    orgDomain: options.orgDomain ?? DEFAULT_STATE_OPTIONS.orgDomain,
    clients: options.clients ?? DEFAULT_CLIENTS,
    rateLimit: options.rateLimit ?? DEFAULT_STATE_OPTIONS.rateLimit,
    tokenTtlSeconds: options.tokenTtlSeconds ?? DEFAULT_STATE_OPTIONS.tokenTtlSeconds,
    seed: options.seed ?? true,
    maxPageSize: options.maxPageSize ?? DEFAULT_STATE_OPTIONS.maxPageSize,
    now: options.now ?? Date.now,
  });
  const log = options.log ?? (() => {});
  const closing = new AbortController();
  const ctx: SimulatorContext = { state, url: "", closing: closing.signal };

  const server = createServer((req, res) => {
    void handle(ctx, req, res, log);
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  ctx.url = `http://127.0.0.1:${port}`;

  let closed: Promise<void> | undefined;
  return {
    url: ctx.url,
    state,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function handle(
  ctx: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): Promise<void> {
  const started = performance.now();
  const url = new URL(req.url ?? "/", ctx.url);
  const method = req.method ?? "GET";
  const ex: Exchange = { req, res, url, route: `${method} (unmatched)`, notes: [] };
  const counted = !url.pathname.startsWith("/__admin");
  if (counted) ctx.state.recorder.started();
  res.setHeader("x-correlation-id", randomUUID());

  res.once("close", () => {
    const status = res.headersSent ? res.statusCode : undefined;
    if (counted) ctx.state.recorder.finished(ex.route, status);
    const parts = [
      method,
      `${url.pathname}${url.search}`,
      status === undefined ? "(no response)" : String(status),
      `${Math.round(performance.now() - started)}ms`,
    ];
    if (ex.clientId) parts.push(`client=${ex.clientId}`);
    parts.push(...ex.notes);
    log(parts.join(" "));
  });

  try {
    const handled = (await handleOidc(ctx, ex)) || (await handleApi(ctx, ex)) || (await handleAdmin(ctx, ex));
    if (!handled) sendJson(res, 404, errors.resourceNotFound(url.pathname));
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendJson(res, 413, errors.requestTooLarge(), { connection: "close" });
      return;
    }
    ex.notes.push(`error=${error instanceof Error ? error.message : String(error)}`);
    if (!res.headersSent && !res.destroyed) {
      sendJson(res, 500, {
        error: { code: "InternalServerError", message: "The simulator failed unexpectedly." },
      });
    } else {
      res.destroy();
    }
  }
}
