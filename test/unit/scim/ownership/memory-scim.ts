import type { ScimDirectory, ScimGroup, ScimUser } from "../../../../src/scim/events.ts";
import type { GroupMapping, MappingsStore } from "../../../../src/scim/mappings-store.ts";

/**
 * In-memory stand-ins for the SCIM store (as ScimDirectory) and the mappings table, for the unit tests
 * of the ownership shells. They implement the same interfaces (the compiler checks it) and count the
 * reads, so a test can show that only the affected users are looked up.
 */

export class MemoryDirectory implements ScimDirectory {
  readonly users = new Map<string, ScimUser>();
  readonly groups = new Map<string, ScimGroup>();
  readonly reads: string[] = [];

  async getUser(id: string) {
    this.reads.push(`user ${id}`);
    return this.users.get(id);
  }

  async getGroup(id: string) {
    this.reads.push(`group ${id}`);
    return this.groups.get(id);
  }

  async groupsOfUser(userId: string) {
    this.reads.push(`groups of ${userId}`);
    return [...this.groups.values()]
      .filter((group) => group.members.some((member) => member.value === userId))
      .map(({ members: _members, ...group }) => group);
  }
}

export class MemoryMappings implements MappingsStore {
  readonly rows = new Map<string, { itwinId: string | undefined; generation: number; etag: string }>();
  private version = 0;
  /** Runs between a caller's read and its write, as another request would. */
  beforeSet: (() => void) | undefined;

  async all() {
    const found = new Map<string, string>();
    for (const [groupId, row] of this.rows) if (row.itwinId !== undefined) found.set(groupId, row.itwinId);
    return found;
  }

  async get(groupId: string): Promise<GroupMapping> {
    const row = this.rows.get(groupId);
    return row === undefined
      ? { groupId, itwinId: undefined, generation: 0, etag: undefined }
      : { groupId, ...row };
  }

  async set(current: GroupMapping, itwinId: string | undefined) {
    this.beforeSet?.();
    if (this.rows.get(current.groupId)?.etag !== current.etag) return false;
    this.rows.set(current.groupId, {
      itwinId,
      generation: current.generation + 1,
      etag: `e${this.version++}`,
    });
    return true;
  }

  /** Maps a group as if an admin had done so earlier. */
  put(groupId: string, itwinId: string): void {
    this.rows.set(groupId, { itwinId, generation: 1, etag: `e${this.version++}` });
  }
}
