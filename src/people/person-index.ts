import { odata, type TableClient } from "@azure/data-tables";
import { isStatus, type RowStore, TableRows } from "../storage/rows.ts";
import {
  type Evidence,
  isOwnerEvidence,
  type OwnershipFact,
  personPartition,
  replaces,
} from "./ownership.ts";

/**
 * The per-person index in Table Storage (I/O shell; the rules are in ownership.ts): one partition per
 * person in the status table (`person|<URI-encoded email>`), one row per iTwin (RowKey = iTwin id), so
 * an offboarding reads a person's iTwins with one partition query. A removal keeps its row with
 * `owner: false` instead of deleting it: the row's `seenAt` is what stops an older "owner" write that
 * lands late from bringing the iTwin back.
 */

/** An iTwin where the person is known as an owner, and how that became known. */
export interface KnownOwnership {
  itwinId: string;
  evidence: Evidence;
  requestId: string;
  seenAt: string;
}

/** Where the index is kept; test/support has an in-memory one for the worker's and offboarding's tests. */
export interface PersonIndex {
  /** Records what a change learnt; an observation older than the stored one is ignored. */
  note(fact: OwnershipFact): Promise<void>;
  /** The iTwins where the person is known as an owner, in iTwin id order. */
  ownedBy(email: string): Promise<KnownOwnership[]>;
}

interface PersonRow {
  partitionKey: string;
  rowKey: string;
  email: string;
  owner: boolean;
  evidence: Evidence;
  requestId: string;
  seenAt: string;
}

export class TablePersonIndex implements PersonIndex {
  private readonly rows: RowStore;

  constructor(private readonly table: TableClient) {
    this.rows = new TableRows(table);
  }

  async note(fact: OwnershipFact): Promise<void> {
    const row: PersonRow = {
      partitionKey: personPartition(fact.email),
      rowKey: fact.itwinId,
      email: fact.email,
      owner: isOwnerEvidence(fact.evidence),
      evidence: fact.evidence,
      requestId: fact.requestId,
      seenAt: fact.seenAt,
    };
    // Most notes are a person's first for the iTwin: one insert, instead of a read that finds nothing
    // and then the insert. A row already there takes the compare-and-swap, so that of two racing
    // writers the newer observation stays.
    try {
      await this.table.createEntity(row);
      return;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    await this.rows.swap<PersonRow>(row.partitionKey, row.rowKey, (current) =>
      replaces(fact, current) ? row : current,
    );
  }

  async ownedBy(email: string): Promise<KnownOwnership[]> {
    const found: KnownOwnership[] = [];
    const rows = this.table.listEntities<PersonRow>({
      queryOptions: { filter: odata`PartitionKey eq ${personPartition(email)} and owner eq true` },
    });
    for await (const row of rows) {
      found.push({
        itwinId: row.rowKey,
        evidence: row.evidence,
        requestId: row.requestId,
        seenAt: row.seenAt,
      });
    }
    // The table returns a partition in RowKey order already; sorting says so without relying on it.
    return found.sort((a, b) => a.itwinId.localeCompare(b.itwinId));
  }
}
