import type { Status, StatusDocument } from "../model.ts";

/**
 * Where the query API's index rows live, and what they hold (design §3, "The query API"). Pure. They share the status
 * table with the documents, in partitions of their own:
 *
 * - `ix-status|<status>`: one row per change under its current status, except `queued`, whose rows are
 *   in the `pending-changes` partition under the RowKey prefix `~q|` (after every id, so crash recovery's
 *   reads of that partition stop before them): accept writes a change's pending row and its queued row
 *   in one entity-group transaction, so indexing adds no request to the intake. Every status change
 *   writes the new row before the document and deletes the old one after it, so the row for a
 *   document's status always exists (a crash leaves a stale duplicate, never a gap).
 * - `ix-itwin|<itwinId>` and `ix-email|<email>`: written when a change first leaves `queued`, by the
 *   worker, not at accept: per-person rows would be up to 100 single writes per accepted batch. Until then
 *   the change is among the queued rows, which a by-iTwin or by-email query reads too (filtered there).
 *
 * RowKey = `<inverted createdAt ms, 13 digits>|<id>` in every partition, so a range query reads newest
 * first, a time range is a RowKey range, and one keyset cursor resumes any mix of partitions.
 */

export const STATUS_INDEX = "ix-status|";
export const PENDING_PARTITION = "pending-changes";
/** Sorts after every request id (`r-…`, `k-…`), so the pending rows come first in their partition. */
export const QUEUED_PREFIX = "~q|";
export const ITWIN_INDEX = "ix-itwin|";
export const EMAIL_INDEX = "ix-email|";

const LATEST_MS = 9_999_999_999_999;

/** 13 digits that sort the later instant first. */
export function invertedTime(ms: number): string {
  return String(LATEST_MS - ms).padStart(13, "0");
}

export function indexRowKey(createdAt: string, id: string): string {
  return `${invertedTime(Date.parse(createdAt))}|${id}`;
}

/** The creation instant a RowKey encodes (epoch ms). */
export function createdAtOfRowKey(rowKey: string): number {
  return LATEST_MS - Number(rowKey.slice(0, 13));
}

/** Every index row carries the columns that never change, so a query filters and lists from the row. */
export type IndexRow = {
  partitionKey: string;
  rowKey: string;
  itwinId: string;
  email: string;
  action: string;
  via: string;
  dryRun: boolean;
  createdAt: string;
  source?: string;
  parentId?: string;
  /** On status rows only: what the document said when the row was written (terminal ones are final). */
  outcome?: string;
  rateLimitRetries?: number;
};

export function indexRow(doc: StatusDocument, partitionKey: string): IndexRow {
  const row: IndexRow = {
    partitionKey,
    rowKey: indexRowKey(doc.createdAt, doc.id),
    itwinId: doc.itwinId,
    email: doc.email,
    action: doc.action,
    via: doc.via,
    dryRun: doc.dryRun,
    createdAt: doc.createdAt,
  };
  if (doc.source !== undefined) row.source = doc.source;
  if (doc.parentId !== undefined) row.parentId = doc.parentId;
  return row;
}

/** Where a status's index rows are: a partition, and the prefix of their RowKeys there. */
export function statusIndexPlace(status: Status): { partitionKey: string; prefix: string } {
  return status === "queued"
    ? { partitionKey: PENDING_PARTITION, prefix: QUEUED_PREFIX }
    : { partitionKey: STATUS_INDEX + status, prefix: "" };
}

export function statusIndexRow(doc: StatusDocument): IndexRow {
  const place = statusIndexPlace(doc.status);
  const row = indexRow(doc, place.partitionKey);
  row.rowKey = place.prefix + row.rowKey;
  if (doc.outcome !== undefined) row.outcome = doc.outcome;
  if (doc.rateLimitRetries !== undefined) row.rateLimitRetries = doc.rateLimitRetries;
  return row;
}
