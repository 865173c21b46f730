import type { StatusDocument } from "../model.ts";

/**
 * Where the query API's index rows live, and what they hold (design §3, "The query API"). Pure. They
 * share the status table with the documents:
 *
 * - The pending row (`pending-changes`, RowKey = id) every change has from accept until it is finished
 *   carries the index columns too. It is what finds a `queued` change: accept writes nothing it did not
 *   write before (a batch's pending rows are one entity-group transaction per 100), so indexing costs
 *   the intake no request. It is not ordered by time, but it holds only the changes in flight.
 * - `ix-status|<status>` for every other status: one row per change under its current status. A status
 *   change writes the new row before the document and deletes the old one after it, so the row for a
 *   document's status always exists (a crash leaves a stale duplicate, never a gap).
 * - `ix-itwin|<itwinId>` and `ix-email|<email>`: written by the worker when a change first leaves
 *   `queued`. Not at accept: per-person rows would be up to 100 single writes per accepted batch. Until
 *   then a by-iTwin or by-person query finds the change by its pending row.
 *
 * RowKey = `<inverted createdAt ms, 13 digits>|<id>` in the ordered partitions, so a range query reads
 * newest first, a time range is a RowKey range, and one keyset cursor resumes any mix of partitions.
 */

export const STATUS_INDEX = "ix-status|";
export const PENDING_PARTITION = "pending-changes";
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

/** A change's row under its status; `queued` has none of its own (its pending row stands for it). */
export function statusIndexRow(doc: StatusDocument): IndexRow {
  const row = indexRow(doc, STATUS_INDEX + doc.status);
  if (doc.outcome !== undefined) row.outcome = doc.outcome;
  if (doc.rateLimitRetries !== undefined) row.rateLimitRetries = doc.rateLimitRetries;
  return row;
}

/** The pending row: recovery's `acceptedAt` and the index columns, keyed by id. */
export function pendingRow(doc: StatusDocument): IndexRow & { acceptedAt: string } {
  return { ...indexRow(doc, PENDING_PARTITION), rowKey: doc.id, acceptedAt: doc.createdAt };
}
