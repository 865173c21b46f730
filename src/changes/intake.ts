import { Buffer } from "node:buffer";
import type { z } from "zod";
import { type Problem, problem } from "../http/problem.ts";
import { tryParseJson } from "../json.ts";
import {
  type FieldError,
  fieldErrors,
  httpBatchSchema,
  httpChangeSchema,
  MAX_BATCH,
  type OwnerChange,
  queueChangeSchema,
} from "./model.ts";

/**
 * Turning what arrived — an HTTP body or a queue message — into validated changes. Pure: the function
 * shells do the I/O and hand the results to `accept`.
 */

export const MAX_HTTP_BODY_BYTES = 256 * 1024;

export type HttpSubmission =
  | { ok: true; batch: boolean; changes: OwnerChange[] }
  | { ok: false; problem: Problem };

export function parseHttpSubmission(contentType: string | null, body: string): HttpSubmission {
  if (!isJsonMediaType(contentType)) {
    return {
      ok: false,
      problem: problem(
        "unsupportedMediaType",
        `Content-Type is ${contentType ?? "missing"}; send application/json`,
      ),
    };
  }
  if (Buffer.byteLength(body) > MAX_HTTP_BODY_BYTES) {
    return { ok: false, problem: problem("tooLarge", `The body exceeds ${MAX_HTTP_BODY_BYTES} bytes`) };
  }
  const json = parseJsonBody(body);
  if (!json.ok) return json;
  const { value } = json;
  if (isObject(value) && "changes" in value) {
    if (Array.isArray(value.changes) && value.changes.length > MAX_BATCH) {
      return {
        ok: false,
        problem: problem(
          "tooLarge",
          `A batch holds at most ${MAX_BATCH} changes; this one has ${value.changes.length}`,
          { errors: [{ path: "changes", message: `must hold at most ${MAX_BATCH} changes` }] },
        ),
      };
    }
    const result = httpBatchSchema.safeParse(value);
    return result.success
      ? { ok: true, batch: true, changes: result.data.changes }
      : { ok: false, problem: validationProblem(result.error) };
  }
  const result = httpChangeSchema.safeParse(value);
  return result.success
    ? { ok: true, batch: false, changes: [result.data] }
    : { ok: false, problem: validationProblem(result.error) };
}

/** Parses a JSON request body, or says why it is not JSON as a problem naming `(body)`. */
export function parseJsonBody(body: string): { ok: true; value: unknown } | { ok: false; problem: Problem } {
  const json = tryParseJson(body);
  if (json.ok) return json;
  return {
    ok: false,
    problem: problem("malformedJson", "The body could not be parsed as JSON", {
      errors: [{ path: "(body)", message: json.error }],
    }),
  };
}

export function validationProblem(error: z.ZodError): Problem {
  const errors = fieldErrors(error);
  const fields = [...new Set(errors.map((e) => e.path))].join(", ");
  return problem("validation", `Invalid field(s): ${fields}`, { errors });
}

export type QueueRequest =
  | { ok: true; change: OwnerChange }
  | { ok: false; reason: string; errors?: FieldError[] };

/**
 * A message on the public requests queue: JSON text, or base64-encoded JSON (what a producer using
 * the SDK with the host's default `base64` encoding sends). The host hands JSON over already parsed.
 */
export function parseQueueRequest(message: unknown): QueueRequest {
  let value: unknown = message;
  if (message instanceof Uint8Array) value = Buffer.from(message).toString("utf8");
  if (typeof value === "string") {
    const decoded = decodeJsonText(value);
    if (!decoded.ok) return { ok: false, reason: "The message is neither JSON nor base64-encoded JSON" };
    value = decoded.value;
  }
  const result = queueChangeSchema.safeParse(value);
  if (result.success) return { ok: true, change: result.data };
  const errors = fieldErrors(result.error);
  return {
    ok: false,
    reason: `The message fails the owner-change schema: ${errors.map((e) => e.path).join(", ")}`,
    errors,
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeJsonText(text: string): ReturnType<typeof tryParseJson> {
  const trimmed = text.trim();
  const parsed = tryParseJson(trimmed);
  if (parsed.ok || trimmed.length % 4 !== 0 || !BASE64.test(trimmed)) return parsed;
  return tryParseJson(Buffer.from(trimmed, "base64").toString("utf8"));
}

/** The message as text, for the poison envelope. */
export function messageText(message: unknown): string {
  if (typeof message === "string") return message;
  if (message instanceof Uint8Array) return Buffer.from(message).toString("utf8");
  return JSON.stringify(message) ?? String(message);
}

function isJsonMediaType(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json" || (type !== undefined && /^application\/[\w.+-]+\+json$/.test(type));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
