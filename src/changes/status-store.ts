import { odata, type TableClient } from "@azure/data-tables";
import { redactDeep } from "../observability/redact.ts";
import { ConcurrentUpdateError, isStatus } from "../storage/rows.ts";
import type { StatusDocument } from "./model.ts";
import { isTerminal } from "./status.ts";

/**
 * Status documents in Table Storage (I/O shell). One row per request (PartitionKey = request id), the
 * document as JSON plus a few plain columns an auditor can filter on in Storage Explorer or a Kusto
 * export. A second kind of row, one per change not yet terminal in the partition `pending-changes`, is
 * what crash recovery reads instead of scanning the whole table (docs/reliability.md). The same table
 * holds coordination rows (src/coordination/), in partitions and row keys of their own.
 */

const STATUS_ROW = "status";
const PENDING_PARTITION = "pending-changes";

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
}

interface PendingEntity {
  partitionKey: string;
  rowKey: string;
  acceptedAt: string;
}

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

/** Where status documents are kept; test/support has an in-memory one for the worker's unit tests. */
export interface StatusStore {
  create(
    doc: StatusDocument,
    fingerprint: string,
  ): Promise<{ created: true; etag: string } | { created: false; existing: StoredStatus }>;
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
   * Inserts a new document and lists it as pending; when the id exists already, returns the stored one
   * instead. The two writes go side by side: a pending row without a document is dropped by recovery,
   * and a failure of either throws, so the caller's retry writes the missing one.
   */
  async create(
    doc: StatusDocument,
    fingerprint: string,
  ): Promise<{ created: true; etag: string } | { created: false; existing: StoredStatus }> {
    const pending: PendingEntity = {
      partitionKey: PENDING_PARTITION,
      rowKey: doc.id,
      acceptedAt: doc.createdAt,
    };
    // Both inserts: a repeat must not refresh the pending row, or a sender retrying more often than
    // RECOVERY_AFTER_SECONDS would keep its crashed change from ever looking overdue.
    const [created, listed] = await Promise.allSettled([
      this.table.createEntity(toEntity(doc, fingerprint)),
      this.table.createEntity(pending),
    ]);
    if (created.status === "rejected" && !isStatus(created.reason, 409)) throw created.reason;
    if (listed.status === "rejected" && !isStatus(listed.reason, 409)) throw listed.reason;
    if (created.status === "fulfilled") return { created: true, etag: created.value.etag ?? "" };
    const existing = await this.get(doc.id);
    if (existing === undefined) throw created.reason;
    return { created: false, existing };
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
   */
  async replace(doc: StatusDocument, fingerprint: string, etag: string): Promise<string> {
    let newEtag: string;
    try {
      const response = await this.table.updateEntity(toEntity(doc, fingerprint), "Replace", { etag });
      newEtag = response.etag ?? "";
    } catch (error) {
      if (isStatus(error, 412)) throw new ConcurrentUpdateError(`status of ${doc.id}`);
      throw error;
    }
    if (isTerminal(doc.status)) await this.forgetPending(doc.id).catch(() => undefined);
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
    try {
      await this.table.deleteEntity(PENDING_PARTITION, id);
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
  return {
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
}
