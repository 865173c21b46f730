import { odata, type TableClient } from "@azure/data-tables";
import pMap from "p-map";
import type { Clock } from "../clock.ts";
import { isStatus } from "../storage/rows.ts";
import type { ScimDirectory, ScimGroup, ScimGroupHeader, ScimUser } from "./events.ts";
import type { Json } from "./protocol/canonical.ts";
import type { FilterHint } from "./protocol/filter.ts";
import type { ScimKind } from "./protocol/scimmy.ts";
import { type MemberRow, MemberRows, type Touched } from "./store/members.ts";
import {
  deletedGroup,
  groupBefore,
  memberDelta,
  NAMES,
  type NameEntity,
  nameKey,
  partitionOf,
  presentMembers,
  type ResourceEntity,
  resourceEntity,
  userBefore,
} from "./store/rows.ts";

/**
 * SCIM Users and Groups in the status table (I/O shell; the layout and the reporting rule are in
 * store/rows.ts, membership rows in store/members.ts). Every resource write is a compare-and-swap on its
 * row's ETag: a write that lost a race returns undefined and the caller reads again.
 */

export type ScimResource = ScimUser | ScimGroup;

export interface StoredResource {
  kind: ScimKind;
  entity: ResourceEntity & { etag: string };
  /** The resource; a group's with its members when they were read. */
  doc: Json;
  /** A group's forward member rows, when read. */
  memberRows: MemberRow[];
}

/** A stored write awaiting its report: the event's `before`, and what to confirm once it is reported. */
export interface Written {
  kind: ScimKind;
  before: ScimResource | undefined;
  etag: string;
  rowKey: string;
  touched: Touched[];
}

const READ_CONCURRENCY = 8;
/** Longer than a create or rename takes between claiming its name and writing its row. */
const CLAIM_GRACE_MS = 60_000;

export class TableScimStore implements ScimDirectory {
  private readonly members: MemberRows;

  constructor(
    private readonly table: TableClient,
    private readonly clock: Clock,
  ) {
    this.members = new MemberRows(table);
  }

  /** A resource as stored, deleted-but-unconfirmed ones included (entity.deleted). */
  async read(kind: ScimKind, id: string, withMembers: boolean): Promise<StoredResource | undefined> {
    let entity: ResourceEntity & { etag: string };
    try {
      entity = await this.table.getEntity<ResourceEntity>(partitionOf(kind), id);
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
    const memberRows = kind === "Group" && withMembers ? await this.members.ofGroup(id) : [];
    const doc = JSON.parse(entity.document) as Json;
    if (kind === "Group" && withMembers) doc.members = presentMembers(memberRows);
    return { kind, entity, doc, memberRows };
  }

  /** Every live resource, or those whose column matches the filter's equality. */
  async list(kind: ScimKind, hint: FilterHint | undefined, withMembers: boolean): Promise<Json[]> {
    let filter = odata`PartitionKey eq ${partitionOf(kind)} and deleted eq false`;
    if (hint?.attribute === "id") filter += ` and ${odata`RowKey eq ${hint.value}`}`;
    else if (hint?.attribute === "externalid") filter += ` and ${odata`externalId eq ${hint.value}`}`;
    // userName on Users, displayName on Groups: the one name column (a filter on the other never matches).
    else if (hint !== undefined && (hint.attribute === "username") === (kind === "User")) {
      filter += ` and ${odata`name eq ${hint.value}`}`;
    }
    const docs: Json[] = [];
    const rows = this.table.listEntities<ResourceEntity>({ queryOptions: { filter, select: ["document"] } });
    for await (const row of rows) docs.push(JSON.parse(row.document) as Json);
    if (kind === "Group" && withMembers) {
      await pMap(
        docs,
        async (doc) => {
          doc.members = presentMembers(await this.members.ofGroup(String(doc.id)));
        },
        { concurrency: READ_CONCURRENCY },
      );
    }
    return docs;
  }

  /**
   * Takes a userName / displayName for `id`: true when it is now id's, false when another resource holds
   * it. A holder that is deleted gives it up at once. So does, after CLAIM_GRACE_MS, a holder that does
   * not exist or bears another name: its create or rename failed after the claim (a storage error), and
   * the name must not stay blocked; within the grace the write may still be on its way.
   */
  async claimName(kind: ScimKind, name: string, id: string): Promise<boolean> {
    const rowKey = nameKey(kind, name);
    const claim: NameEntity = { partitionKey: NAMES, rowKey, id, claimedAt: this.clock.now() };
    try {
      await this.table.createEntity(claim);
      return true;
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    const held = await this.table.getEntity<NameEntity>(NAMES, rowKey);
    if (held.id === id) return true;
    const holder = await this.read(kind, held.id, false);
    if (holder?.entity.deleted !== true) {
      if (holder?.entity.name === name.toLowerCase()) return false;
      if (this.clock.now() - (held.claimedAt ?? 0) < CLAIM_GRACE_MS) return false;
    }
    try {
      await this.table.updateEntity(claim, "Replace", { etag: held.etag });
      return true;
    } catch (error) {
      if (isStatus(error, 412)) return false;
      throw error;
    }
  }

  /** Gives a name back, if `id` still holds it. */
  async releaseName(kind: ScimKind, name: string, id: string): Promise<void> {
    const rowKey = nameKey(kind, name);
    try {
      const held = await this.table.getEntity<NameEntity>(NAMES, rowKey);
      if (held.id === id) await this.table.deleteEntity(NAMES, rowKey, { etag: held.etag });
    } catch (error) {
      if (!isStatus(error, 404) && !isStatus(error, 412)) throw error;
    }
  }

  /** Stores `doc` over `current` (undefined: a create); undefined when another write came first. */
  async write(kind: ScimKind, doc: Json, current: StoredResource | undefined): Promise<Written | undefined> {
    const entity = resourceEntity(kind, doc, current?.entity);
    let etag: string;
    try {
      const response =
        current === undefined
          ? await this.table.createEntity(entity)
          : await this.table.updateEntity(entity, "Replace", { etag: current.entity.etag });
      etag = response.etag ?? "";
    } catch (error) {
      if (isStatus(error, 409) || isStatus(error, 412)) return undefined;
      throw error;
    }
    const rows = current?.memberRows ?? [];
    let touched: Touched[] = [];
    if (kind === "Group") {
      touched = await this.members.apply(
        String(doc.id),
        memberDelta(presentMembers(rows), (doc.members ?? []) as ScimGroup["members"]),
      );
    }
    // Rows an earlier unconfirmed write left pending are reported by this write too (rows.ts).
    const written = new Set(touched.map((row) => row.rowKey));
    const stillPending = rows
      .filter((row) => row.pending === true && !written.has(row.rowKey))
      .map((row) => ({ rowKey: row.rowKey, etag: row.etag, present: row.present }));
    const before =
      current === undefined
        ? undefined
        : kind === "User"
          ? userBefore(current.entity, doc as ScimUser)
          : groupBefore(current.entity, rows, (doc.members ?? []) as ScimGroup["members"]);
    return { kind, before, etag, rowKey: String(doc.id), touched: [...touched, ...stillPending] };
  }

  /** Its report is confirmed: the rows this write left pending stop being pending (if still as written). */
  async confirm(written: Written): Promise<void> {
    await this.members.confirm(written.touched);
    const row = {
      partitionKey: partitionOf(written.kind),
      rowKey: written.rowKey,
      pending: false,
      reported: "",
    };
    await this.table.updateEntity(row, "Merge", { etag: written.etag }).catch((error: unknown) => {
      if (!isStatus(error, 404) && !isStatus(error, 412)) throw error;
    });
  }

  /** Marks a resource deleted until its report is confirmed; false when another write came first. */
  async markDeleted(current: StoredResource): Promise<boolean> {
    const entity = { ...resourceEntity(current.kind, current.doc, current.entity), deleted: true };
    try {
      await this.table.updateEntity(entity, "Replace", { etag: current.entity.etag });
      return true;
    } catch (error) {
      if (isStatus(error, 412)) return false;
      throw error;
    }
  }

  /** What a delete reports as `before`: the resource as stored; a group with every member it may have had. */
  deletedState(current: StoredResource): ScimResource {
    if (current.kind === "User") return current.doc as ScimUser;
    const { members: _members, ...attributes } = current.doc;
    return deletedGroup(attributes, current.memberRows);
  }

  /** After a delete's report: its memberships, its name and its row go. Safe to repeat. */
  async purge(current: StoredResource): Promise<void> {
    const id = current.entity.rowKey;
    if (current.kind === "Group") await this.members.purgeGroup(id);
    else await this.members.purgeMember(id);
    await this.releaseName(current.kind, current.entity.name, id);
    await this.table.deleteEntity(partitionOf(current.kind), id).catch((error: unknown) => {
      if (!isStatus(error, 404)) throw error;
    });
  }

  async getUser(id: string): Promise<ScimUser | undefined> {
    const stored = await this.read("User", id, false);
    return stored === undefined || stored.entity.deleted ? undefined : (stored.doc as ScimUser);
  }

  async getGroup(id: string): Promise<ScimGroup | undefined> {
    const stored = await this.read("Group", id, true);
    return stored === undefined || stored.entity.deleted ? undefined : (stored.doc as ScimGroup);
  }

  async groupsOfUser(userId: string): Promise<ScimGroupHeader[]> {
    const ids = await this.members.groupIdsOf(userId);
    const groups = await pMap(ids, (id) => this.read("Group", id, false), { concurrency: READ_CONCURRENCY });
    return groups
      .filter((group): group is StoredResource => group !== undefined && !group.entity.deleted)
      .map((group) => group.doc as ScimGroupHeader);
  }
}
