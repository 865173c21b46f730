import type { HttpResponseInit } from "@azure/functions";
import { failureOf } from "./errors.ts";

/** SCIM answers as HTTP responses (pure): every body is `application/scim+json` (RFC 7644 §3.1). */

export const SCIM_CONTENT_TYPE = "application/scim+json";

export function scimResponse(
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): HttpResponseInit {
  if (body === undefined) return { status, headers };
  return {
    status,
    headers: { "content-type": SCIM_CONTENT_TYPE, ...headers },
    body: JSON.stringify(body),
  };
}

/** The SCIM error answer for anything an operation threw (errors.ts says which status). */
export function errorResponse(error: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  const failure = failureOf(error);
  return scimResponse(failure.status, failure.body, headers);
}
