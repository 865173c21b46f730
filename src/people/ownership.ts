/**
 * What the per-person index knows, and the one rule for updating it (pure). The worker tells the index
 * what it learnt about one person on one iTwin; an offboarding later reads the iTwins where the person
 * is known as an owner (design §11).
 */

/**
 * How the worker learnt it. An add's answer (`added`, `invited`, `already-owner`), a removal's answer
 * (`removed`, `not-owner`), or `listed`: a removal's owner listing showed the person, and the removal
 * did not take them off (refused, held, or a dry run).
 */
export const EVIDENCE = ["added", "invited", "already-owner", "listed", "removed", "not-owner"] as const;
export type Evidence = (typeof EVIDENCE)[number];

export interface OwnershipFact {
  email: string;
  itwinId: string;
  evidence: Evidence;
  /** The change that learnt it. */
  requestId: string;
  /** When the worker learnt it (ISO), as its clock read after the API answered. */
  seenAt: string;
}

/**
 * Whether the evidence makes the person an owner. `invited` counts: the invitation becomes ownership
 * when accepted, and a leaver must lose that too; an invitation never accepted costs the offboarding one
 * removal that ends `not-owner`.
 */
export function isOwnerEvidence(evidence: Evidence): boolean {
  return evidence !== "removed" && evidence !== "not-owner";
}

/**
 * Whether `fact` may replace what the index holds. Writes can land out of order (two instances, or a
 * slow write beside a fast one), so the older observation never overwrites a newer one; an equal time is
 * the later write's.
 */
export function replaces(fact: Pick<OwnershipFact, "seenAt">, current?: { seenAt: string }): boolean {
  return current === undefined || fact.seenAt >= current.seenAt;
}

/** Table keys forbid / \ # ? and control characters; URI-encoding removes them all (`@` becomes `%40`). */
export function personPartition(email: string): string {
  return `person|${encodeURIComponent(email)}`;
}
