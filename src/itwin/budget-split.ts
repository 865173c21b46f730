/**
 * How one window's budget is split among the worker processes that share it (pure; docs/rate-limits.md).
 *
 * Every member takes `floor(limit / n)`; the `limit % n` calls left over go one each to the members
 * that win a rendezvous (highest-random-weight) hash of their id and the window's index. So the parts
 * add up to the limit for any `n`, and with more members than calls (`n > limit`) `limit` of them send
 * one call each and the others none, a different set every window.
 *
 * Rendezvous hashing, not a rank rotation: two processes whose views differ by one member (a dead one
 * not yet dropped, a pending one) still agree on the winners among the members both see, so the
 * disagreement costs at most one call, and that call falls on the member the other does not see.
 */

/** The processes admitted to one window, and which of them is this one. */
export interface Membership {
  /** Admitted process ids; this process takes a part of the window only if `self` is among them. */
  members: readonly string[];
  self: string;
}

/** A lone process that nobody else shares the budget with. */
export const ALONE: Membership = { members: ["self"], self: "self" };

/** FNV-1a over `id#index`, then murmur3's fmix32 so that ids differing in one character spread out. */
export function rendezvousHash(id: string, index: number): number {
  let hash = 0x811c9dc5;
  const text = `${id}#${index}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * The `count` members with the highest hash for `index`. Equal hashes keep the members' order (the sort
 * is stable, and every process lists the members sorted), so all processes still pick alike.
 */
export function winners(members: readonly string[], index: number, count: number): Set<string> {
  const ranked = members
    .map((id) => ({ id, hash: rendezvousHash(id, index) }))
    .sort((a, b) => b.hash - a.hash);
  return new Set(ranked.slice(0, count).map((entry) => entry.id));
}

/** This process's calls in the window with index `index` (any integer all processes compute alike). */
export function shareOf(limit: number, membership: Membership, index: number): number {
  const { members, self } = membership;
  if (!members.includes(self)) return 0;
  const n = members.length;
  return Math.floor(limit / n) + (winners(members, index, limit % n).has(self) ? 1 : 0);
}
