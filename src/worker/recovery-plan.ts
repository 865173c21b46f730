import type { StatusDocument } from "../changes/model.ts";
import { isTerminal } from "../changes/status.ts";
import type { Heartbeat } from "../coordination/instance-registry.ts";

/**
 * What crash recovery does with one pending change (docs/reliability.md). Pure: the timer's shell
 * (recover-stale.ts) gathers the facts — the document, the worker heartbeats, the oldest job still
 * waiting in the queue — and carries out the decision.
 *
 * Re-driving means "send the change a new job". It is always safe, because a job for a change that is
 * terminal, or being worked on by a live delivery, is skipped, and the API calls are idempotent in
 * effect (an add of an owner is a 409, a removal of a non-owner a 404). The rules below only decide
 * when it is *needed*, so that healthy changes cost nothing.
 */

export interface RecoveryFacts {
  now: number;
  /** A worker silent this long is dead; a change overdue this long has lost its job. */
  afterMs: number;
  /** A claim older than this belongs to an invocation the host has timed out (functionTimeout). */
  claimExpiryMs: number;
  /** Worker instance id → its last heartbeat: when, and which changes it was working on. */
  heartbeats: ReadonlyMap<string, Heartbeat>;
  /** When the oldest job still visible in the jobs queue was inserted; undefined if none is. */
  oldestWaitingJobAt: number | undefined;
  /** Re-drives allowed per change; a change that keeps killing its workers ends failed instead. */
  maxRecoveries: number;
}

export type RecoveryDecision =
  | { kind: "forget"; reason: string }
  | { kind: "wait"; reason: string }
  | { kind: "redrive"; reason: string }
  | { kind: "give-up"; reason: string };

/**
 * @param doc the change's status document, undefined if the index lists an id with no document
 * @param listedAt when its pending-index row was written
 */
export function planRecovery(
  doc: StatusDocument | undefined,
  listedAt: number,
  facts: RecoveryFacts,
): RecoveryDecision {
  if (doc === undefined) {
    // The accept wrote the index row but not the document, so nobody was told it was accepted.
    return facts.now - listedAt >= facts.claimExpiryMs
      ? { kind: "forget", reason: "no status document: the change was never accepted" }
      : { kind: "wait", reason: "the status document may still be on its way" };
  }
  if (isTerminal(doc.status)) return { kind: "forget", reason: `already ${doc.status}` };
  if (doc.status === "held") return { kind: "wait", reason: "held for approval" };
  const stuck = doc.status === "processing" ? abandonedClaim(doc, facts) : lostJob(doc, facts);
  if (stuck === undefined) return { kind: "wait", reason: `${doc.status} and looked after` };
  if ((doc.recoveries ?? 0) >= facts.maxRecoveries) {
    return { kind: "give-up", reason: `${stuck}; re-driven ${doc.recoveries} times already` };
  }
  return { kind: "redrive", reason: stuck };
}

/** Why a `processing` change's worker is gone, or undefined while it may still be at work. */
function abandonedClaim(doc: StatusDocument, facts: RecoveryFacts): string | undefined {
  const claimedAt = Date.parse(doc.claimedAt ?? doc.updatedAt);
  const claimAge = facts.now - claimedAt;
  if (claimAge < facts.afterMs) return undefined;
  const instance = doc.claimedByInstance;
  if (instance !== undefined) {
    const heartbeat = facts.heartbeats.get(instance);
    if (heartbeat === undefined) return `its worker ${instance} is gone`;
    const silence = facts.now - heartbeat.lastSeen;
    if (silence >= facts.afterMs)
      return `its worker ${instance} has been silent for ${Math.round(silence / 1000)} s`;
    // The heartbeat is younger than the claim (silence < afterMs ≤ claim age), so an invocation still
    // at work would be listed. Not listed: it ended without a status update, and the release of its
    // message failed too, or the message would have come back within visibilityTimeout.
    if (heartbeat.working !== undefined && !heartbeat.working.has(doc.id)) {
      return `its worker ${instance} is alive but no longer working on it`;
    }
  }
  if (claimAge >= facts.claimExpiryMs) {
    return `claimed ${Math.round(claimAge / 1000)} s ago, longer than an invocation may run`;
  }
  return undefined;
}

/** Why a `queued` change's job cannot be waiting in the queue, or undefined while it may be. */
function lostJob(doc: StatusDocument, facts: RecoveryFacts): string | undefined {
  const dueAt = Date.parse(doc.retryAt ?? doc.updatedAt);
  if (facts.now - dueAt < facts.afterMs) return undefined;
  // Jobs leave the queue roughly oldest first: while one older than this change's is still waiting,
  // its own is most likely waiting too, behind a backlog rather than lost.
  if (facts.oldestWaitingJobAt !== undefined && facts.oldestWaitingJobAt <= dueAt) return undefined;
  return `due ${Math.round((facts.now - dueAt) / 1000)} s ago and no job for it is waiting in the queue`;
}
