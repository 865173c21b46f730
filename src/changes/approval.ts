import type { QueueClient } from "@azure/storage-queue";
import { sendJob } from "../storage/messages.ts";
import { jobFor } from "./accept.ts";
import type { StatusDocument } from "./model.ts";
import { transition } from "./status.ts";
import type { StatusStore } from "./status-store.ts";

/**
 * Releasing or refusing a change the mass-removal policy held (design §5, §7). An approved removal is
 * queued again, marked so the threshold does not hold it a second time.
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
  | { kind: "not-held"; doc: StatusDocument };

export async function decideHeldChange(
  id: string,
  decision: Decision,
  deps: { store: StatusStore; jobsQueue: QueueClient; now: () => Date },
): Promise<DecisionResult> {
  const stored = await deps.store.get(id);
  if (stored === undefined) return { kind: "not-found" };
  if (stored.doc.status !== "held") return { kind: "not-held", doc: stored.doc };
  const why = decision.reason === undefined ? "" : `: ${decision.reason}`;
  const doc = decision.approve
    ? transition(stored.doc, "queued", deps.now(), { note: `approved by ${decision.by}${why}` })
    : transition(stored.doc, "rejected", deps.now(), {
        note: `rejected by ${decision.by}${why}`,
        error: { code: "RejectedByApprover", message: decision.reason ?? `rejected by ${decision.by}` },
      });
  // The ETag makes two approvers racing end with one decision; the loser gets a concurrency error.
  await deps.store.replace(doc, stored.fingerprint, stored.etag);
  if (decision.approve) await sendJob(deps.jobsQueue, { ...jobFor(doc), approved: true });
  return { kind: "decided", doc };
}
