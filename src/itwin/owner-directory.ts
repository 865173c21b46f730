import { normaliseEmail } from "../changes/email.ts";
import type { Clock } from "../clock.ts";
import type { Member, OwnersClient } from "./owners-client.ts";

/**
 * Who owns each iTwin, as last listed, so that removing by email does not list every owner for every
 * change. Listings are per process, shared by all its invocations, and concurrent lookups of one iTwin
 * share one listing (single flight).
 *
 * Freshness rule: a cached listing may *confirm* an owner (a stale hit is caught when the DELETE
 * answers 404, and the caller asks again with `fresh`), but may only *deny* one if it was taken after
 * every change the caller must come after — otherwise an owner added meanwhile would be reported
 * `not-owner`. The caller says when that was (worker/removal.ts: when the change was accepted, or for
 * an ordered change, when its turn began).
 *
 * Emails are compared in the one spelling intake gives them (changes/email.ts): the API may list a
 * domain in Unicode or capitals where the job carries it in punycode.
 */

export interface OwnerLookup {
  member?: Member;
  /** Every owner in the listing the answer came from. */
  owners: readonly Member[];
}

interface Listing {
  members: Member[];
  byEmail: Map<string, Member>;
  fetchedAt: number;
  /** The removal lease's generation the listing is known to reflect (coordination-store.ts, acquireLease). */
  generation?: number;
}

export interface OwnerDirectoryOptions {
  /** A listing older than this is never used. */
  ttlMs: number;
  clock: Clock;
}

export class OwnerDirectory {
  private readonly listings = new Map<string, Listing>();
  private readonly pending = new Map<string, { startedAt: number; promise: Promise<Listing> }>();

  constructor(
    private readonly client: Pick<OwnersClient, "listOwners">,
    private readonly options: OwnerDirectoryOptions,
  ) {}

  /**
   * Finds the owner with this email. A "not an owner" answer comes from a listing started at or after
   * `deniesOnlyAfter` (epoch ms); `fresh` forces a new listing, after the cache proved wrong.
   */
  async find(
    itwinId: string,
    email: string,
    deniesOnlyAfter: number,
    options: { fresh?: boolean; generation?: number } = {},
  ): Promise<OwnerLookup> {
    const now = this.options.clock.now();
    const cached = this.listings.get(itwinId);
    // Another instance removed an owner since this listing was taken: it may show one too many.
    const outdated = options.generation !== undefined && cached?.generation !== options.generation;
    let listing = await this.listing(itwinId, options.fresh || outdated ? now : now - this.options.ttlMs + 1);
    let member = listing.byEmail.get(email);
    if (member === undefined && listing.fetchedAt < deniesOnlyAfter) {
      listing = await this.listing(itwinId, deniesOnlyAfter);
      member = listing.byEmail.get(email);
    }
    if (options.generation !== undefined && (outdated || listing.generation === undefined)) {
      listing.generation = options.generation;
    }
    return member === undefined ? { owners: listing.members } : { member, owners: listing.members };
  }

  /** Our own add went through: the cached listing stays true without listing again. */
  noteAdded(itwinId: string, member: Member): void {
    const listing = this.listings.get(itwinId);
    const email = member.email ? spelling(member.email) : undefined;
    if (listing === undefined || email === undefined || listing.byEmail.has(email)) return;
    listing.byEmail.set(email, member);
    listing.members = [...listing.members, member];
  }

  /** Our own removal went through; `generation` is the removal lease's count after it. */
  noteRemoved(itwinId: string, email: string, generation?: number): void {
    const listing = this.listings.get(itwinId);
    if (listing !== undefined && generation !== undefined) listing.generation = generation;
    const member = listing?.byEmail.get(email);
    if (listing === undefined || member === undefined) return;
    listing.byEmail.delete(email);
    listing.members = listing.members.filter((candidate) => candidate !== member);
  }

  /** A listing that started at or after `notBefore`: the cached one, the one on its way, or a new one. */
  private listing(itwinId: string, notBefore: number): Promise<Listing> {
    const cached = this.listings.get(itwinId);
    if (cached !== undefined && cached.fetchedAt >= notBefore) return Promise.resolve(cached);
    const inFlight = this.pending.get(itwinId);
    if (inFlight !== undefined && inFlight.startedAt >= notBefore) return inFlight.promise;

    const startedAt = this.options.clock.now();
    const promise = this.client.listOwners(itwinId).then((members) => {
      const byEmail = new Map<string, Member>();
      for (const member of members) {
        if (member.email) byEmail.set(spelling(member.email), member);
      }
      // Stamped with the start of the listing: anything accepted before that is reflected in it.
      const listing: Listing = { members, byEmail, fetchedAt: startedAt };
      const current = this.listings.get(itwinId);
      if (current === undefined || current.fetchedAt <= startedAt) this.listings.set(itwinId, listing);
      return listing;
    });
    const entry = { startedAt, promise };
    this.pending.set(itwinId, entry);
    const clear = () => {
      if (this.pending.get(itwinId) === entry) this.pending.delete(itwinId);
    };
    promise.then(clear, clear);
    return promise;
  }
}

/** An address as intake spells it; one intake would refuse is compared lower-cased, as it came. */
function spelling(email: string): string {
  const checked = normaliseEmail(email);
  return checked.ok ? checked.email : email.toLowerCase();
}
