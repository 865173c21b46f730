import type { Status } from "../model.ts";

/**
 * One round of reading several index partitions in RowKey order (newest first) and keeping the
 * current rows (design §3, "The query API"). Pure: the reader (reader.ts) fetches and reads documents around it.
 */

/** What one partition returned this round, in RowKey order; `more` when it may hold further rows. */
export interface Fetched<R extends { rowKey: string }> {
  rows: R[];
  more: boolean;
}

/**
 * The rows every partition has been read up to, in RowKey order, and the RowKey the next round starts
 * after (undefined when every partition is exhausted). A partition that may hold more bounds the
 * round at its last row: past that, its next rows could still come first.
 */
export function mergeRound<R extends { rowKey: string }>(
  fetched: readonly Fetched<R>[],
  after: string,
): { rows: { row: R; source: number }[]; resume?: string } {
  let bound: string | undefined;
  for (const { rows, more } of fetched) {
    if (!more) continue;
    const last = rows.at(-1)?.rowKey ?? after;
    if (bound === undefined || last < bound) bound = last;
  }
  const rows = fetched
    .flatMap(({ rows: list }, source) => list.map((row) => ({ row, source })))
    .filter(({ row }) => bound === undefined || row.rowKey <= bound)
    .sort((a, b) =>
      a.row.rowKey < b.row.rowKey ? -1 : a.row.rowKey > b.row.rowKey ? 1 : a.source - b.source,
    );
  return bound === undefined ? { rows } : { rows, resume: bound };
}

/** A candidate row: which partition it came from decides how its document must agree with it. */
export interface Candidate {
  /** Set for an `ix-status|` row, which is current only while the document has that status. */
  status?: Status;
}

/**
 * Whether one change (its rows from every partition, and its document's current status) belongs on
 * the page: it must exist, a status row of it must be the current one (or it came from an iTwin's or a
 * person's partition, which hold no status), and its status must be one asked for.
 */
export function keepChange(
  candidates: readonly Candidate[],
  current: Status | undefined,
  statuses: readonly Status[] | undefined,
): boolean {
  if (current === undefined) return false;
  if (statuses !== undefined && !statuses.includes(current)) return false;
  return candidates.some((candidate) => candidate.status === undefined || candidate.status === current);
}
