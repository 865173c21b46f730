import { redactDeep } from "../observability/redact.ts";
import type { Row, RowStore } from "../storage/rows.ts";
import type { OffboardingRecord } from "./plan.ts";

/**
 * Offboarding parents in the status table (I/O shell over the compare-and-swap rows of
 * src/storage/rows.ts; `toRow` and `fromRow` are the pure row layout). One row per parent, in the
 * partition of its id with RowKey `offboarding`, beside where a change keeps its `status` row — so the
 * status scans, which read RowKey `status`, never see it.
 *
 * A string column holds at most 32 K characters (64 KiB of UTF-16), which a leaver's plan could pass:
 * the iTwin ids go in columns of their own, `itwins0`, `itwins1`, … of at most 800 ids each, and the
 * rest of the record, small, as JSON in `document`.
 */

const ROW_KEY = "offboarding";
export const IDS_PER_COLUMN = 800;

export interface OffboardingRow extends Row {
  document: string;
  columns: number;
  [column: `itwins${number}`]: string;
}

export function toRow(record: OffboardingRecord): OffboardingRow {
  const { itwinIds, ...rest } = record;
  const row: OffboardingRow = {
    partitionKey: record.id,
    rowKey: ROW_KEY,
    // As with status documents: a sender may paste anything into `reason`.
    document: JSON.stringify(redactDeep(rest)),
    columns: Math.ceil(itwinIds.length / IDS_PER_COLUMN),
  };
  for (let column = 0; column < row.columns; column++) {
    const ids = itwinIds.slice(column * IDS_PER_COLUMN, (column + 1) * IDS_PER_COLUMN);
    row[`itwins${column}`] = ids.join(",");
  }
  return row;
}

export function fromRow(row: OffboardingRow): OffboardingRecord {
  const itwinIds: string[] = [];
  for (let column = 0; column < row.columns; column++) {
    itwinIds.push(...(row[`itwins${column}`] ?? "").split(",").filter((id) => id !== ""));
  }
  return { ...(JSON.parse(row.document) as Omit<OffboardingRecord, "itwinIds">), itwinIds };
}

export class OffboardingStore {
  constructor(private readonly rows: RowStore) {}

  async get(id: string): Promise<OffboardingRecord | undefined> {
    const row = await this.rows.read<OffboardingRow>(id, ROW_KEY);
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * Records the parent unless one with its id exists; then returns that one instead. The insert's
   * conflict is the atomic "seen before", so two concurrent calls with one key record one plan.
   */
  async create(record: OffboardingRecord): Promise<{ created: boolean; record: OffboardingRecord }> {
    let existing: OffboardingRow | undefined;
    await this.rows.swap<OffboardingRow>(record.id, ROW_KEY, (current) => {
      existing = current;
      return current ?? toRow(record);
    });
    return existing === undefined ? { created: true, record } : { created: false, record: fromRow(existing) };
  }
}
