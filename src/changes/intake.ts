import { Buffer } from "node:buffer";
import type { z } from "zod";
import { type Problem, problem } from "../http/problem.ts";
import { tryParseJson } from "../json.ts";
import { decodeBase64Text } from "../storage/queue-rules.ts";
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

/**
 * `body` is the request's bytes as read (the HTTP shell stops reading past the limit), or text a
 * caller already decoded. Bytes must be UTF-8 (RFC 8259 §8.1): invalid sequences are refused, not
 * replaced, because a replaced byte would silently change an id or an address.
 */
export function parseHttpSubmission(contentType: string | null, body: string | Uint8Array): HttpSubmission {
  const mediaProblem = jsonMediaTypeProblem(contentType);
  if (mediaProblem !== undefined) return { ok: false, problem: mediaProblem };
  const size = Buffer.byteLength(body);
  if (size > MAX_HTTP_BODY_BYTES) {
    return { ok: false, problem: problem("tooLarge", `The body exceeds ${MAX_HTTP_BODY_BYTES} bytes`) };
  }
  const text = typeof body === "string" ? { ok: true as const, text: body } : decodeUtf8(body);
  if (!text.ok) return text;
  const json = parseJsonBody(text.text);
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

function decodeJsonText(text: string): ReturnType<typeof tryParseJson> {
  const parsed = tryParseJson(text.trim());
  if (parsed.ok) return parsed;
  const decoded = decodeBase64Text(text);
  return decoded.ok ? tryParseJson(decoded.text) : parsed;
}

/** The message as text, for the poison envelope. */
export function messageText(message: unknown): string {
  if (typeof message === "string") return message;
  if (message instanceof Uint8Array) return Buffer.from(message).toString("utf8");
  return JSON.stringify(message) ?? String(message);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

export function decodeUtf8(bytes: Uint8Array): { ok: true; text: string } | { ok: false; problem: Problem } {
  try {
    return { ok: true, text: UTF8.decode(bytes) };
  } catch {
    return {
      ok: false,
      problem: problem("malformedJson", "The body is not valid UTF-8", {
        errors: [{ path: "(body)", message: "must be UTF-8 encoded JSON" }],
      }),
    };
  }
}

/**
 * `application/json` or any `application/*+json`, in UTF-8: a `charset` parameter other than UTF-8
 * is refused rather than decoded as UTF-8 and misread.
 */
export function jsonMediaTypeProblem(contentType: string | null): Problem | undefined {
  const [essence, ...parameters] = (contentType ?? "").split(";");
  const type = essence?.trim().toLowerCase() ?? "";
  if (type !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(type)) {
    return problem(
      "unsupportedMediaType",
      `Content-Type is ${contentType ?? "missing"}; send application/json`,
    );
  }
  for (const parameter of parameters) {
    const [name, value = ""] = parameter.split("=", 2).map((part) => part.trim().toLowerCase());
    const charset = value.replace(/^"(.*)"$/, "$1");
    if (name === "charset" && charset !== "utf-8" && charset !== "utf8") {
      return problem("unsupportedMediaType", `The charset is ${charset || "empty"}; send UTF-8`);
    }
  }
  return undefined;
}

/** Idempotency keys are bounded like the body's `id`; a blank one would make every blank sender one request. */
export const MAX_IDEMPOTENCY_KEY = 200;

/** The `Idempotency-Key` header: absent, or 1–200 characters after trimming. */
export function parseIdempotencyKey(
  value: string | null,
): { ok: true; key: string | undefined } | { ok: false; problem: Problem } {
  if (value === null) return { ok: true, key: undefined };
  const key = value.trim();
  if (key !== "" && key.length <= MAX_IDEMPOTENCY_KEY) return { ok: true, key };
  const message = key === "" ? "must not be blank" : `must be at most ${MAX_IDEMPOTENCY_KEY} characters`;
  return {
    ok: false,
    problem: problem("validation", `Invalid header: Idempotency-Key ${message}`, {
      errors: [{ path: "Idempotency-Key", message }],
    }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
