import { odata, type TableClient } from "@azure/data-tables";
import pMap from "p-map";
import { isStatus } from "../../storage/rows.ts";
import { type Outcome, STATUSES, type Status } from "../model.ts";
import { type Filters, planFor, rowKeyRange, type Source } from "./filters.ts";
import { createdAtOfRowKey, type IndexRow, indexRowKey, PENDING_PARTITION, STATUS_INDEX } from "./keys.ts";
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
    // The pending rows are read once, whole, and ordered here; each round takes its share of them.
    const pending = new Map<Source, Row[]>();
    for (const source of plan.sources) {
      if (source.pending) pending.set(source, await this.readPending(source.where, range));
    }
    const inFlight = [...pending.values()].reduce((sum, rows) => sum + rows.length, 0);
    // The bound is on the ordered partitions' rows: the pending rows are read whole whatever it is, and
    // counting them in would end every page at once when more than the bound are in flight.
    let examined = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const budget = Math.floor((this.maxExamined - examined) / plan.sources.length);
      if (budget < 1) break;
      const size = Math.min(budget, Math.max(limit - items.length, 1));
      const fetched = await Promise.all(
        plan.sources.map((source) => {
          const ordered = pending.get(source);
          return ordered === undefined
            ? this.fetch(source, position, range.below, size)
            : take(ordered, position, size);
        }),
      );
      examined += fetched.reduce(
        (sum, { rows }, index) => (plan.sources[index]?.pending ? sum : sum + rows.length),
        0,
      );
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
          return last
            ? { items, examined: examined + inFlight }
            : { items, after: key, examined: examined + inFlight };
        }
      }
      if (resume === undefined) return { items, examined: examined + inFlight };
      position = resume;
    }
    return { items, after: position, examined: examined + inFlight };
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
        const note = (row: Row) => {
          const list = found.get(row.rowKey) ?? [];
          list.push({ status, row });
          found.set(row.rowKey, list);
        };
        if (status === "queued") {
          for (const row of await this.readPending({}, range)) note(row);
          return;
        }
        const rows = this.table.listEntities<Row>({
          queryOptions: {
            filter: odata`PartitionKey eq ${STATUS_INDEX + status} and RowKey gt ${range.above} and RowKey lt ${range.below}`,
            select: ["RowKey", "Timestamp", "outcome", "rateLimitRetries"],
          },
        });
        for await (const row of rows) note(row);
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
    const filter =
      odata`PartitionKey eq ${source.partitionKey} and RowKey gt ${after} and RowKey lt ${below}` +
      where(source.where);
    const rows: Row[] = [];
    let more = false;
    let pages = 0;
    for await (const page of this.table
      .listEntities<Row>({ queryOptions: { filter, select: LISTED_COLUMNS } })
      .byPage({ maxPageSize: size })) {
      rows.push(...page);
      more = page.continuationToken !== undefined;
      if (rows.length >= size || !more || ++pages >= MAX_SERVICE_PAGES) break;
    }
    if (rows.length > size) return { rows: rows.slice(0, size), more: true };
    return { rows, more };
  }

  /**
   * The pending rows matching `conditions` and created in the range, as index rows keyed like the others
   * and in RowKey order. Rows written before they carried the index columns have no `createdAt`: skipped.
   */
  private async readPending(
    conditions: Source["where"],
    range: { above: string; below: string },
  ): Promise<Row[]> {
    const rows: Row[] = [];
    const pending = this.table.listEntities<Row>({
      queryOptions: {
        filter: odata`PartitionKey eq ${PENDING_PARTITION}` + where(conditions),
        select: LISTED_COLUMNS,
      },
    });
    for await (const row of pending) {
      if (typeof row.createdAt !== "string") continue;
      const rowKey = indexRowKey(row.createdAt, row.rowKey);
      if (rowKey > range.above && rowKey < range.below) rows.push({ ...row, rowKey });
    }
    return rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
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
        source.pending !== true &&
        source.status !== current &&
        this.now() - Date.parse(row.timestamp ?? "") > STALE_AFTER_MS,
    );
    await Promise.all(
      stale.map(({ row, source }) =>
        this.table.deleteEntity(source.partitionKey, row.rowKey, { etag: row.etag }).catch(() => undefined),
      ),
    );
  }
}

/** Column equality conditions; the names come from Source's fixed set, values are quoted (OData doubles a quote). */
function where(conditions: Source["where"]): string {
  return Object.entries(conditions)
    .map(([column, value]) => ` and ${column} eq '${value.replaceAll("'", "''")}'`)
    .join("");
}

/** The next `size` of rows already in RowKey order, after `after`. */
function take(ordered: readonly Row[], after: string, size: number): Fetched<Row> {
  const rest = ordered.filter((row) => row.rowKey > after);
  return { rows: rest.slice(0, size), more: rest.length > size };
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
