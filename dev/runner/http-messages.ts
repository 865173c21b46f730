import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { Cookie, HttpResponseInit, InvocationContext } from "@azure/functions";
import azureFunctions from "@azure/functions";
import type { RegisteredFunction } from "./registration.ts";

// Named ESM imports of these classes fail at runtime (webpack CJS bundle); use the default export.
const { HttpRequest, HttpResponse } = azureFunctions;
export type HttpRequest = InstanceType<typeof HttpRequest>;
export type HttpResponse = InstanceType<typeof HttpResponse>;

/**
 * I/O shell between node:http and the @azure/functions HTTP types: request headers and a capped body
 * in, what a handler returned (HttpResponse, HttpResponseInit or nothing) out, cookies included.
 * http-host.ts decides what to answer; this module only reads and writes.
 */

function toHeaderRecord(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.join(key === "cookie" ? "; " : ", ") : value;
  }
  return out;
}

export class BodyTooLargeError extends Error {}

/**
 * Reads the request body up to `limit` bytes. A larger body is read on and discarded (so the client
 * can finish sending and then read the 413) unless it exceeds 4× the limit, which drops the connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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

/** The request a handler receives; GET and HEAD never carry a body, as in the host. */
export function toHttpRequest(
  method: string,
  url: URL,
  headers: IncomingMessage["headers"],
  params: Record<string, string>,
  body: Buffer,
): HttpRequest {
  const hasBody = body.length > 0 && method !== "GET" && method !== "HEAD";
  return new HttpRequest({
    method,
    url: url.toString(),
    headers: toHeaderRecord(headers),
    params,
    ...(hasBody ? { body: { bytes: new Uint8Array(body.buffer, body.byteOffset, body.length) } } : {}),
  });
}

/** The value that carries the response: the return value, or an `http` output binding when declared so. */
export function httpOutput(fn: RegisteredFunction, result: unknown, context: InvocationContext): unknown {
  if (fn.options.return?.type.toLowerCase() === "http") return result;
  const out = fn.options.extraOutputs.find((b) => b.type.toLowerCase() === "http");
  return out ? context.extraOutputs.get(out.name) : result;
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

export async function writeResponse(res: ServerResponse, response: HttpResponse | undefined, method: string) {
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

export function sendPlain(
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...extra });
  res.end(text === "" ? undefined : `${text}\n`);
}

/** Starts listening; a port in use is reported as such (another runner or `func start`). */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (error.code === "EADDRINUSE") {
        reject(new Error(`port ${port} on ${host} is already in use (another runner or func start?)`));
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
    server.listen(port, host);
  });
}
