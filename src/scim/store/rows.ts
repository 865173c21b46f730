import { createHash } from "node:crypto";
import { isActive, type ScimGroup, type ScimMember, type ScimUser } from "../events.ts";
import type { Json } from "../protocol/canonical.ts";
import { scimError } from "../protocol/errors.ts";
import type { ScimKind } from "../protocol/scimmy.ts";

/**
 * The SCIM store's rows, and what they say (pure). All in the status table, in partitions of their own:
 *
 * | partition      | row key                      | what                                                  |
 * | -------------- | ---------------------------- | ----------------------------------------------------- |
 * | `scim-users`   | user id                      | the User as JSON, plain columns to filter on          |
 * | `scim-groups`  | group id                     | the Group without members, plain columns              |
 * | `scim-names`   | `User|` / `Group|` + hash    | who holds a userName / displayName (the 409 rule)     |
 * | `scim-members` | `g|<group>|<member>`         | one row per member of a group                         |
 * | `scim-members` | `u|<member>|<group>`         | the same membership seen from the member: groupsOfUser |
 *
 * A group's members are rows, not a property: a group may have thousands, and a property holds 64 KiB.
 * Both directions share one partition so a membership's two rows are written in one transaction.
 *
 * **Reporting.** Every write is reported to the event sink after it is stored, and the SCIM answer waits
 * for it. A row touched by a write whose report has not been confirmed is `pending`; a pending resource
 * row keeps in `reported` the state last confirmed. The next write's event then starts from that state,
 * so when the sink failed (a 500 the identity provider retries), the retry reports the change again even
 * though it finds it stored. Anything an unconfirmed write touched is shown in `before` with the opposite
 * standing (a member absent, a user's `active` flipped), so the sink re-emits its current standing even
 * when a later write put it back — the failed report may have been partly accepted.
 */

export const USERS = "scim-users";
export const GROUPS = "scim-groups";
export const NAMES = "scim-names";
export const MEMBERS = "scim-members";

export const partitionOf = (kind: ScimKind) => (kind === "User" ? USERS : GROUPS);

/** One row holds at most 64 KiB, and JSON text counts twice (UTF-16): keep the document below that. */
const MAX_DOCUMENT_CHARS = 30_000;

export interface ResourceEntity {
  partitionKey: string;
  rowKey: string;
  /** The resource as JSON; a group's without its members. */
  document: string;
  /** While pending: the state last reported, as JSON, or "" when it was never reported. */
  reported: string;
  pending: boolean;
  /** Deleted, its report not yet confirmed: invisible to every read but a repeated DELETE. */
  deleted: boolean;
  /** userName or displayName, lower-cased: filters with `eq` read only matching rows. */
  name: string;
  externalId: string;
}

export interface NameEntity {
  partitionKey: string;
  rowKey: string;
  id: string;
  /** When it was claimed (epoch ms): a claim whose write never followed is taken over later. */
  claimedAt?: number;
}

export interface MemberEntity {
  partitionKey: string;
  rowKey: string;
  present: boolean;
  /** Forward rows only: touched by a write whose report is not confirmed. */
  pending?: boolean;
  display?: string;
}

export const nameOf = (kind: ScimKind, resource: Json) =>
  String((kind === "User" ? resource.userName : resource.displayName) ?? "");

/** Names are unique case-insensitively; hashed, because a row key may not hold every character. */
export function nameKey(kind: ScimKind, name: string): string {
  return `${kind}|${createHash("sha256").update(name.toLowerCase(), "utf8").digest("base64url")}`;
}

export const memberKey = (groupId: string, value: string) => `g|${groupId}|${value}`;
export const membershipKey = (value: string, groupId: string) => `u|${value}|${groupId}`;
/** Bounds of the row keys starting with `prefix`: `~` sorts after every character a key part may hold. */
export const prefixRange = (prefix: string) => ({ from: prefix, to: `${prefix}~` });
export const lastKeyPart = (rowKey: string) => rowKey.slice(rowKey.lastIndexOf("|") + 1);

/** The row for a write of `doc` over `current` (undefined: a create): pending until its report is confirmed. */
export function resourceEntity(
  kind: ScimKind,
  doc: Json,
  current: ResourceEntity | undefined,
): ResourceEntity {
  const { members: _members, ...attributes } = doc;
  const document = JSON.stringify(attributes);
  if (document.length > MAX_DOCUMENT_CHARS) {
    throw scimError(400, "invalidValue", `The ${kind} is too large to store (${document.length} characters)`);
  }
  return {
    partitionKey: partitionOf(kind),
    rowKey: String(doc.id),
    document,
    reported: current === undefined ? "" : current.pending ? current.reported : current.document,
    pending: true,
    deleted: false,
    name: nameOf(kind, doc).toLowerCase(),
    externalId: typeof doc.externalId === "string" ? doc.externalId : "",
  };
}

/** The state last reported to the sink, or undefined if none was. */
function lastReported(entity: ResourceEntity): Json | undefined {
  const text = entity.pending ? entity.reported : entity.document;
  return text === "" ? undefined : (JSON.parse(text) as Json);
}

/** `before` of a user event: the state last reported, `active` flipped if an unconfirmed write may have moved it. */
export function userBefore(entity: ResourceEntity, after: ScimUser): ScimUser | undefined {
  const reported = lastReported(entity) as ScimUser | undefined;
  if (reported === undefined || !entity.pending) return reported;
  return isActive(reported) === isActive(after) ? { ...reported, active: !isActive(after) } : reported;
}

/** A group's current members: rows present. */
export function presentMembers(rows: readonly MemberEntity[]): ScimMember[] {
  return rows.filter((row) => row.present).map(memberOf);
}

/**
 * `before` of a group event: the attributes last reported; the members as reported, except that one an
 * unconfirmed write touched gets the opposite of its standing in `after`, so the sink reports it again.
 */
export function groupBefore(
  entity: ResourceEntity,
  rows: readonly MemberEntity[],
  after: readonly ScimMember[],
): ScimGroup | undefined {
  const reported = lastReported(entity);
  if (reported === undefined) return undefined;
  const inAfter = new Set(after.map((member) => member.value));
  const members = rows
    .filter((row) => (row.pending === true ? !inAfter.has(lastKeyPart(row.rowKey)) : row.present))
    .map(memberOf);
  return { ...(reported as ScimGroup), members };
}

/** `before` of a group delete: every member, and every one an unconfirmed write removed (its removal may be unreported). */
export function deletedGroup(doc: Json, rows: readonly MemberEntity[]): ScimGroup {
  const members = rows.filter((row) => row.present || row.pending === true).map(memberOf);
  return { ...(doc as ScimGroup), members };
}

function memberOf(row: MemberEntity): ScimMember {
  const value = lastKeyPart(row.rowKey);
  return row.display ? { value, display: row.display } : { value };
}

export interface MemberDelta {
  /** New members, and members whose display changed. */
  upserts: ScimMember[];
  removed: string[];
}

export function memberDelta(current: readonly ScimMember[], next: readonly ScimMember[]): MemberDelta {
  const before = new Map(current.map((member) => [member.value, member.display ?? ""]));
  const after = new Set(next.map((member) => member.value));
  return {
    upserts: next.filter((member) => before.get(member.value) !== (member.display ?? "")),
    removed: current.filter((member) => !after.has(member.value)).map((member) => member.value),
  };
}
