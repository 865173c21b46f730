import type { Json } from "./canonical.ts";
import { scimError } from "./errors.ts";
import type { Projection } from "./projection.ts";

/**
 * Reading a SCIM request's media type, body and query (pure). Bodies are `application/scim+json`, but
 * Okta sends `application/json` on some calls, and both are JSON: either is taken, as is a body without
 * a type; another type is refused. Query values arrive decoded already (Okta's `%20`-encoded filter
 * spaces included): decoding them again would corrupt a `%` inside a value.
 */

export function checkMediaType(contentType: string | null): void {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "" || type === "application/json" || type === "application/scim+json") return;
  throw scimError(
    415,
    undefined,
    `Content-Type must be application/scim+json or application/json, not ${type}`,
  );
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The body as a JSON object; bytes that are not UTF-8 are refused, never patched with replacement characters. */
export function parseJsonObject(bytes: Uint8Array): Json {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(bytes));
  } catch {
    throw scimError(400, "invalidSyntax", "The body is not UTF-8 JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw scimError(400, "invalidSyntax", "The body must be a JSON object");
  }
  return value as Json;
}

export function projectionOf(query: URLSearchParams): Projection {
  return {
    attributes: query.get("attributes") ?? undefined,
    excludedAttributes: query.get("excludedAttributes") ?? undefined,
  };
}

/** The `filter` parameter; a blank one means no filter. */
export function filterOf(query: URLSearchParams): string | undefined {
  const filter = query.get("filter");
  return filter === null || filter.trim() === "" ? undefined : filter;
}
