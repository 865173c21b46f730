import type { QueueClient } from "@azure/storage-queue";
import type { Clock } from "../clock.ts";
import { sendJob } from "../storage/messages.ts";
import { jobFor } from "./accept.ts";
import type { StatusDocument } from "./model.ts";
import { transition } from "./status.ts";
import type { StatusStore } from "./status-store.ts";

/**
 * Releasing or refusing a change the mass-removal policy held (design §5, §7). An approved removal is
 * queued again; the approval is kept on the record, so the threshold never holds it a second time.
 */

export interface Decision {
  approve: boolean;
  /** Who decided, for the audit trail. */
  by: string;
  reason?: string;
}

export type DecisionResult =
  | { kind: "decided"; doc: StatusDocument }
  | { kind: "not-found" }
  | { kind: "not-held"; doc: StatusDocument }
  /** The approval is recorded but its job could not be sent: approving again sends it. */
  | { kind: "approved-not-queued"; doc: StatusDocument };

export async function decideHeldChange(
  id: string,
  decision: Decision,
  deps: { store: StatusStore; jobsQueue: QueueClient; clock: Clock },
): Promise<DecisionResult> {
  const stored = await deps.store.get(id);
  if (stored === undefined) return { kind: "not-found" };
  const { doc: current } = stored;
  const lastNote = current.history.at(-1)?.note ?? "";
  if (decision.approve && current.status === "queued" && lastNote.startsWith("approved by ")) {
    // Approved, and nothing happened since: the job may not have been sent (the first call failed
    // after recording). Sending it again is safe, a second delivery of a claimed job is skipped.
    await sendJob(deps.jobsQueue, jobFor(current));
    return { kind: "decided", doc: current };
  }
  if (current.status !== "held") return { kind: "not-held", doc: current };
  const why = decision.reason === undefined ? "" : `: ${decision.reason}`;
  const doc = decision.approve
    ? transition(current, "queued", new Date(deps.clock.now()), {
        approvedBy: decision.by,
        note: `approved by ${decision.by}${why}`,
      })
    : transition(current, "rejected", new Date(deps.clock.now()), {
        note: `rejected by ${decision.by}${why}`,
        error: { code: "RejectedByApprover", message: decision.reason ?? `rejected by ${decision.by}` },
      });
  // The ETag makes two approvers racing end with one decision; the loser gets a concurrency error.
  await deps.store.replace(doc, stored.fingerprint, stored.etag);
  if (decision.approve) {
    try {
      await sendJob(deps.jobsQueue, jobFor(doc));
    } catch {
      return { kind: "approved-not-queued", doc };
    }
  }
  return { kind: "decided", doc };
}
