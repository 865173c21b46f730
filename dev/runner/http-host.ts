import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { Cookie, HttpResponseInit } from "@azure/functions";
import azureFunctions from "@azure/functions";
import type { HttpTriggerInfo, RegisteredFunction } from "./functions-core.ts";
import type { InvocationServices } from "./invoke.ts";
import { invoke } from "./invoke.ts";
import { describeError } from "./log.ts";
import type { CompiledRoute, RouteEntry } from "./routes.ts";
import { compileRoute, lookupRoute } from "./routes.ts";

// Named ESM imports of these classes fail at runtime (webpack CJS bundle); use the default export.
const { HttpRequest, HttpResponse } = azureFunctions;
type HttpResponse = InstanceType<typeof HttpResponse>;

/**
 * Serves the app's HTTP triggers like the host does locally: `/<routePrefix>/<route>`, method filter
 * (404 unknown route, 405 wrong method), `HttpRequest` in, `HttpResponse` / `HttpResponseInit` out.
 * Keys are not enforced (like Core Tools); `code` / `x-functions-key` are simply passed along.
 */

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpHostOptions {
  functions: readonly RegisteredFunction[];
  services: InvocationServices;
  routePrefix: string;
  port: number;
  host?: string;
  maxBodyBytes?: number;
}

export interface HttpHost {
  url: string;
  port: number;
  routes: { fn: RegisteredFunction; route: CompiledRoute; methods: string[] }[];
  /** Stops accepting requests, lets in-flight ones finish (bounded), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

type HttpFunction = RegisteredFunction & { trigger: HttpTriggerInfo };

export function httpRouteTable(functions: readonly RegisteredFunction[], routePrefix: string) {
  return functions
    .filter((f): f is HttpFunction => f.trigger.kind === "http")
    .map((fn) => {
      let route: CompiledRoute;
      try {
        route = compileRoute(fn.trigger.route, routePrefix);
      } catch (error) {
        throw new Error(
          `function "${fn.name}": invalid route "${fn.trigger.route}": ${(error as Error).message}`,
        );
      }
      return { fn, route, methods: fn.trigger.methods };
    });
}

function toHeaderRecord(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(key === "cookie" ? "; " : ", ") : value;
  }
  return out;
}

class BodyTooLargeError extends Error {}

/**
 * Reads the request body up to `limit` bytes. A larger body is read on and discarded (so the client
 * can finish sending and then read the 413) unless it exceeds 4× the limit, which drops the connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
      } else if (size > limit * 4) {
        req.destroy();
        reject(new BodyTooLargeError());
      }
    });
    req.once("end", () => (size > limit ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks))));
    req.once("error", reject);
    req.once("aborted", () => reject(new Error("request aborted by the client")));
  });
}

function serializeCookie(cookie: Cookie): string {
  const parts = [`${cookie.name}=${encodeURIComponent(cookie.value)}`];
  if (cookie.domain) parts.push(`Domain=${cookie.domain}`);
  if (cookie.path) parts.push(`Path=${cookie.path}`);
  if (cookie.expires !== undefined) {
    const expires = cookie.expires instanceof Date ? cookie.expires : new Date(cookie.expires);
    parts.push(`Expires=${expires.toUTCString()}`);
  }
  if (cookie.maxAge !== undefined) parts.push(`Max-Age=${cookie.maxAge}`);
  if (cookie.secure) parts.push("Secure");
  if (cookie.httpOnly) parts.push("HttpOnly");
  if (cookie.sameSite) parts.push(`SameSite=${cookie.sameSite}`);
  return parts.join("; ");
}

function isResponseLike(value: unknown): value is HttpResponse {
  // `instanceof` fails when the app bundles its own copy of @azure/functions; duck-type as well.
  if (value instanceof HttpResponse) return true;
  const v = value as Partial<HttpResponse> | null;
  return (
    !!v &&
    typeof v === "object" &&
    typeof v.status === "number" &&
    typeof v.arrayBuffer === "function" &&
    typeof (v.headers as Headers | undefined)?.entries === "function"
  );
}

/** Converts what an HTTP handler returned into an HttpResponse; throws the library's error for non-objects. */
export function toHttpResponse(result: unknown): HttpResponse | undefined {
  if (result === undefined || result === null) return undefined;
  if (typeof result !== "object") {
    throw new TypeError(
      'The HTTP response must be an object with optional properties "body", "status", "headers", and "cookies".',
    );
  }
  return isResponseLike(result) ? result : new HttpResponse(result as HttpResponseInit);
}

async function writeResponse(res: ServerResponse, response: HttpResponse | undefined, method: string) {
  if (!response) {
    res.writeHead(204);
    res.end();
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of response.headers.entries()) {
    if (key === "set-cookie") continue;
    headers[key] = value;
  }
  const setCookies = [
    ...(typeof response.headers.getSetCookie === "function" ? response.headers.getSetCookie() : []),
    ...(response.cookies ?? []).map(serializeCookie),
  ];
  if (setCookies.length > 0) headers["set-cookie"] = setCookies;
  res.writeHead(response.status, headers);
  const body = response.body as WebReadableStream<Uint8Array> | null;
  if (!body || method === "HEAD") {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = Readable.fromWeb(body);
    stream.once("error", reject);
    res.once("close", resolve);
    res.once("finish", resolve);
    stream.pipe(res);
  });
}

function sendPlain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...extra });
  res.end(text === "" ? undefined : `${text}\n`);
}

export async function startHttpHost(options: HttpHostOptions): Promise<HttpHost> {
  const { services } = options;
  const { logger } = services;
  const host = options.host ?? "127.0.0.1";
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const routes = httpRouteTable(options.functions, options.routePrefix);
  for (const { fn, route } of routes) {
    if (route.unknownConstraints.length > 0) {
      logger.warn(
        fn.name,
        `route constraint(s) ${route.unknownConstraints.join(", ")} are not checked by the local runner`,
      );
    }
  }
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

    const hasBody = body.length > 0 && method !== "GET" && method !== "HEAD";
    let response: HttpResponse | undefined;
    try {
      const request = new HttpRequest({
        method,
        url: url.toString(),
        headers: toHeaderRecord(req.headers),
        params: found.params,
        ...(hasBody ? { body: { bytes: new Uint8Array(body.buffer, body.byteOffset, body.length) } } : {}),
      });
      const { result, context } = await invoke(services, { fn, input: request, invocationId });
      const httpOutput =
        fn.options.return?.type.toLowerCase() === "http"
          ? result
          : (() => {
              const out = fn.options.extraOutputs.find((b) => b.type.toLowerCase() === "http");
              return out ? context.extraOutputs.get(out.name) : result;
            })();
      response = toHttpResponse(httpOutput);
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

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") {
        reject(
          new Error(`port ${options.port} on ${host} is already in use (another runner or func start?)`),
        );
      } else {
        reject(error);
      }
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(options.port, host);
  });
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
