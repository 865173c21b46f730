/**
 * The seam between the SCIM service provider (protocol, storage, routes) and what SCIM means for iTwin
 * ownership. The protocol side stores Users and Groups as identity providers send them, then reports
 * each accepted write as a ScimEvent; the ownership side turns events into owner changes through the
 * one accept path. Neither knows how the other works.
 */

export interface ScimEmail {
  value: string;
  type?: string;
  primary?: boolean;
}

/** A stored SCIM User (RFC 7643 §4.1), as much of it as ownership reads; the rest is kept as sent. */
export interface ScimUser {
  id: string;
  userName: string;
  externalId?: string;
  /** Absent means active (RFC 7643 leaves the default to the provider; Entra and Okta send it). */
  active?: boolean;
  emails?: ScimEmail[];
  [attribute: string]: unknown;
}

/** `active` absent means active (RFC 7643 leaves the default to the provider; both IdPs send it). */
export function isActive(user: ScimUser): boolean {
  return user.active !== false;
}

export interface ScimMember {
  value: string;
  display?: string;
}

/** A stored SCIM Group (RFC 7643 §4.2) without its members, as a user's group list gives it. */
export interface ScimGroupHeader {
  id: string;
  displayName: string;
  externalId?: string;
  [attribute: string]: unknown;
}

/** A stored SCIM Group (RFC 7643 §4.2) with its whole member list. */
export interface ScimGroup extends ScimGroupHeader {
  members: ScimMember[];
}

/** One accepted write, with the state before and after it. */
export type ScimChange =
  | { kind: "user-written"; before: ScimUser | undefined; after: ScimUser }
  | { kind: "user-deleted"; before: ScimUser }
  | { kind: "group-written"; before: ScimGroup | undefined; after: ScimGroup }
  | { kind: "group-deleted"; before: ScimGroup };

export interface ScimEvent {
  change: ScimChange;
  /** The name of the bearer token the identity provider used (SCIM_BEARER_TOKENS). */
  requestedBy: string;
  /** When the SCIM request arrived: the owner changes' occurredAt, so ordering holds. */
  occurredAt: string;
  correlationId: string;
}

/** What the ownership side needs to read from the SCIM store. */
export interface ScimDirectory {
  getUser(id: string): Promise<ScimUser | undefined>;
  getGroup(id: string): Promise<ScimGroup | undefined>;
  /** The groups the user is a member of (members not loaded). */
  groupsOfUser(userId: string): Promise<ScimGroupHeader[]>;
}

/** Called by the protocol side after each write is stored; the SCIM answer waits for it (changes accepted). */
export type ScimEventSink = (event: ScimEvent) => Promise<void>;
