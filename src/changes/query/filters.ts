import { createHash } from "node:crypto";
import type * as z from "zod";
import { type FieldError, fieldErrors, STATUSES, type Status } from "../model.ts";
import { EMAIL_INDEX, ITWIN_INDEX, invertedTime, PENDING_PARTITION, STATUS_INDEX } from "./keys.ts";
import { type ListQuery, listQuerySchema } from "./schema.ts";

/**
 * `GET /api/owner-changes` before any I/O (design §3, "The query API"): the query string → filters, the opaque cursor,
 * and which index partitions answer the filters. Pure.
 */

export interface Filters {
  itwinId?: string;
  email?: string;
  status?: Status[];
  source?: string;
  action?: "add" | "remove";
  /** Epoch ms; since inclusive, until exclusive. */
  since?: number;
  until?: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface ListRequest {
  filters: Filters;
  limit: number;
  /** The RowKey the previous page ended at, from a cursor that belongs to these filters. */
  after?: string;
}

/** Query parameters the functions host itself reads (`code` carries the function key). */
const HOST_PARAMETERS = new Set(["code"]);

/** zod parses a plain record; a parameter given twice is refused rather than silently picking one. */
export function queryRecord(
  params: URLSearchParams,
  known: readonly string[],
): Parsed<Record<string, string>> {
  const record: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const [name, value] of params) {
    if (HOST_PARAMETERS.has(name)) continue;
    if (!known.includes(name)) errors.push({ path: name, message: "is not a known query parameter" });
    else if (name in record) errors.push({ path: name, message: "is given more than once" });
    else record[name] = value;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: record };
}

export function parseQuery<S extends z.ZodType>(
  schema: S,
  params: URLSearchParams,
  known: readonly string[],
) {
  const record = queryRecord(params, known);
  if (!record.ok) return record;
  const parsed = schema.safeParse(record.value);
  return parsed.success
    ? { ok: true as const, value: parsed.data as z.output<S> }
    : { ok: false as const, errors: fieldErrors(parsed.error) };
}

const LIST_PARAMETERS = Object.keys(listQuerySchema.shape);

export function parseListRequest(params: URLSearchParams): Parsed<ListRequest> {
  const parsed = parseQuery(listQuerySchema, params, LIST_PARAMETERS);
  if (!parsed.ok) return parsed;
  const query: ListQuery = parsed.value;
  const filters: Filters = {};
  if (query.itwinId !== undefined) filters.itwinId = query.itwinId;
  if (query.email !== undefined) filters.email = query.email;
  if (query.status !== undefined) filters.status = [...new Set(query.status)].sort();
  if (query.source !== undefined) filters.source = query.source;
  if (query.action !== undefined) filters.action = query.action;
  if (query.since !== undefined) filters.since = Date.parse(query.since);
  if (query.until !== undefined) filters.until = Date.parse(query.until);
  if (filters.since !== undefined && filters.until !== undefined && filters.since >= filters.until) {
    return { ok: false, errors: [{ path: "since", message: "must be before until" }] };
  }
  if (query.cursor === undefined) return { ok: true, value: { filters, limit: query.limit } };
  const after = readCursor(query.cursor, filters);
  if (!after.ok) return after;
  return { ok: true, value: { filters, limit: query.limit, after: after.value } };
}

/** The filters' fingerprint: a cursor carries it, so it cannot be replayed with other filters. */
export function filterHash(filters: Filters): string {
  const canonical = JSON.stringify([
    filters.itwinId ?? null,
    filters.email ?? null,
    filters.status ?? null,
    filters.source ?? null,
    filters.action ?? null,
    filters.since ?? null,
    filters.until ?? null,
  ]);
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}

/**
 * The cursor is our own keyset position, base64url JSON: the filters' hash and the last RowKey
 * examined (inverted time and id, nothing personal). Table Storage's continuation token is never
 * handed out: it names the next partition key, which for the by-email index is an address.
 */
export function makeCursor(filters: Filters, rowKey: string): string {
  return Buffer.from(JSON.stringify({ v: 1, q: filterHash(filters), rk: rowKey })).toString("base64url");
}

const ROW_KEY = /^\d{13}\|[A-Za-z0-9_-]+$/;

export function readCursor(cursor: string, filters: Filters): Parsed<string> {
  const refuse = (message: string): Parsed<string> => ({ ok: false, errors: [{ path: "cursor", message }] });
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return refuse("is not a cursor this API issued");
  }
  const { v, q, rk } = (decoded ?? {}) as { v?: unknown; q?: unknown; rk?: unknown };
  if (v !== 1 || typeof q !== "string" || typeof rk !== "string" || !ROW_KEY.test(rk)) {
    return refuse("is not a cursor this API issued");
  }
  if (q !== filterHash(filters))
    return refuse("belongs to a query with other filters; start again without it");
  return { ok: true, value: rk };
}

/** The RowKeys of changes created in [since, until): newest first, so `until` is the lower bound. */
export function rowKeyRange(filters: Pick<Filters, "since" | "until">): { above: string; below: string } {
  // Ids are [A-Za-z0-9_-] and `~` sorts after all of them, so `<inv>|~` follows every id at that instant.
  return {
    above: filters.until === undefined ? "" : `${invertedTime(filters.until)}|~`,
    below: filters.since === undefined ? "~" : `${invertedTime(filters.since)}|~`,
  };
}

/** One partition to read: equality conditions on its immutable columns, and the status it stands for. */
export interface Source {
  partitionKey: string;
  /**
   * The pending rows (keyed by id, so not in time order): read whole, they are the changes in flight,
   * and ordered by the reader. They stand for `queued` (query/keys.ts).
   */
  pending?: true;
  where: Partial<Record<"itwinId" | "email" | "action" | "source", string>>;
  /** For an `ix-status|` partition: a row there is only current when the document has this status. */
  status?: Status;
}

export interface Plan {
  sources: Source[];
  /** Statuses to keep, checked on each row's document, when the sources do not select by status. */
  statuses?: Status[];
}

/** Not yet finished: these partitions hold only the changes in flight, so they are small. */
const LIVE: readonly Status[] = ["queued", "processing", "held"];

/**
 * The most selective partitions for the filters. Live statuses only: their status partitions (what is
 * held or stuck right now), filtered there by iTwin and person. Otherwise an iTwin's or a person's own
 * partition, plus the queued partition for their changes no worker has taken yet (design §3, "The query API"), with
 * the statuses checked on the documents. Otherwise the asked statuses' partitions, or all six.
 */
export function planFor(filters: Filters): Plan {
  const common: Source["where"] = {};
  if (filters.action !== undefined) common.action = filters.action;
  if (filters.source !== undefined) common.source = filters.source;
  const person: Source["where"] = { ...common };
  if (filters.itwinId !== undefined) person.itwinId = filters.itwinId;
  if (filters.email !== undefined) person.email = filters.email;
  const byStatus = (statuses: readonly Status[], where: Source["where"]): Source[] =>
    statuses.map((status) =>
      status === "queued"
        ? { partitionKey: PENDING_PARTITION, pending: true, where, status }
        : { partitionKey: STATUS_INDEX + status, where, status },
    );

  const { status } = filters;
  if (status?.every((s) => LIVE.includes(s))) return { sources: byStatus(status, person) };
  const own =
    filters.itwinId !== undefined
      ? { partitionKey: ITWIN_INDEX + filters.itwinId, where: withoutKey(person, "itwinId") }
      : filters.email !== undefined
        ? { partitionKey: EMAIL_INDEX + filters.email, where: withoutKey(person, "email") }
        : undefined;
  if (own === undefined) return { sources: byStatus(status ?? STATUSES, common) };
  const notTaken = status === undefined || status.includes("queued") ? byStatus(["queued"], person) : [];
  return status === undefined
    ? { sources: [own, ...notTaken] }
    : { sources: [own, ...notTaken], statuses: status };
}

function withoutKey(where: Source["where"], key: keyof Source["where"]): Source["where"] {
  const { [key]: _dropped, ...rest } = where;
  return rest;
}

/** The next page's link: the same filters as asked (the caller's spelling), and the new cursor. */
export function nextLink(path: string, params: URLSearchParams, cursor: string): string {
  const next = new URLSearchParams();
  for (const [name, value] of params)
    if (name !== "cursor" && !HOST_PARAMETERS.has(name)) next.append(name, value);
  next.set("cursor", cursor);
  return `${path}?${next.toString()}`;
}
