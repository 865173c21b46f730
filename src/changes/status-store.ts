import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import pMap from "p-map";
import { redactDeep } from "../observability/redact.ts";
import { ConcurrentUpdateError, isStatus } from "../storage/rows.ts";
import type { StatusDocument } from "./model.ts";
import {
  EMAIL_INDEX,
  type IndexRow,
  ITWIN_INDEX,
  indexRow,
  PENDING_PARTITION,
  pendingRow,
  statusIndexRow,
} from "./query/keys.ts";
import { isTerminal } from "./status.ts";

/**
 * Status documents in Table Storage (I/O shell). One row per request (PartitionKey = request id), the
 * document as JSON plus a few plain columns an auditor can filter on in Storage Explorer or a Kusto
 * export. A second kind of row, one per change not yet terminal in the partition `pending-changes`, is
 * what crash recovery reads instead of scanning the whole table (docs/reliability.md). The query API's
 * index rows (query/keys.ts says which and why) are written here, beside the writes they follow. The
 * same table holds coordination rows (src/coordination/), in partitions and row keys of their own.
 */

const STATUS_ROW = "status";
/** Table Storage's limit on the actions of one entity-group transaction. */
const MAX_TRANSACTION = 100;
/** Single writes of one batch in flight at once (and job sends when the worker fans a bundle out). */
export const BATCH_WRITES_IN_FLIGHT = 10;

interface StatusEntity {
  partitionKey: string;
  rowKey: string;
  document: string;
  fingerprint: string;
  status: string;
  itwinId: string;
  email: string;
  action: string;
  updatedAt: string;
  outcome?: string;
}

type PendingEntity = {
  partitionKey: string;
  rowKey: string;
  acceptedAt: string;
};

/** A change that is not terminal yet, as the pending index lists it. */
export interface PendingChange {
  id: string;
  /** When the index row was last written (the table's own Timestamp), in epoch ms. */
  since: number;
}

export interface StoredStatus {
  doc: StatusDocument;
  fingerprint: string;
  etag: string;
}

export type CreateResult = { created: true; etag: string } | { created: false; existing: StoredStatus };

/** Where status documents are kept; test/support has an in-memory one for the worker's unit tests. */
export interface StatusStore {
  create(doc: StatusDocument, fingerprint: string): Promise<CreateResult>;
  /** `create` for many documents at once (a batch intake), one result per item in order. */
  createMany(items: readonly { doc: StatusDocument; fingerprint: string }[]): Promise<CreateResult[]>;
  get(id: string): Promise<StoredStatus | undefined>;
  /** Throws ConcurrentUpdateError when the document changed since `etag` was read. */
  replace(doc: StatusDocument, fingerprint: string, etag: string): Promise<string>;
  listPending(before: Date, max: number): Promise<PendingChange[]>;
  forgetPending(id: string): Promise<void>;
}

/** A status document's plain columns, for listing many without reading every document. */
export interface StatusSummary {
  id: string;
  status: StatusDocument["status"];
  updatedAt: string;
}

export class TableStatusStore implements StatusStore {
  constructor(private readonly table: TableClient) {}

  /**
   * Inserts a new document and lists it as pending (the pending row is also its queued index row:
   * query/keys.ts); when the id exists already, returns the stored one instead. The two writes go side
   * by side: a pending row without a document is dropped by recovery, and a failure of either throws,
   * so the caller's retry writes the missing one.
   */
  async create(doc: StatusDocument, fingerprint: string): Promise<CreateResult> {
    const [etag] = await Promise.all([this.insert(toEntity(doc, fingerprint)), this.insert(pendingRow(doc))]);
    return etag === undefined ? this.repeated(doc.id) : { created: true, etag };
  }

  /**
   * One round of writes for a batch: the documents one by one (each its own partition), the pending rows
   * as entity-group transactions of up to 100 in their shared partition. An id twice in one batch goes
   * through `create` after the rest, where it meets the first as a repeat.
   */
  async createMany(items: readonly { doc: StatusDocument; fingerprint: string }[]): Promise<CreateResult[]> {
    const firstAt = new Map<string, number>();
    for (const [index, { doc }] of items.entries()) if (!firstAt.has(doc.id)) firstAt.set(doc.id, index);
    const first = [...firstAt.values()].map((index) => items[index] as (typeof items)[number]);
    const [created] = await Promise.all([
      pMap(first, ({ doc, fingerprint }) => this.insert(toEntity(doc, fingerprint)), {
        concurrency: BATCH_WRITES_IN_FLIGHT,
      }),
      this.listAsPending(first.map(({ doc }) => doc)),
    ]);
    const settled = await pMap(
      first,
      ({ doc }, index): CreateResult | Promise<CreateResult> => {
        const etag = created[index];
        return etag === undefined ? this.repeated(doc.id) : { created: true, etag };
      },
      { concurrency: BATCH_WRITES_IN_FLIGHT },
    );
    const byId = new Map(first.map(({ doc }, index) => [doc.id, settled[index] as CreateResult]));
    const out: CreateResult[] = [];
    for (const [index, { doc, fingerprint }] of items.entries()) {
      out.push(
        firstAt.get(doc.id) === index
          ? (byId.get(doc.id) as CreateResult)
          : await this.create(doc, fingerprint),
      );
    }
    return out;
  }

  /**
   * Pending rows as transactions of 100 (Table Storage's limit). Inserts, not upserts: a repeat must not
   * refresh a pending row, or a sender retrying more often than RECOVERY_AFTER_SECONDS would keep its
   * crashed change from ever looking overdue. A transaction refused because a row exists (a repeat in
   * the batch) is done again row by row, so each row's insert is judged on its own.
   */
  private async listAsPending(docs: readonly StatusDocument[]): Promise<void> {
    const chunks: StatusDocument[][] = [];
    for (let at = 0; at < docs.length; at += MAX_TRANSACTION)
      chunks.push(docs.slice(at, at + MAX_TRANSACTION));
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          await this.table.submitTransaction(
            chunk.map((doc): TransactionAction => ["create", pendingRow(doc)]),
          );
        } catch (error) {
          if (!isStatus(error, 409)) throw error;
          await pMap(chunk, (doc) => this.insert(pendingRow(doc)), { concurrency: BATCH_WRITES_IN_FLIGHT });
        }
      }),
    );
  }

  private async repeated(id: string): Promise<CreateResult> {
    const existing = await this.get(id);
    if (existing === undefined) throw new Error(`status of ${id} conflicts but cannot be read`);
    // A finished change lost its pending row when it finished, so the repeat's insert beside the
    // document's has just listed it again, and the pending row stands for `queued` in the query API.
    // A finished document has no pending row; costs a write only on repeats of finished changes.
    if (isTerminal(existing.doc.status)) await this.forgetPending(id);
    return { created: false, existing };
  }

  /** An insert that answers the new ETag, or undefined when the row exists already. */
  private insert(entity: { partitionKey: string; rowKey: string }): Promise<string | undefined> {
    return this.table.createEntity(entity).then(
      (response) => response.etag ?? "",
      (error: unknown) => {
        if (isStatus(error, 409)) return undefined;
        throw error;
      },
    );
  }

  async get(id: string): Promise<StoredStatus | undefined> {
    try {
      const entity = await this.table.getEntity<StatusEntity>(id, STATUS_ROW);
      return {
        doc: JSON.parse(entity.document) as StatusDocument,
        fingerprint: entity.fingerprint,
        etag: entity.etag,
      };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * Replaces the document only if nobody changed it since `etag` was read. A terminal document leaves
   * the pending index; if that delete fails, recovery finds the document terminal and drops the row.
   * A new status's index row is written before the document and the old one deleted after it, so the
   * row of the stored status always exists; a lost race or a crash leaves a stale row, which the query
   * checks against the document and drops (query/keys.ts).
   */
  async replace(doc: StatusDocument, fingerprint: string, etag: string): Promise<string> {
    // Every document written here is a transition (status.ts), which appended exactly one entry.
    const previous = doc.history.at(-2)?.status;
    const moved = previous !== undefined && previous !== doc.status;
    // `queued` has no row of its own: the pending row stands for it until the change is finished.
    const first: IndexRow[] = moved && doc.status !== "queued" ? [statusIndexRow(doc)] : [];
    if (previous === "queued" && moved) {
      first.push(indexRow(doc, ITWIN_INDEX + doc.itwinId), indexRow(doc, EMAIL_INDEX + doc.email));
    }
    await Promise.all(first.map((row) => this.table.upsertEntity(row, "Replace")));
    let newEtag: string;
    try {
      const response = await this.table.updateEntity(toEntity(doc, fingerprint), "Replace", { etag });
      newEtag = response.etag ?? "";
    } catch (error) {
      if (isStatus(error, 412)) throw new ConcurrentUpdateError(`status of ${doc.id}`);
      throw error;
    }
    const old = moved && previous !== "queued" ? statusIndexRow({ ...doc, status: previous }) : undefined;
    await Promise.all([
      old && this.remove(old.partitionKey, old.rowKey).catch(() => undefined),
      isTerminal(doc.status) ? this.forgetPending(doc.id).catch(() => undefined) : undefined,
    ]);
    return newEtag;
  }

  /** Changes listed as pending whose index row was last written before `before` (at most `max`). */
  async listPending(before: Date, max: number): Promise<PendingChange[]> {
    const found: PendingChange[] = [];
    const rows = this.table.listEntities<PendingEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${PENDING_PARTITION} and Timestamp lt ${before}`,
        select: ["RowKey", "Timestamp"],
      },
    });
    for await (const row of rows) {
      found.push({ id: row.rowKey ?? "", since: Date.parse(String(row.timestamp)) });
      if (found.length >= max) break;
    }
    return found;
  }

  /** Drops a change from the pending index (it is terminal, or was never accepted). */
  async forgetPending(id: string): Promise<void> {
    await this.remove(PENDING_PARTITION, id);
  }

  private async remove(partitionKey: string, rowKey: string): Promise<void> {
    try {
      await this.table.deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  /** Every status document's plain columns (bench, operators); a full scan of the status rows. */
  async listSummaries(): Promise<StatusSummary[]> {
    const found: StatusSummary[] = [];
    const rows = this.table.listEntities<StatusEntity>({
      queryOptions: {
        filter: odata`RowKey eq ${STATUS_ROW}`,
        select: ["PartitionKey", "status", "updatedAt"],
      },
    });
    for await (const row of rows) {
      found.push({
        id: row.partitionKey,
        status: row.status as StatusSummary["status"],
        updatedAt: row.updatedAt,
      });
    }
    return found;
  }

  /** Every status document; a full scan of the status rows. */
  async listDocuments(): Promise<StatusDocument[]> {
    const found: StatusDocument[] = [];
    const rows = this.table.listEntities<StatusEntity>({
      queryOptions: { filter: odata`RowKey eq ${STATUS_ROW}`, select: ["document"] },
    });
    for await (const row of rows) found.push(JSON.parse(row.document) as StatusDocument);
    return found;
  }

  /** A cheap round trip that proves the table is reachable (for the health check). */
  async ping(): Promise<void> {
    await this.get("health-probe");
  }
}

function toEntity(doc: StatusDocument, fingerprint: string): StatusEntity {
  const entity: StatusEntity = {
    partitionKey: doc.id,
    rowKey: STATUS_ROW,
    // Errors and notes quote other systems, and a sender may paste anything into `reason`.
    document: JSON.stringify(redactDeep(doc)),
    fingerprint,
    status: doc.status,
    itwinId: doc.itwinId,
    email: doc.email,
    action: doc.action,
    updatedAt: doc.updatedAt,
  };
  // A plain column too, so the query reads a page's current statuses without parsing documents.
  if (doc.outcome !== undefined) entity.outcome = doc.outcome;
  return entity;
}
