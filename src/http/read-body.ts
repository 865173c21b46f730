import { type Problem, problem } from "./problem.ts";

/**
 * Reads a request body with a byte budget (I/O shell). `HttpRequest.body` is a web ReadableStream in the
 * v4 programming model — over the host's buffered bytes, or the live connection when HTTP streaming is
 * on — so counting chunks as they come lets an oversized body be refused after `limit` bytes instead of
 * after all of it: the parser never sees (nor copies, nor decodes) more than the limit.
 */

export type BodyRead =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "too-large" }
  | { ok: false; reason: "unreadable"; message: string };

export async function readBodyWithin(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<BodyRead> {
  if (body === null) return { ok: true, bytes: new Uint8Array(0) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        // Tell the source to stop; what it still has is never read.
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: "too-large" };
      }
      chunks.push(value);
    }
  } catch (error) {
    // The caller went away mid-body (or the host's stream failed): there is nothing to parse.
    return { ok: false, reason: "unreadable", message: (error as Error).message };
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

/**
 * A well-formed `Content-Length` (digits only), or undefined. A malformed one is left to the byte
 * counter above, which is authoritative either way: a sender may lie in both directions.
 */
export function declaredContentLength(value: string | null): number | undefined {
  const text = value?.trim();
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * A JSON intake's body within `limit` bytes, or the problem to answer: 413 when the declared size or the
 * count while reading exceeds it, 400 when the body could not be read at all. The declared size refuses
 * early; the count is what holds either way, since Content-Length may be missing (chunked) or lie.
 */
export async function readRequestBody(
  request: { body: ReadableStream<Uint8Array> | null; headers: { get(name: string): string | null } },
  limit: number,
): Promise<{ ok: true; bytes: Uint8Array } | { ok: false; problem: Problem }> {
  const tooLarge = problem("tooLarge", `The body exceeds ${limit} bytes`);
  if ((declaredContentLength(request.headers.get("content-length")) ?? 0) > limit) {
    return { ok: false, problem: tooLarge };
  }
  const read = await readBodyWithin(request.body, limit);
  if (read.ok) return read;
  if (read.reason === "too-large") return { ok: false, problem: tooLarge };
  return {
    ok: false,
    problem: problem("malformedJson", "The body could not be read", {
      errors: [{ path: "(body)", message: read.message }],
    }),
  };
}
