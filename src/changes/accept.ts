import type { QueueClient } from "@azure/storage-queue";
import type { Clock } from "../clock.ts";
import { sendJob, sendJobs } from "../storage/messages.ts";
import { payloadFingerprint, requestIdFor } from "./ids.ts";
import type { Job, OwnerChange, StatusDocument } from "./model.ts";
import type { CreateResult, StatusStore } from "./status-store.ts";

/**
 * The one accept path both intakes share (design §1): idempotency, the `queued` record, the job.
 * Whatever arrives here has already passed the schema.
 */

export interface AcceptDeps {
  store: StatusStore;
  jobsQueue: QueueClient;
  clock: Clock;
}

/** A batch's jobs go out as bundles, on a queue of their own (design §2.1). */
export interface BatchAcceptDeps extends AcceptDeps {
  jobBundlesQueue: QueueClient;
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
  const { doc, fingerprint } = prepare(input, deps.clock);
  const result = resultOf(await deps.store.create(doc, fingerprint), doc, fingerprint);
  if (needsJob(result)) await sendJob(deps.jobsQueue, jobFor(result.doc));
  return result;
}

/**
 * A batch through the same path: every record in one round of writes (the store groups the rows that
 * share a partition into transactions), then the jobs of the batch in as few bundle messages as their
 * size allows, which `fanOutJobBundles` sends on as single jobs (design §2.1): one queue send for a
 * hundred changes on the request's path.
 */
export async function acceptChanges(
  inputs: readonly AcceptInput[],
  deps: BatchAcceptDeps,
): Promise<AcceptResult[]> {
  const prepared = inputs.map((input) => prepare(input, deps.clock));
  const stored = await deps.store.createMany(prepared);
  const results: AcceptResult[] = [];
  const jobs = new Map<string, Job>();
  for (const [index, { doc, fingerprint }] of prepared.entries()) {
    const result = resultOf(stored[index] as CreateResult, doc, fingerprint);
    results.push(result);
    if (needsJob(result)) jobs.set(result.doc.id, jobFor(result.doc));
  }
  await sendJobs(deps, [...jobs.values()]);
  return results;
}

function prepare(input: AcceptInput, clock: Clock): { doc: StatusDocument; fingerprint: string } {
  const { change } = input;
  const key = input.idempotencyKey ?? change.id;
  return {
    doc: newStatusDocument(input, requestIdFor(key, change.source), new Date(clock.now())),
    fingerprint: payloadFingerprint(change),
  };
}

/**
 * A new request needs its job. So does a repeat of a request that no worker ever took: it may follow a
 * crash between our insert and our send. Once taken, the request has its job (or a scheduled retry).
 */
function needsJob(result: AcceptResult): boolean {
  if (result.kind === "accepted") return true;
  return result.kind === "duplicate" && untaken(result.doc);
}

/** Queued, and no worker has ever claimed it: the only state in which a second job cannot jump a retry. */
export function untaken(doc: StatusDocument): boolean {
  return doc.status === "queued" && doc.attempts === 0;
}

/** What the insert of `doc` made of the request: new, a repeat, or a key reused for another payload. */
function resultOf(stored: CreateResult, doc: StatusDocument, fingerprint: string): AcceptResult {
  if (stored.created) return { kind: "accepted", doc };
  const { existing } = stored;
  return existing.fingerprint === fingerprint
    ? { kind: "duplicate", doc: existing.doc }
    : { kind: "key-reused", doc: existing.doc };
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
