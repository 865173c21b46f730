import { odata, type TableClient } from "@azure/data-tables";
import pMap from "p-map";
import { isStatus } from "../../storage/rows.ts";
import { type Outcome, STATUSES, type Status } from "../model.ts";
import { type Filters, planFor, rowKeyRange, type Source } from "./filters.ts";
import { createdAtOfRowKey, type IndexRow, statusIndexPlace } from "./keys.ts";
import { type Fetched, keepChange, mergeRound } from "./merge.ts";
import type { ChangeSummary } from "./schema.ts";
import type { Counted } from "./summary.ts";

/**
 * The query API's reads (I/O shell; design §3, "The query API" says what each costs): index partitions in RowKey
 * order, each page's current statuses from the status rows, and stale status rows cleaned on the way.
 * What to read and what to keep is decided in filters.ts, merge.ts and summary.ts.
 */

/** Rows read from the index per request at most; past it the page ends early, with a cursor. */
export const MAX_EXAMINED = 1000;
/** Point reads of status rows in flight. */
const READS_IN_FLIGHT = 16;
/** Rounds of one list request; each reads every source once. */
const MAX_ROUNDS = 8;
/** Service pages followed within one source's read when they come back short (time or partition limits). */
const MAX_SERVICE_PAGES = 5;
/**
 * A status row is only deleted as stale once it is this old: a writer puts the new row before the
 * document (status-store.ts), and must not see it deleted between the two.
 */
const STALE_AFTER_MS = 60_000;

type Row = IndexRow & { etag: string; timestamp?: string };
type Current = { status: Status; outcome?: Outcome; updatedAt: string };

export type ListedChange = Omit<ChangeSummary, "statusUrl">;

export interface ListPage {
  items: ListedChange[];
  /** The RowKey to continue after, when there may be more. */
  after?: string;
  examined: number;
}

const LISTED_COLUMNS = [
  "RowKey",
  "Timestamp",
  "itwinId",
  "email",
  "action",
  "source",
  "via",
  "dryRun",
  "parentId",
  "createdAt",
];

export class ChangeQueries {
  constructor(
    private readonly table: TableClient,
    private readonly now: () => number,
    private readonly maxExamined = MAX_EXAMINED,
  ) {}

  /** One page, newest first, of at most `limit` changes, reading at most `maxExamined` index rows. */
  async list(filters: Filters, limit: number, after?: string): Promise<ListPage> {
    const plan = planFor(filters);
    const range = rowKeyRange(filters);
    let position = after !== undefined && after > range.above ? after : range.above;
    const items: ListedChange[] = [];
    let examined = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const budget = Math.floor((this.maxExamined - examined) / plan.sources.length);
      if (budget < 1) break;
      const size = Math.min(budget, Math.max(limit - items.length, 1));
      const fetched = await Promise.all(
        plan.sources.map((source) => this.fetch(source, position, range.below, size)),
      );
      examined += fetched.reduce((sum, { rows }) => sum + rows.length, 0);
      const { rows, resume } = mergeRound(fetched, position);
      const byKey = new Map<string, { row: Row; source: Source }[]>();
      for (const { row, source } of rows) {
        const list = byKey.get(row.rowKey) ?? [];
        list.push({ row, source: plan.sources[source] as Source });
        byKey.set(row.rowKey, list);
      }
      const keys = [...byKey.keys()];
      const current = await pMap(keys, (key) => this.current(idOf(key)), { concurrency: READS_IN_FLIGHT });
      for (const [index, key] of keys.entries()) {
        const found = current[index];
        const candidates = byKey.get(key) ?? [];
        await this.dropStale(candidates, found?.status);
        if (
          !keepChange(
            candidates.map(({ source }) => source),
            found?.status,
            plan.statuses,
          )
        )
          continue;
        items.push(listed((candidates[0] as { row: Row }).row, found as Current));
        if (items.length === limit) {
          const last = index === keys.length - 1 && resume === undefined;
          return last ? { items, examined } : { items, after: key, examined };
        }
      }
      if (resume === undefined) return { items, examined };
      position = resume;
    }
    return { items, after: position, examined };
  }

  /**
   * Every change created in [since, until) with its current status: the six status partitions' rows
   * in the range (RowKey and three columns), and a document read only for a change found under two
   * statuses (a stale row beside the current one).
   */
  async countable(since: number, until: number): Promise<Counted[]> {
    const range = rowKeyRange({ since, until });
    const found = new Map<string, { status: Status; row: Row }[]>();
    await Promise.all(
      STATUSES.map(async (status) => {
        const { partitionKey, prefix } = statusIndexPlace(status);
        const rows = this.table.listEntities<Row>({
          queryOptions: {
            filter: odata`PartitionKey eq ${partitionKey} and RowKey gt ${prefix + range.above} and RowKey lt ${prefix + range.below}`,
            select: ["RowKey", "Timestamp", "outcome", "rateLimitRetries"],
          },
        });
        for await (const row of rows) {
          const key = row.rowKey.slice(prefix.length);
          const list = found.get(key) ?? [];
          list.push({ status, row });
          found.set(key, list);
        }
      }),
    );
    const doubled = [...found].filter(([, list]) => list.length > 1);
    const resolved = await pMap(doubled, ([key]) => this.current(idOf(key)), {
      concurrency: READS_IN_FLIGHT,
    });
    const truth = new Map(doubled.map(([key], index) => [key, resolved[index]?.status]));
    const counted: Counted[] = [];
    for (const [key, list] of found) {
      const status = list.length === 1 ? list[0]?.status : truth.get(key);
      const entry = list.find((candidate) => candidate.status === status);
      if (entry === undefined) continue;
      const { row } = entry;
      const change: Counted = {
        createdAt: createdAtOfRowKey(key),
        status: entry.status,
        rateLimitRetries: row.rateLimitRetries ?? 0,
      };
      if (row.outcome !== undefined) change.outcome = row.outcome as Outcome;
      counted.push(change);
    }
    return counted;
  }

  /** Up to `size` rows of one source after `after`, and whether it may hold more. */
  private async fetch(source: Source, after: string, below: string, size: number): Promise<Fetched<Row>> {
    const { partitionKey, prefix } = source;
    let filter = odata`PartitionKey eq ${partitionKey} and RowKey gt ${prefix + after} and RowKey lt ${prefix + below}`;
    // Column names come from Source's fixed set; only the values need quoting (OData doubles a quote).
    for (const [column, value] of Object.entries(source.where)) {
      filter += ` and ${column} eq '${value.replaceAll("'", "''")}'`;
    }
    const rows: Row[] = [];
    let more = false;
    let pages = 0;
    for await (const page of this.table
      .listEntities<Row>({ queryOptions: { filter, select: LISTED_COLUMNS } })
      .byPage({ maxPageSize: size })) {
      // Without the partition's prefix, RowKeys of every source compare (and resume) alike.
      rows.push(...page.map((row) => ({ ...row, rowKey: row.rowKey.slice(prefix.length) })));
      more = page.continuationToken !== undefined;
      if (rows.length >= size || !more || ++pages >= MAX_SERVICE_PAGES) break;
    }
    if (rows.length > size) return { rows: rows.slice(0, size), more: true };
    return { rows, more };
  }

  private async current(id: string): Promise<Current | undefined> {
    try {
      return await this.table.getEntity<Current>(id, "status", {
        queryOptions: { select: ["status", "outcome", "updatedAt"] },
      });
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * Deletes status rows the document has moved on from. Only when they are old enough, and only if
   * unchanged since read (ETag), so a writer's new row is never taken away before its document lands.
   */
  private async dropStale(candidates: readonly { row: Row; source: Source }[], current: Status | undefined) {
    if (current === undefined) return;
    const stale = candidates.filter(
      ({ row, source }) =>
        source.status !== undefined &&
        source.status !== current &&
        this.now() - Date.parse(row.timestamp ?? "") > STALE_AFTER_MS,
    );
    await Promise.all(
      stale.map(({ row, source }) =>
        this.table
          .deleteEntity(source.partitionKey, source.prefix + row.rowKey, { etag: row.etag })
          .catch(() => undefined),
      ),
    );
  }
}

function idOf(rowKey: string): string {
  return rowKey.slice(14);
}

function listed(row: Row, current: Current): ListedChange {
  const item: ListedChange = {
    id: idOf(row.rowKey),
    status: current.status,
    itwinId: row.itwinId,
    email: row.email,
    action: row.action as ListedChange["action"],
    via: row.via as ListedChange["via"],
    dryRun: row.dryRun,
    createdAt: row.createdAt,
    updatedAt: current.updatedAt,
  };
  if (current.outcome !== undefined) item.outcome = current.outcome;
  if (row.source !== undefined) item.source = row.source;
  if (row.parentId !== undefined) item.parentId = row.parentId;
  return item;
}
