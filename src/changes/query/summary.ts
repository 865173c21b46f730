import { OUTCOMES, type Outcome, STATUSES, type Status } from "../model.ts";
import type { Parsed } from "./filters.ts";
import {
  type Bucket,
  type Counts,
  MAX_RANGE_DAYS,
  type SummaryQuery,
  type SummaryResponse,
} from "./schema.ts";

/**
 * `GET /api/owner-changes/summary` before and after the I/O (design §3, "The query API"): the range and its buckets,
 * and counting the changes the reader found. Pure.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const BUCKET_MS: Record<Bucket, number> = { hour: HOUR_MS, day: DAY_MS };

export interface SummaryRange {
  since: number;
  until: number;
  bucket?: Bucket;
}

/** Defaults to the 24 hours before `now`; at most MAX_RANGE_DAYS long. */
export function summaryRange(query: SummaryQuery, now: number): Parsed<SummaryRange> {
  const until = query.until === undefined ? now : Date.parse(query.until);
  const since = query.since === undefined ? until - DAY_MS : Date.parse(query.since);
  if (since >= until) return { ok: false, errors: [{ path: "since", message: "must be before until" }] };
  if (until - since > MAX_RANGE_DAYS * DAY_MS) {
    return {
      ok: false,
      errors: [{ path: "since", message: `must be at most ${MAX_RANGE_DAYS} days before until` }],
    };
  }
  return {
    ok: true,
    value: query.bucket === undefined ? { since, until } : { since, until, bucket: query.bucket },
  };
}

/**
 * The bucket edges of [since, until): `since`, every UTC hour or day boundary strictly inside, `until`.
 * The first and last buckets are cut at the range, so their counts cover what they say.
 */
export function bucketEdges(since: number, until: number, bucket: Bucket): number[] {
  const size = BUCKET_MS[bucket];
  const edges = [since];
  for (let edge = Math.floor(since / size) * size + size; edge < until; edge += size) edges.push(edge);
  edges.push(until);
  return edges;
}

/** One change as the summary counts it: when it was created, its current status and outcome. */
export interface Counted {
  createdAt: number;
  status: Status;
  outcome?: Outcome;
  rateLimitRetries: number;
}

function emptyCounts(): Counts {
  return {
    total: 0,
    byStatus: Object.fromEntries(STATUSES.map((status) => [status, 0])) as Counts["byStatus"],
    byOutcome: Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Counts["byOutcome"],
    rateLimitRetries: 0,
  };
}

function add(counts: Counts, change: Counted): void {
  counts.total++;
  counts.byStatus[change.status] = (counts.byStatus[change.status] ?? 0) + 1;
  if (change.outcome !== undefined)
    counts.byOutcome[change.outcome] = (counts.byOutcome[change.outcome] ?? 0) + 1;
  counts.rateLimitRetries += change.rateLimitRetries;
}

export function summarize(range: SummaryRange, changes: Iterable<Counted>): SummaryResponse {
  const totals = emptyCounts();
  const edges = range.bucket === undefined ? undefined : bucketEdges(range.since, range.until, range.bucket);
  const buckets = edges?.slice(1).map(() => emptyCounts());
  for (const change of changes) {
    if (change.createdAt < range.since || change.createdAt >= range.until) continue;
    add(totals, change);
    if (edges === undefined || buckets === undefined) continue;
    // The first boundary inside the range is aligned, so later buckets are found by division.
    const inner = edges[1] as number;
    const size = BUCKET_MS[range.bucket as Bucket];
    const index = change.createdAt < inner ? 0 : Math.floor((change.createdAt - inner) / size) + 1;
    add(buckets[index] as Counts, change);
  }
  const response: SummaryResponse = {
    since: new Date(range.since).toISOString(),
    until: new Date(range.until).toISOString(),
    ...totals,
  };
  if (edges !== undefined && buckets !== undefined) {
    response.buckets = buckets.map((counts, index) => ({
      start: new Date(edges[index] as number).toISOString(),
      end: new Date(edges[index + 1] as number).toISOString(),
      ...counts,
    }));
  }
  return response;
}
