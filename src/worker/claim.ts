import type { Job, StatusDocument } from "../changes/model.ts";
import { isTerminal } from "../changes/status.ts";
import { ChangeRecord, type JobResult, type RecordDeps } from "./record.ts";

/**
 * The pipeline's first step: may this delivery work on the change, and if so, the claim recorded on
 * its status document. The queue delivers at least once, so a change may arrive finished, held, or
 * being worked on by another delivery.
 */

export interface Delivery {
  /** The queue message's id: the same on every delivery of one message. */
  messageId: string;
  /** 1 on the first delivery of this queue message. */
  dequeueCount: number;
  maxDequeueCount: number;
}

/**
 * A claim older than this belongs to an invocation the host has given up on: it equals host.json's
 * `functionTimeout` (a test holds the two together).
 */
export const CLAIM_EXPIRY_MS = 5 * 60 * 1000;

/** Why this delivery must leave the change alone, or undefined when it may claim it. Pure. */
export function reasonToSkip(doc: StatusDocument, delivery: Delivery, now: number): string | undefined {
  if (isTerminal(doc.status)) return `already ${doc.status}`;
  if (doc.status === "held") return "held for approval";
  const claimedAt = Date.parse(doc.claimedAt ?? doc.updatedAt);
  if (
    doc.status === "processing" &&
    doc.claimedBy !== undefined &&
    doc.claimedBy !== delivery.messageId &&
    now - claimedAt < CLAIM_EXPIRY_MS
  ) {
    // Another delivery of this change is at work; if it dies, its own message comes back.
    return `being processed by message ${doc.claimedBy}`;
  }
  return undefined;
}

export async function claim(
  job: Job,
  delivery: Delivery,
  instanceId: string,
  deps: RecordDeps,
): Promise<ChangeRecord | Extract<JobResult, { kind: "skipped" }>> {
  const stored = await deps.store.get(job.requestId);
  if (stored === undefined) return { kind: "skipped", reason: "no status record for this request" };
  const now = deps.clock.now();
  const reason = reasonToSkip(stored.doc, delivery, now);
  if (reason !== undefined) return { kind: "skipped", reason };
  const record = new ChangeRecord(stored, deps);
  const attempts = stored.doc.attempts + 1;
  await record.save("processing", {
    attempts,
    claimedBy: delivery.messageId,
    claimedAt: new Date(now).toISOString(),
    claimedByInstance: instanceId,
    note: `attempt ${attempts}`,
  });
  return record;
}
