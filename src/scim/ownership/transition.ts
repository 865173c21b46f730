import type { ScimChange, ScimGroup, ScimUser } from "../events.ts";
import { type GroupMappings, itwinOfGroup } from "./itwin-of-group.ts";

/**
 * What a SCIM write, or a change of a group's mapping, did to the ownership picture (pure): either one
 * group's (iTwin, members) before and after, or one user's state before and after. Planning
 * (./plan.ts) diffs the two sides; this module only puts every kind of write into those two shapes.
 */

/** One side of a group: the iTwin it stands for (if any) and its member ids. */
export interface GroupSide {
  itwinId: string | undefined;
  members: ReadonlySet<string>;
}

export interface GroupTransition {
  kind: "group";
  groupId: string;
  /** The group's name after the write (before it, for a delete), for the changes' `reason`. */
  name: string;
  formerName: string;
  /** What moved the group: a SCIM write, its delete, or an admin's (un)mapping. */
  cause: "written" | "deleted" | "mapping";
  before: GroupSide;
  after: GroupSide;
}

export interface UserTransition {
  kind: "user";
  userId: string;
  /** undefined before a create; undefined after a delete. */
  before: ScimUser | undefined;
  after: ScimUser | undefined;
}

export type Transition = GroupTransition | UserTransition;

const NO_GROUP: GroupSide = { itwinId: undefined, members: new Set() };

/** A SCIM write as a transition, the group's iTwin resolved on each side with the same explicit mappings. */
export function transitionOf(change: ScimChange, mappings: GroupMappings): Transition {
  const side = (group: ScimGroup): GroupSide => ({
    itwinId: itwinOfGroup(group, mappings),
    members: memberIds(group),
  });
  switch (change.kind) {
    case "user-written":
      return { kind: "user", userId: change.after.id, before: change.before, after: change.after };
    case "user-deleted":
      return { kind: "user", userId: change.before.id, before: change.before, after: undefined };
    case "group-written":
      return {
        kind: "group",
        groupId: change.after.id,
        name: change.after.displayName,
        formerName: change.before?.displayName ?? change.after.displayName,
        cause: "written",
        before: change.before === undefined ? NO_GROUP : side(change.before),
        after: side(change.after),
      };
    case "group-deleted":
      return {
        kind: "group",
        groupId: change.before.id,
        name: change.before.displayName,
        formerName: change.before.displayName,
        cause: "deleted",
        before: side(change.before),
        after: NO_GROUP,
      };
  }
}

/** An admin mapped (itwinId) or unmapped (undefined) a group; its members stay, its iTwin may change. */
export function mappingTransition(
  group: ScimGroup,
  mappingBefore: string | undefined,
  mappingAfter: string | undefined,
): GroupTransition {
  const itwinWith = (mapping: string | undefined) =>
    itwinOfGroup(group, mapping === undefined ? new Map() : new Map([[group.id, mapping]]));
  const members = memberIds(group);
  return {
    kind: "group",
    groupId: group.id,
    name: group.displayName,
    formerName: group.displayName,
    cause: "mapping",
    before: { itwinId: itwinWith(mappingBefore), members },
    after: { itwinId: itwinWith(mappingAfter), members },
  };
}

function memberIds(group: ScimGroup): Set<string> {
  return new Set((group.members ?? []).map((member) => member.value));
}
