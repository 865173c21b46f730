import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  BodyTooLargeError,
  type HttpResponse,
  httpOutput,
  listen,
  readBody,
  sendPlain,
  toHttpRequest,
  toHttpResponse,
  writeResponse,
} from "./http-messages.ts";
import type { InvocationServices } from "./invoke.ts";
import { invoke } from "./invoke.ts";
import { describeError } from "./log.ts";
import type { RegisteredFunction } from "./registration.ts";
import type { HttpFunction, HttpRoute, RouteEntry } from "./routes.ts";
import { lookupRoute } from "./routes.ts";

/**
 * I/O shell: serves the app's HTTP triggers like the host does locally: `/<routePrefix>/<route>`,
 * method filter (404 unknown route, 405 wrong method), `HttpRequest` in, `HttpResponse` /
 * `HttpResponseInit` out, plus the runner's admin endpoints. Keys are not enforced (like Core Tools);
 * `code` / `x-functions-key` are simply passed along.
 */

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpHostOptions {
  /** Every registered function, for the `/admin/functions` listing. */
  functions: readonly RegisteredFunction[];
  /** The HTTP functions' routes, from `httpRouteTable` (which refuses unsupported syntax up front). */
  routes: readonly HttpRoute[];
  services: InvocationServices;
  port: number;
  host?: string;
  maxBodyBytes?: number;
}

export interface HttpHost {
  url: string;
  port: number;
  routes: readonly HttpRoute[];
  /** Stops accepting requests, lets in-flight ones finish (bounded), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

export async function startHttpHost(options: HttpHostOptions): Promise<HttpHost> {
  const { services } = options;
  const { logger } = services;
  const host = options.host ?? "127.0.0.1";
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { routes } = options;
  const entries: RouteEntry<HttpFunction>[] = routes.map((r) => ({
    route: r.route,
    methods: r.methods,
    value: r.fn,
  }));
  let state: "Running" | "Stopping" = "Running";
  const inFlight = new Set<Promise<void>>();
  let port = options.port;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const hostHeader = req.headers.host ?? `${host}:${port}`;
    let url: URL;
    try {
      url = new URL(req.url ?? "/", `http://${hostHeader}`);
    } catch {
      sendPlain(res, 400, "Bad request URL");
      return;
    }
    const path = url.pathname;
    let scope = "http";
    let invocationId: string | undefined;
    const done = () => {
      const ms = Math.round(performance.now() - started);
      logger.write("information", scope, `${method} ${path} ${res.statusCode} ${ms}ms`, {
        functionName: scope === "http" ? undefined : scope,
        invocationId,
      });
    };

    if (path === "/admin/host/status") {
      const ok = state === "Running";
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ state }));
      return;
    }
    if (path === "/admin/functions" && method === "GET") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(
        JSON.stringify(
          options.functions.map((f) => ({
            name: f.name,
            trigger: f.trigger,
            ...(f.trigger.kind === "http"
              ? { route: routes.find((r) => r.fn === f)?.route.fullTemplate }
              : {}),
          })),
        ),
      );
      return;
    }
    if (state !== "Running") {
      sendPlain(res, 503, "The function host is shutting down", { connection: "close" });
      done();
      return;
    }

    const found = lookupRoute(entries, method, path);
    if (found.kind === "not-found") {
      if (path === "/" && method === "GET") {
        sendPlain(res, 200, "Your local Functions runner is up and running.");
      } else {
        sendPlain(res, 404, `No function matches ${method} ${path}`);
      }
      done();
      return;
    }
    if (found.kind === "method-not-allowed") {
      sendPlain(res, 405, `Method ${method} is not allowed for ${path}`, { allow: found.allowed.join(", ") });
      done();
      return;
    }

    const fn = found.entry.value;
    scope = fn.name;
    invocationId = randomUUID();

    const declaredLength = Number(req.headers["content-length"] ?? "0");
    let body: Buffer;
    try {
      if (declaredLength > maxBodyBytes * 4) throw new BodyTooLargeError();
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendPlain(res, 413, `Request body larger than ${maxBodyBytes} bytes`, { connection: "close" });
      } else {
        res.destroy();
      }
      done();
      return;
    }

    let response: HttpResponse | undefined;
    try {
      const request = toHttpRequest(method, url, req.headers, found.params, body);
      const { result, context } = await invoke(services, { fn, input: request, invocationId });
      response = toHttpResponse(httpOutput(fn, result, context));
    } catch (error) {
      const detail = error instanceof Error && error.stack ? error.stack : describeError(error);
      logger.write("error", fn.name, `Executed '${fn.name}' (Failed): ${detail}`, {
        functionName: fn.name,
        invocationId,
      });
      sendPlain(res, 500, "");
      done();
      return;
    }
    try {
      await writeResponse(res, response, method);
    } catch (error) {
      logger.write("error", fn.name, `failed to write the response: ${describeError(error)}`, {
        functionName: fn.name,
        invocationId,
      });
      if (!res.headersSent) sendPlain(res, 500, "");
      else res.destroy();
    }
    done();
  };

  const server: Server = createServer((req, res) => {
    const p = handle(req, res).catch((error) => {
      logger.error("http", `unexpected error: ${describeError(error)}`);
      if (!res.headersSent) sendPlain(res, 500, "");
      else res.destroy();
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;

  await listen(server, options.port, host);
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    routes,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        state = "Stopping";
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
          timer.unref();
        });
        await Promise.race([Promise.allSettled([...inFlight]), bound]);
        clearTimeout(timer);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
