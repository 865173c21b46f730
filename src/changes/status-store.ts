import { odata, RestError, type TableClient } from "@azure/data-tables";
import { redactDeep } from "../observability/redact.ts";
import type { StatusDocument } from "./model.ts";
import { isTerminal } from "./status.ts";

/**
 * Status documents in Table Storage. One row per request (PartitionKey = request id), the document as
 * JSON plus a few plain columns an auditor can filter on in Storage Explorer or a Kusto export.
 * A second kind of row remembers, per (iTwin, email), the newest `occurredAt` applied, for ordering.
 * A third, one per change not yet terminal in the partition `pending-changes`, is what crash recovery
 * reads instead of scanning the whole table (docs/reliability.md).
 */

const STATUS_ROW = "status";
const APPLIED_PREFIX = "applied|";
const REMOVALS_PREFIX = "removals|";
/** Contention on one row is brief; ten lost races in a row means something else is wrong. */
const MAX_SWAP_ATTEMPTS = 10;

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

interface AppliedEntity {
  partitionKey: string;
  rowKey: string;
  occurredAt: string;
  requestId: string;
}

const LEASE_PREFIX = "lease|";
const PENDING_PARTITION = "pending-changes";

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

interface LeaseEntity {
  partitionKey: string;
  rowKey: string;
  holder: string;
  expiresAt: number;
  generation: number;
}

interface RemovalsEntity {
  partitionKey: string;
  rowKey: string;
  /** JSON array of the request ids counted; the threshold keeps it small. */
  requests: string;
}

export interface StoredStatus {
  doc: StatusDocument;
  fingerprint: string;
  etag: string;
}

export interface SubjectHolder {
  occurredAt: string;
  requestId: string;
}

/** Whether the decision holding a (iTwin, email) is newer than one made at `occurredAt`. */
export function isNewerDecision(holder: SubjectHolder | undefined, occurredAt: string): boolean {
  return holder !== undefined && holder.occurredAt > occurredAt;
}

export class ConcurrentUpdateError extends Error {
  constructor(id: string) {
    super(`status of ${id} was changed by another invocation`);
    this.name = "ConcurrentUpdateError";
  }
}

export class StatusStore {
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
      if (isStatus(error, 412)) throw new ConcurrentUpdateError(doc.id);
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

  /**
   * Reserves the (iTwin, email) for a change decided at `occurredAt`, before the API is called: false
   * when a newer decision holds it already — this one is then superseded. The newest decision wins
   * even if applying it fails later: an older one must not undo it.
   */
  reserveSubject(itwinId: string, email: string, occurredAt: string, requestId: string): Promise<boolean> {
    const rowKey = appliedRowKey(email);
    return this.swapRow<AppliedEntity>(itwinId, rowKey, (current) => {
      if (current?.requestId === requestId) return current;
      if (isNewerDecision(current, occurredAt)) return undefined;
      return { partitionKey: itwinId, rowKey, occurredAt, requestId };
    });
  }

  /** The decision holding the (iTwin, email), for the status note of a superseded change. */
  async subjectHolder(itwinId: string, email: string): Promise<SubjectHolder | undefined> {
    try {
      const entity = await this.table.getEntity<AppliedEntity>(itwinId, appliedRowKey(email));
      return { occurredAt: entity.occurredAt, requestId: entity.requestId };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /**
   * Counts one removal by `requestId` for the iTwin in the window starting at `windowStart`, unless
   * `limit` other removals were counted there already: returns whether this one fits. A request counts
   * once however often it is retried; concurrent workers never both take the last slot.
   */
  takeRemovalSlot(itwinId: string, windowStart: string, limit: number, requestId: string): Promise<boolean> {
    const rowKey = `${REMOVALS_PREFIX}${windowStart}`;
    return this.swapRow<RemovalsEntity>(itwinId, rowKey, (current) => {
      const requests: string[] = current === undefined ? [] : JSON.parse(current.requests);
      if (requests.includes(requestId)) return current;
      if (requests.length >= limit) return undefined;
      return { partitionKey: itwinId, rowKey, requests: JSON.stringify([...requests, requestId]) };
    });
  }

  /**
   * Takes the lease `name` in the iTwin's partition for `holder`, unless someone else holds it
   * unexpired. Leases make steps that must not overlap across instances run one at a time: removals
   * from one iTwin (so two cannot each see the other owner and together leave none), and calls for one
   * person on one iTwin (so an older decision's call cannot land after a newer one's). Returns the
   * lease's generation — how many times a holder reported a change through it — or undefined if busy.
   * Taking over a lease that was never released (its holder died, or this holder's earlier delivery
   * did) counts as a change: the dead holder may have changed the iTwin without saying so.
   */
  async acquireLease(
    itwinId: string,
    name: string,
    holder: string,
    now: number,
    ttlMs: number,
  ): Promise<number | undefined> {
    const rowKey = `${LEASE_PREFIX}${name}`;
    let generation = 0;
    const taken = await this.swapRow<LeaseEntity>(itwinId, rowKey, (current) => {
      if (current !== undefined && current.holder !== holder && current.expiresAt > now) return undefined;
      const abandoned = current !== undefined && current.holder !== "";
      generation = (current?.generation ?? 0) + (abandoned ? 1 : 0);
      return { partitionKey: itwinId, rowKey, holder, expiresAt: now + ttlMs, generation };
    });
    return taken ? generation : undefined;
  }

  /** Gives a lease back; `changed` bumps its generation, telling other instances their view is old. */
  async releaseLease(itwinId: string, name: string, holder: string, changed: boolean): Promise<void> {
    await this.swapRow<LeaseEntity>(itwinId, `${LEASE_PREFIX}${name}`, (current) =>
      current === undefined || current.holder !== holder
        ? current
        : { ...current, holder: "", expiresAt: 0, generation: current.generation + (changed ? 1 : 0) },
    );
  }

  /**
   * Compare-and-swap on one row: `next` sees the current row (or none) and returns its replacement,
   * the current row itself when it is already as wanted (true, nothing written), or undefined to refuse
   * (false). Insert conflicts and ETag mismatches mean another writer won; read again.
   */
  private async swapRow<E extends { partitionKey: string; rowKey: string }>(
    partitionKey: string,
    rowKey: string,
    next: (current: E | undefined) => E | undefined,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt++) {
      let current: (E & { etag: string }) | undefined;
      try {
        current = await this.table.getEntity<E>(partitionKey, rowKey);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
      const replacement = next(current);
      if (replacement === undefined) return false;
      if (replacement === current) return true;
      try {
        if (current === undefined) await this.table.createEntity(replacement);
        else await this.table.updateEntity(replacement, "Replace", { etag: current.etag });
        return true;
      } catch (error) {
        if (!isStatus(error, 409) && !isStatus(error, 412)) throw error;
      }
    }
    throw new ConcurrentUpdateError(`${partitionKey}/${rowKey}`);
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

/** Row keys may not contain / \ # ? or control characters; URI-encoding removes all of them. */
function appliedRowKey(email: string): string {
  return APPLIED_PREFIX + encodeURIComponent(email);
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError && error.statusCode === status;
}
