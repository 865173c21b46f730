import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import pMap from "p-map";
import { isStatus } from "../../storage/rows.ts";
import type { ScimMember } from "../events.ts";
import {
  lastKeyPart,
  MEMBERS,
  type MemberDelta,
  type MemberEntity,
  memberKey,
  membershipKey,
  prefixRange,
} from "./rows.ts";

/**
 * Group membership rows (I/O shell; rows.ts says what they mean). Writes go in transactions of at most
 * 100 actions, a membership's two rows always in the same one, so a group of thousands costs tens of
 * round trips, and the two directions never disagree after a write.
 */

export type MemberRow = MemberEntity & { etag: string };

/** A forward row as one write left it: confirmed later only if nobody wrote it since (its ETag). */
export interface Touched {
  rowKey: string;
  etag: string;
  present: boolean;
}

const MAX_ACTIONS = 100;
const PARALLEL = 4;

const ignoring =
  (...statuses: number[]) =>
  (error: unknown) => {
    if (!statuses.some((status) => isStatus(error, status))) throw error;
  };

export class MemberRows {
  constructor(private readonly table: TableClient) {}

  private async rows(prefix: string, onlyPresent: boolean): Promise<MemberRow[]> {
    const { from, to } = prefixRange(prefix);
    const presence = onlyPresent ? " and present eq true" : "";
    const found: MemberRow[] = [];
    const rows = this.table.listEntities<MemberEntity>({
      queryOptions: {
        filter: `${odata`PartitionKey eq ${MEMBERS} and RowKey ge ${from} and RowKey lt ${to}`}${presence}`,
      },
    });
    for await (const row of rows) found.push(row as MemberRow);
    return found;
  }

  /** Every forward row of a group, absent-but-pending ones included. */
  ofGroup(groupId: string): Promise<MemberRow[]> {
    return this.rows(memberKey(groupId, ""), false);
  }

  /** The ids of the groups `value` is a member of now. */
  async groupIdsOf(value: string): Promise<string[]> {
    return (await this.rows(membershipKey(value, ""), true)).map((row) => lastKeyPart(row.rowKey));
  }

  /** Writes a delta as pending rows; returns the forward rows written, with their ETags. */
  async apply(groupId: string, delta: MemberDelta): Promise<Touched[]> {
    const pair = (member: ScimMember | string, present: boolean): TransactionAction[] => {
      const value = typeof member === "string" ? member : member.value;
      const display = typeof member === "string" ? "" : (member.display ?? "");
      return [
        [
          "upsert",
          { partitionKey: MEMBERS, rowKey: memberKey(groupId, value), present, pending: true, display },
          "Replace",
        ],
        ["upsert", { partitionKey: MEMBERS, rowKey: membershipKey(value, groupId), present }, "Replace"],
      ];
    };
    const pairs = [
      ...delta.upserts.map((member) => pair(member, true)),
      ...delta.removed.map((value) => pair(value, false)),
    ];
    const chunks = chunk(pairs, MAX_ACTIONS / 2).map((group) => group.flat());
    const responses = await pMap(chunks, (actions) => this.table.submitTransaction(actions), {
      concurrency: PARALLEL,
    });
    // Sub-responses carry no keys, only the order of the actions.
    const etags = new Map<string, string>();
    chunks.forEach((actions, index) => {
      actions.forEach(([, entity], at) => {
        const etag = responses[index]?.subResponses[at]?.etag;
        if (etag) etags.set(entity.rowKey, etag);
      });
    });
    const touched = (value: string, present: boolean): Touched[] => {
      const rowKey = memberKey(groupId, value);
      const etag = etags.get(rowKey);
      // Without its ETag a row cannot be confirmed safely: it stays pending and a later write reports it.
      return etag === undefined ? [] : [{ rowKey, etag, present }];
    };
    return [
      ...delta.upserts.flatMap((member) => touched(member.value, true)),
      ...delta.removed.flatMap((value) => touched(value, false)),
    ];
  }

  /**
   * The rows' report is confirmed: present rows stop being pending, absent ones go (with the other
   * direction's row). Each only if it is still as that write left it; a later write reports it itself.
   */
  async confirm(rows: readonly Touched[]): Promise<void> {
    const kept = rows.filter((row) => row.present);
    const updates = kept.map(
      (row): TransactionAction => [
        "update",
        { partitionKey: MEMBERS, rowKey: row.rowKey, pending: false },
        "Merge",
        { etag: row.etag },
      ],
    );
    await pMap(
      chunk(updates, MAX_ACTIONS),
      async (actions) => {
        // One row written since fails the whole transaction: then row by row, skipping that one.
        await this.table
          .submitTransaction(actions)
          .catch(() =>
            pMap(
              actions,
              ([, entity, , options]) =>
                this.table
                  .updateEntity(entity, "Merge", options as { etag: string })
                  .catch(ignoring(404, 412)),
              { concurrency: PARALLEL },
            ),
          );
      },
      { concurrency: PARALLEL },
    );
    await pMap(
      rows.filter((row) => !row.present),
      (row) => this.dropRemoved(row),
      { concurrency: PARALLEL },
    );
  }

  private async dropRemoved(row: Touched): Promise<void> {
    try {
      await this.table.deleteEntity(MEMBERS, row.rowKey, { etag: row.etag });
    } catch (error) {
      ignoring(404, 412)(error);
      return;
    }
    const [, groupId = "", value = ""] = row.rowKey.split("|");
    const other = membershipKey(value, groupId);
    const reverse = await this.table.getEntity<MemberEntity>(MEMBERS, other).catch(ignoring(404));
    if (reverse && !reverse.present) {
      await this.table.deleteEntity(MEMBERS, other, { etag: reverse.etag }).catch(ignoring(404, 412));
    }
  }

  /** Drops every membership of a deleted group. */
  async purgeGroup(groupId: string): Promise<void> {
    const values = (await this.ofGroup(groupId)).map((row) => lastKeyPart(row.rowKey));
    await this.dropPairs(values.map((value) => [memberKey(groupId, value), membershipKey(value, groupId)]));
  }

  /** Drops every membership of a deleted user (or group) in any group. */
  async purgeMember(value: string): Promise<void> {
    const groups = (await this.rows(membershipKey(value, ""), false)).map((row) => lastKeyPart(row.rowKey));
    await this.dropPairs(groups.map((groupId) => [memberKey(groupId, value), membershipKey(value, groupId)]));
  }

  private async dropPairs(pairs: string[][]): Promise<void> {
    const deletes = chunk(pairs, MAX_ACTIONS / 2).map((group) =>
      group.flat().map((rowKey): TransactionAction => ["delete", { partitionKey: MEMBERS, rowKey }]),
    );
    await pMap(
      deletes,
      async (actions) => {
        // A row already gone (an earlier attempt) fails the transaction: then row by row.
        await this.table.submitTransaction(actions).catch(() =>
          pMap(
            actions,
            ([, entity]) => this.table.deleteEntity(MEMBERS, entity.rowKey).catch(ignoring(404)),
            {
              concurrency: PARALLEL,
            },
          ),
        );
      },
      { concurrency: PARALLEL },
    );
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
