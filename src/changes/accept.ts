import type { QueueClient } from "@azure/storage-queue";
import pMap from "p-map";
import type { Clock } from "../clock.ts";
import { sendJob } from "../storage/messages.ts";
import { payloadFingerprint, requestIdFor } from "./ids.ts";
import type { Job, OwnerChange, StatusDocument } from "./model.ts";
import { BATCH_WRITES_IN_FLIGHT, type CreateResult, type StatusStore } from "./status-store.ts";

/**
 * The one accept path both intakes share (design §1): idempotency, the `queued` record, the job.
 * Whatever arrives here has already passed the schema.
 */

export interface AcceptDeps {
  store: StatusStore;
  jobsQueue: QueueClient;
  clock: Clock;
}

export interface AcceptInput {
  change: OwnerChange;
  /**
   * The key the intake derived (webhook id, `Idempotency-Key`, `<key>#<index>` in a batch, `msg:<id>` for a
   * queue message: design §3); without one, the body's `id` is the key.
   */
  idempotencyKey?: string;
  via: StatusDocument["via"];
  correlationId: string;
  /** The offboarding this change is a child of (src/people/offboard.ts). */
  parentId?: string;
}

export type AcceptResult =
  | { kind: "accepted"; doc: StatusDocument }
  | { kind: "duplicate"; doc: StatusDocument }
  | { kind: "key-reused"; doc: StatusDocument };

export async function acceptChange(input: AcceptInput, deps: AcceptDeps): Promise<AcceptResult> {
  const prepared = prepare(input, deps.clock);
  return settle(prepared, await deps.store.create(prepared.doc, prepared.fingerprint), deps);
}

/**
 * A batch through the same path: every record in one round of writes (the store groups the rows that
 * share a partition into transactions), then each change's job, as `acceptChange` would.
 */
export async function acceptChanges(
  inputs: readonly AcceptInput[],
  deps: AcceptDeps,
): Promise<AcceptResult[]> {
  const prepared = inputs.map((input) => prepare(input, deps.clock));
  const stored = await deps.store.createMany(prepared);
  return pMap(prepared, (item, index) => settle(item, stored[index] as CreateResult, deps), {
    concurrency: BATCH_WRITES_IN_FLIGHT,
  });
}

function prepare(input: AcceptInput, clock: Clock): { doc: StatusDocument; fingerprint: string } {
  const { change } = input;
  const key = input.idempotencyKey ?? change.id;
  return {
    doc: newStatusDocument(input, requestIdFor(key, change.source), new Date(clock.now())),
    fingerprint: payloadFingerprint(change),
  };
}

async function settle(
  { doc, fingerprint }: { doc: StatusDocument; fingerprint: string },
  stored: CreateResult,
  deps: AcceptDeps,
): Promise<AcceptResult> {
  if (!stored.created) {
    const { existing } = stored;
    if (existing.fingerprint !== fingerprint) return { kind: "key-reused", doc: existing.doc };
    // A repeat of a request that no worker ever took may follow a crash between our insert and our
    // enqueue, so its job is sent again. Once taken, the request has its job (or a scheduled retry).
    if (existing.doc.status === "queued" && existing.doc.attempts === 0) {
      await sendJob(deps.jobsQueue, jobFor(existing.doc));
    }
    return { kind: "duplicate", doc: existing.doc };
  }
  await sendJob(deps.jobsQueue, jobFor(doc));
  return { kind: "accepted", doc };
}

export function jobFor(doc: StatusDocument): Job {
  const job: Job = {
    v: 1,
    requestId: doc.id,
    itwinId: doc.itwinId,
    email: doc.email,
    action: doc.action,
    dryRun: doc.dryRun,
    attempt: 1,
    correlationId: doc.correlationId,
  };
  if (doc.occurredAt !== undefined) job.occurredAt = doc.occurredAt;
  return job;
}

function newStatusDocument(input: AcceptInput, id: string, now: Date): StatusDocument {
  const { change } = input;
  const at = now.toISOString();
  const doc: StatusDocument = {
    id,
    status: "queued",
    itwinId: change.itwinId,
    email: change.email,
    action: change.action,
    dryRun: change.dryRun,
    via: input.via,
    correlationId: input.correlationId,
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    history: [{ at, status: "queued", note: `received via ${input.via}` }],
  };
  const optional = {
    senderId: change.id,
    source: change.source,
    reason: change.reason,
    requestedBy: change.requestedBy,
    occurredAt: change.occurredAt,
    parentId: input.parentId,
  };
  for (const [name, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(doc, { [name]: value });
  }
  return doc;
}
