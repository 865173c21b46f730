import { odata, type TableClient } from "@azure/data-tables";
import { isStatus } from "../storage/rows.ts";

/**
 * Explicit group → iTwin mappings (`PUT /api/scim-mappings/{groupId}`) in Table Storage (I/O shell):
 * one row per group in the partition `scim-mappings` of the status table.
 *
 * Unmapping keeps the row, with no iTwin and the generation counted on, instead of deleting it: the
 * generation names each mapping change, and the owner changes a mapping change makes are keyed by it
 * (src/scim/ownership/origin.ts). Were the row deleted, mapping a group again would start from the
 * same generation as its first mapping, and its owner changes would be taken for repeats of that one.
 */

const PARTITION = "scim-mappings";

interface MappingEntity {
  partitionKey: string;
  rowKey: string;
  /** "" once unmapped. */
  itwinId: string;
  generation: number;
  updatedAt: string;
  updatedBy: string;
}

/** A group's explicit mapping as stored; generation 0 and no etag when it was never mapped. */
export interface GroupMapping {
  groupId: string;
  itwinId: string | undefined;
  generation: number;
  etag: string | undefined;
}

export interface MappingsStore {
  /** Every group's explicit mapping, by group id (a small partition, read whole). */
  all(): Promise<Map<string, string>>;
  get(groupId: string): Promise<GroupMapping>;
  /**
   * Stores the group's next mapping (undefined: unmapped) if it is still `current`; false when another
   * request changed it since it was read, so the caller's owner changes were planned from a stale one.
   */
  set(current: GroupMapping, itwinId: string | undefined, at: string, by: string): Promise<boolean>;
}

export class TableMappingsStore implements MappingsStore {
  constructor(private readonly table: TableClient) {}

  async all(): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const rows = this.table.listEntities<MappingEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${PARTITION}`, select: ["RowKey", "itwinId"] },
    });
    for await (const row of rows) {
      if (row.rowKey !== undefined && row.itwinId) found.set(row.rowKey, row.itwinId);
    }
    return found;
  }

  async get(groupId: string): Promise<GroupMapping> {
    try {
      const row = await this.table.getEntity<MappingEntity>(PARTITION, groupId);
      return { groupId, itwinId: row.itwinId || undefined, generation: row.generation, etag: row.etag };
    } catch (error) {
      if (isStatus(error, 404)) return { groupId, itwinId: undefined, generation: 0, etag: undefined };
      throw error;
    }
  }

  async set(current: GroupMapping, itwinId: string | undefined, at: string, by: string): Promise<boolean> {
    const row: MappingEntity = {
      partitionKey: PARTITION,
      rowKey: current.groupId,
      itwinId: itwinId ?? "",
      generation: current.generation + 1,
      updatedAt: at,
      updatedBy: by,
    };
    try {
      // An insert conflicts, and an update with the ETag fails, when another request got there first.
      if (current.etag === undefined) await this.table.createEntity(row);
      else await this.table.updateEntity(row, "Replace", { etag: current.etag });
      return true;
    } catch (error) {
      if (isStatus(error, 409) || isStatus(error, 412)) return false;
      throw error;
    }
  }
}
