/**
 * The iTwins the simulator knows, their owners and their pending owner invitations, with the business
 * rules of "add iTwin owner member": users of the organisation's domain become members at once, everyone
 * else gets an invitation (7 days, like the real service), an existing owner is a conflict.
 * Pure: the clock is injected, nothing here does I/O.
 */
import { createHash, randomUUID } from "node:crypto";

/** Field names as in the v2 reference (`surname`; the older tutorial spells it `surName`). */
export interface Member {
  id: string;
  /** null for "missing users" (removed from IMS but still on the iTwin), as documented. */
  email: string | null;
  givenName: string | null;
  surname: string | null;
  organization: string | null;
}

export interface Invitation {
  id: string;
  email: string;
  invitedByEmail: string;
  status: "Pending";
  createdDate: string;
  expirationDate: string;
}

export interface OwnerSeed {
  email: string | null;
  id?: string;
  givenName?: string | null;
  /** Either spelling is accepted. */
  surName?: string | null;
  surname?: string | null;
  organization?: string | null;
}

export interface AddItwinInput {
  id?: string;
  name?: string;
  owners?: OwnerSeed[];
}

export interface ItwinSummary {
  id: string;
  name: string;
  owners: number;
  invitations: number;
}

export type AddOwnerOutcome =
  | { kind: "member"; member: Member }
  | { kind: "invitation"; invitation: Invitation; existing: boolean }
  | { kind: "already-owner"; member: Member }
  | { kind: "itwin-not-found" };

export type RemoveOwnerOutcome = "removed" | "itwin-not-found" | "member-not-found";

interface Itwin {
  id: string;
  name: string;
  owners: Member[];
  invitations: Invitation[];
}

export const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export class ItwinDirectory {
  readonly #itwins = new Map<string, Itwin>();

  constructor(
    private readonly options: { now: () => number; orgDomain: string; organizationName?: string },
  ) {}

  get organizationName(): string {
    return this.options.organizationName ?? organizationNameFor(this.options.orgDomain);
  }

  /** Adds an iTwin (a fresh UUID unless `id` is given). Seeded owners get ids stable across restarts. */
  add(input: AddItwinInput = {}): { id: string } {
    const id = (input.id ?? randomUUID()).toLowerCase();
    if (this.#itwins.has(id)) throw new Error(`iTwin ${id} already exists`);
    const owners = (input.owners ?? []).map((seed, index) => this.#seedMember(id, index, seed));
    this.#itwins.set(id, { id, name: input.name ?? `iTwin ${id.slice(0, 8)}`, owners, invitations: [] });
    return { id };
  }

  has(itwinId: string): boolean {
    return this.#itwins.has(itwinId.toLowerCase());
  }

  list(): ItwinSummary[] {
    return [...this.#itwins.values()].map((itwin) => ({
      id: itwin.id,
      name: itwin.name,
      owners: itwin.owners.length,
      invitations: this.#pending(itwin).length,
    }));
  }

  /** Owners in insertion order (copies). Throws for an unknown iTwin. */
  owners(itwinId: string): Member[] {
    return this.#require(itwinId).owners.map((member) => ({ ...member }));
  }

  /** Pending, unexpired invitations (copies). Throws for an unknown iTwin. */
  invitations(itwinId: string): Invitation[] {
    return this.#pending(this.#require(itwinId)).map((invitation) => ({ ...invitation }));
  }

  /** Owners for the API, without copying (the caller pages over it read-only). */
  ownersView(itwinId: string): readonly Member[] | undefined {
    return this.#itwins.get(itwinId.toLowerCase())?.owners;
  }

  addOwner(itwinId: string, rawEmail: string, invitedByEmail: string): AddOwnerOutcome {
    const itwin = this.#itwins.get(itwinId.toLowerCase());
    if (!itwin) return { kind: "itwin-not-found" };
    const email = rawEmail.trim();
    const key = email.toLowerCase();

    const owner = itwin.owners.find((member) => member.email?.toLowerCase() === key);
    if (owner) return { kind: "already-owner", member: { ...owner } };

    if (this.isInOrganization(email)) {
      const member: Member = {
        id: randomUUID(),
        ...namesFromEmail(email),
        email,
        organization: this.organizationName,
      };
      itwin.owners.push(member);
      return { kind: "member", member: { ...member } };
    }

    const pending = this.#pending(itwin).find((invitation) => invitation.email.toLowerCase() === key);
    if (pending) return { kind: "invitation", invitation: { ...pending }, existing: true };

    const now = this.options.now();
    const invitation: Invitation = {
      id: randomUUID(),
      email,
      invitedByEmail,
      status: "Pending",
      createdDate: new Date(now).toISOString(),
      expirationDate: new Date(now + INVITATION_LIFETIME_MS).toISOString(),
    };
    itwin.invitations.push(invitation);
    return { kind: "invitation", invitation: { ...invitation }, existing: false };
  }

  removeOwner(itwinId: string, memberId: string): RemoveOwnerOutcome {
    const itwin = this.#itwins.get(itwinId.toLowerCase());
    if (!itwin) return "itwin-not-found";
    const index = itwin.owners.findIndex((member) => member.id === memberId.toLowerCase());
    if (index < 0) return "member-not-found";
    itwin.owners.splice(index, 1);
    return "removed";
  }

  /**
   * What happens when the invited user clicks the link: the invitation is consumed and the user becomes
   * an owner. Not an API operation here; offered for demos and tests.
   */
  acceptInvitation(itwinId: string, invitationId: string): Member | undefined {
    const itwin = this.#require(itwinId);
    const invitation = this.#pending(itwin).find((candidate) => candidate.id === invitationId.toLowerCase());
    if (!invitation) return undefined;
    itwin.invitations = itwin.invitations.filter(
      (candidate) => candidate.email.toLowerCase() !== invitation.email.toLowerCase(),
    );
    const existing = itwin.owners.find(
      (member) => member.email?.toLowerCase() === invitation.email.toLowerCase(),
    );
    if (existing) return { ...existing };
    const member: Member = {
      id: randomUUID(),
      ...namesFromEmail(invitation.email),
      email: invitation.email,
      organization: organizationNameFor(invitation.email.split("@")[1] ?? ""),
    };
    itwin.owners.push(member);
    return { ...member };
  }

  isInOrganization(email: string): boolean {
    const domain = email.trim().toLowerCase().split("@").pop() ?? "";
    return domain === this.options.orgDomain.toLowerCase();
  }

  clear(): void {
    this.#itwins.clear();
  }

  #require(itwinId: string): Itwin {
    const itwin = this.#itwins.get(itwinId.toLowerCase());
    if (!itwin) throw new Error(`Unknown iTwin ${itwinId}`);
    return itwin;
  }

  #pending(itwin: Itwin): Invitation[] {
    const now = this.options.now();
    return itwin.invitations.filter((invitation) => Date.parse(invitation.expirationDate) > now);
  }

  #seedMember(itwinId: string, index: number, seed: OwnerSeed): Member {
    const derived = seed.email === null ? { givenName: null, surname: null } : namesFromEmail(seed.email);
    return {
      id: (seed.id ?? stableUuid(`${itwinId}/${index}/${seed.email ?? "missing-user"}`)).toLowerCase(),
      email: seed.email,
      givenName: seed.givenName !== undefined ? seed.givenName : derived.givenName,
      surname:
        seed.surname !== undefined
          ? seed.surname
          : seed.surName !== undefined
            ? seed.surName
            : derived.surname,
      organization:
        seed.organization !== undefined
          ? seed.organization
          : seed.email === null
            ? null
            : this.isInOrganization(seed.email)
              ? this.organizationName
              : organizationNameFor(seed.email.split("@")[1] ?? ""),
    };
  }
}

/** "corp.example" → "Corp Example". */
export function organizationNameFor(domain: string): string {
  return domain
    .split(".")
    .filter(Boolean)
    .map((label) => label.charAt(0).toUpperCase() + label.slice(1))
    .join(" ");
}

/** "jane.doe@x" → Jane / Doe; "carol@x" → Carol / null. IMS would know the real names. */
export function namesFromEmail(email: string): { givenName: string | null; surname: string | null } {
  const local = email.split("@")[0] ?? "";
  const parts = local.split(/[._-]+/).filter(Boolean);
  const cap = (part: string) => part.charAt(0).toUpperCase() + part.slice(1);
  return {
    givenName: parts[0] !== undefined ? cap(parts[0]) : null,
    surname: parts.length > 1 ? parts.slice(1).map(cap).join(" ") : null,
  };
}

/** A UUID-shaped id derived from a name (SHA-1, version nibble 5), so seeded ids never change. */
export function stableUuid(name: string): string {
  const hex = createHash("sha1").update(name).digest("hex");
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
