import type { Action } from "../../changes/model.ts";
import { isActive, type ScimUser } from "../events.ts";
import { ownerEmail } from "./owner-address.ts";
import type { GroupSide, GroupTransition, Transition, UserTransition } from "./transition.ts";

/**
 * The owner changes a transition implies (pure). A person owns an iTwin through SCIM while their user
 * is known, active and has an address, and at least one group standing for that iTwin lists them. A
 * transition changes one group or one user, so the changes are the pairs (iTwin, address) that this
 * rule gives on one side and not on the other — with the person's *other* groups counted on both
 * sides, so leaving one of two groups for the same iTwin removes nothing.
 */

export interface PlannedChange {
  itwinId: string;
  email: string;
  action: Action;
  reason: string;
}

/** What planning needs beyond the transition; the I/O shell reads it for `affectedUsers`. */
export interface Knowledge {
  /** Group transitions only: each affected member's user, undefined for an id no user has. */
  users: ReadonlyMap<string, ScimUser | undefined>;
  /**
   * The iTwins each affected user's groups stand for, leaving out a group transition's own group
   * (whose two sides the transition carries); for a user transition, all the user's groups.
   */
  itwinsOf: ReadonlyMap<string, ReadonlySet<string>>;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The users whose ownership the transition may change: a user transition's user if their owner address
 * (or lack of one) differs between the sides, or the members whose share of a group's iTwin does.
 * Nobody else is read, so an edit of a 5 000-member group reads only the members it touched, and a
 * user's changed phone number reads nothing.
 */
export function affectedUsers(transition: Transition): string[] {
  if (transition.kind === "user") {
    const changed = ownerEmail(transition.before) !== ownerEmail(transition.after);
    return changed ? [transition.userId] : [];
  }
  const { before, after } = transition;
  const ids = new Set([...before.members, ...after.members]);
  return [...ids].filter((id) => shareOf(before, id) !== shareOf(after, id));
}

/**
 * The changes, adds before removes: the worker takes jobs roughly in order, and an iTwin whose owners
 * are swapped wholesale (a full replace, a re-mapping, a changed address) should gain its new owners
 * before the last-owner rule judges the removal of the old ones.
 */
export function planChanges(transition: Transition, knowledge: Knowledge): PlannedChange[] {
  const changes =
    transition.kind === "user" ? planUser(transition, knowledge) : planGroup(transition, knowledge);
  return [...changes.filter((c) => c.action === "add"), ...changes.filter((c) => c.action === "remove")];
}

function planGroup(transition: GroupTransition, knowledge: Knowledge): PlannedChange[] {
  const changes: PlannedChange[] = [];
  for (const id of affectedUsers(transition)) {
    const email = ownerEmail(knowledge.users.get(id));
    if (email === undefined) continue;
    const others = knowledge.itwinsOf.get(id) ?? NONE;
    const reason = groupReason(transition, id);
    const was = shareOf(transition.before, id);
    const is = shareOf(transition.after, id);
    if (was !== undefined && !others.has(was))
      changes.push({ itwinId: was, email, action: "remove", reason });
    if (is !== undefined && !others.has(is)) changes.push({ itwinId: is, email, action: "add", reason });
  }
  return changes;
}

function planUser(transition: UserTransition, knowledge: Knowledge): PlannedChange[] {
  const before = ownerEmail(transition.before);
  const after = ownerEmail(transition.after);
  if (before === after) return [];
  const reason = userReason(transition);
  const changes: PlannedChange[] = [];
  for (const itwinId of knowledge.itwinsOf.get(transition.userId) ?? NONE) {
    if (before !== undefined) changes.push({ itwinId, email: before, action: "remove", reason });
    if (after !== undefined) changes.push({ itwinId, email: after, action: "add", reason });
  }
  return changes;
}

/** The iTwin this side of the group gives the member, if it lists them and stands for one. */
function shareOf(side: GroupSide, id: string): string | undefined {
  return side.members.has(id) ? side.itwinId : undefined;
}

function groupReason(transition: GroupTransition, id: string): string {
  const name = quoted(transition.name);
  if (transition.cause === "deleted") return `SCIM group ${name} was deleted`;
  const listedBefore = transition.before.members.has(id);
  const listedAfter = transition.after.members.has(id);
  if (listedBefore !== listedAfter) {
    return listedAfter ? `added to SCIM group ${name}` : `removed from SCIM group ${name}`;
  }
  if (transition.cause === "mapping") {
    return transition.after.itwinId === undefined
      ? `SCIM group ${name} was unmapped`
      : `SCIM group ${name} was mapped to iTwin ${transition.after.itwinId}`;
  }
  return `SCIM group ${quoted(transition.formerName)} was renamed ${name}`;
}

function userReason({ before, after }: UserTransition): string {
  const who = quoted((after ?? before)?.userName ?? "");
  if (after === undefined) return `SCIM user ${who} was deleted`;
  if (before === undefined) return `SCIM user ${who} was created`;
  if (isActive(before) !== isActive(after)) {
    return `SCIM user ${who} was ${isActive(after) ? "reactivated" : "deactivated"}`;
  }
  return `SCIM user ${who} changed address`;
}

/** Names come from the IdP and may be long; `reason` holds 500 characters. */
function quoted(name: string): string {
  return JSON.stringify(name.length > 150 ? `${name.slice(0, 150)}…` : name);
}
