import type { QueueClient } from "@azure/storage-queue";
import type { ChangeError, Job, Outcome, StatusDocument } from "../changes/model.ts";
import { checkPolicy, leavesNoHumanOwner, type Policy, removalWindowStart } from "../changes/policy.ts";
import { isTerminal, type TransitionPatch, transition } from "../changes/status.ts";
import { isNewerDecision, type StatusStore, type StoredStatus } from "../changes/status-store.ts";
import { OwnersApiError, RetryLaterError } from "../itwin/errors.ts";
import type { OwnerDirectory } from "../itwin/owner-directory.ts";
import type { OwnersClient } from "../itwin/owners-client.ts";
import { withJitter } from "../itwin/retry-timing.ts";
import { metrics } from "../observability/metrics.ts";
import { sendJob } from "../storage/messages.ts";
import { type KeyedLock, LockWaitTimeout } from "./keyed-lock.ts";

/**
 * Applies one job (design §4): claim → policy → ordering → plan → owners API → record. Every step is
 * safe to repeat, because the queue delivers at least once.
 */

export interface WorkerDeps {
  store: StatusStore;
  owners: OwnersClient;
  directory: OwnerDirectory;
  jobsQueue: QueueClient;
  policy: Policy;
  /** Process-wide: orders API calls for one person and iTwin, and removals from one iTwin. */
  locks: KeyedLock;
  /** This process's id in the instance registry: crash recovery re-drives the claims of dead ones. */
  instanceId: string;
  now: () => Date;
  random?: () => number;
  maxAttempts: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface Delivery {
  /** The queue message's id: the same on every delivery of one message. */
  messageId: string;
  /** 1 on the first delivery of this queue message. */
  dequeueCount: number;
  maxDequeueCount: number;
}

export type JobResult =
  | { kind: "skipped"; reason: string }
  | { kind: "finished"; status: StatusDocument["status"]; outcome?: Outcome }
  | { kind: "rescheduled"; delayMs: number };

/** How soon a change that found its iTwin or person busy looks again (plus jitter). */
const BUSY_RETRY_MS = 2_000;
/** Long enough for a listing and a DELETE with their retries; a crashed holder blocks no longer. */
const LEASE_MS = 120_000;
const REMOVAL_LEASE = "removal";

/** Waiting for another change's turn: retried later, not counted as an attempt. */
function busy(message: string): RetryLaterError {
  return new RetryLaterError(
    BUSY_RETRY_MS,
    new OwnersApiError(undefined, "Busy", message, undefined, true),
    false,
  );
}
/** The longest an invocation waits in this process for its turn with an iTwin or person. */
const LOCK_WAIT_MS = 30_000;

/** A claim older than this belongs to an invocation the host has given up on (host.json functionTimeout). */
export const CLAIM_EXPIRY_MS = 5 * 60 * 1000;

export async function processJob(job: Job, delivery: Delivery, deps: WorkerDeps): Promise<JobResult> {
  const stored = await deps.store.get(job.requestId);
  if (stored === undefined) return { kind: "skipped", reason: "no status record for this request" };
  const { doc } = stored;
  if (isTerminal(doc.status)) return { kind: "skipped", reason: `already ${doc.status}` };
  if (doc.status === "held") return { kind: "skipped", reason: "held for approval" };
  const now = deps.now();
  if (
    doc.status === "processing" &&
    doc.claimedBy !== undefined &&
    doc.claimedBy !== delivery.messageId &&
    now.getTime() - Date.parse(doc.claimedAt ?? doc.updatedAt) < CLAIM_EXPIRY_MS
  ) {
    // Another delivery of this change is at work; if it dies, its own message comes back.
    return { kind: "skipped", reason: `being processed by message ${doc.claimedBy}` };
  }

  const attempts = doc.attempts + 1;
  const claimed = await save(
    stored,
    "processing",
    {
      attempts,
      claimedBy: delivery.messageId,
      claimedAt: now.toISOString(),
      claimedByInstance: deps.instanceId,
      note: `attempt ${attempts}`,
    },
    deps,
  );

  try {
    return await deps.locks.run(`subject|${job.itwinId}|${job.email}`, LOCK_WAIT_MS, () =>
      apply(job, claimed, deps),
    );
  } catch (thrown) {
    const error = thrown instanceof LockWaitTimeout ? busy(thrown.message) : thrown;
    if (error instanceof RetryLaterError) return reschedule(job, claimed, error, delivery, deps);
    if (error instanceof OwnersApiError && !error.transient) {
      await finish(claimed, "failed", { error: changeError(error) }, deps);
      return { kind: "finished", status: "failed" };
    }
    if (delivery.dequeueCount >= delivery.maxDequeueCount) {
      // The host moves the message to the poison queue after this; the record says why.
      const cause = error instanceof OwnersApiError ? changeError(error) : unexpected(error);
      await finish(
        claimed,
        "failed",
        {
          error: cause,
          note: `gave up after ${delivery.dequeueCount} deliveries; job moved to the poison queue`,
        },
        deps,
      ).catch(() => undefined);
    }
    throw error;
  }
}

async function apply(job: Job, claimed: StoredStatus, deps: WorkerDeps): Promise<JobResult> {
  const { policy } = deps;
  const verdict = checkPolicy(job, policy);
  if (!verdict.allowed) {
    await finish(claimed, "rejected", { error: { code: verdict.code, message: verdict.message } }, deps);
    return { kind: "finished", status: "rejected" };
  }
  const dryRun = job.dryRun || policy.dryRun;
  if (job.occurredAt === undefined || dryRun) return applyInOrder(job, claimed, dryRun, deps);
  // Ordered changes for one person and iTwin make their API calls one at a time across instances, so
  // an older decision's call in flight cannot land after a newer one's.
  return withLease(
    job,
    `subject|${encodeURIComponent(job.email)}`,
    "another change for this person and iTwin is under way",
    deps,
    () => applyInOrder(job, claimed, dryRun, deps),
  );
}

/**
 * Runs `task` holding the lease `name` of the job's iTwin, or throws a non-counting retry when another
 * change holds it. The task may report a change through the lease (`report.changed`), which bumps its
 * generation on release even if the task fails afterwards.
 */
async function withLease<T>(
  job: Job,
  name: string,
  busyMessage: string,
  deps: WorkerDeps,
  task: (generation: number, report: { changed: boolean }) => Promise<T>,
): Promise<T> {
  const generation = await deps.store.acquireLease(
    job.itwinId,
    name,
    job.requestId,
    deps.now().getTime(),
    LEASE_MS,
  );
  if (generation === undefined) throw busy(busyMessage);
  const report = { changed: false };
  try {
    return await task(generation, report);
  } finally {
    await deps.store.releaseLease(job.itwinId, name, job.requestId, report.changed);
  }
}

async function applyInOrder(
  job: Job,
  claimed: StoredStatus,
  dryRun: boolean,
  deps: WorkerDeps,
): Promise<JobResult> {
  if (job.occurredAt !== undefined) {
    // A dry run only compares: a preview must not take the place of the real decision.
    const holder = dryRun ? await deps.store.subjectHolder(job.itwinId, job.email) : undefined;
    const holds = dryRun
      ? holder?.requestId === job.requestId || !isNewerDecision(holder, job.occurredAt)
      : await deps.store.reserveSubject(job.itwinId, job.email, job.occurredAt, job.requestId);
    if (!holds) {
      const newer = holder ?? (await deps.store.subjectHolder(job.itwinId, job.email));
      const which =
        newer === undefined ? "a newer change" : `a newer change (${newer.requestId}, ${newer.occurredAt})`;
      return succeed(claimed, "superseded", { note: `${which} was decided for this person and iTwin` }, deps);
    }
  }

  if (job.action === "add") {
    if (dryRun)
      return succeed(claimed, "planned", { note: `dry run: would add ${job.email} as owner` }, deps);
    const result = await deps.owners.addOwner(job.itwinId, job.email);
    const patch: TransitionPatch = result.correlationId ? { apiCorrelationId: result.correlationId } : {};
    if (result.kind === "added" && result.memberId) {
      patch.memberId = result.memberId;
      deps.directory.noteAdded(job.itwinId, { id: result.memberId, email: job.email });
    }
    if (result.kind === "invited") patch.invitationId = result.invitationId;
    return succeed(claimed, result.kind, patch, deps);
  }
  // Removals from one iTwin go one at a time in a process, so two of them cannot both see the other
  // owner and together leave the iTwin with none.
  return deps.locks.run(`itwin|${job.itwinId}`, LOCK_WAIT_MS, () => remove(job, claimed, dryRun, deps));
}

/** A removal holds its iTwin's removal lease; a confirmed DELETE tells other instances their listings are old. */
function remove(job: Job, claimed: StoredStatus, dryRun: boolean, deps: WorkerDeps): Promise<JobResult> {
  return withLease(
    job,
    REMOVAL_LEASE,
    "another removal from this iTwin is under way",
    deps,
    (generation, report) => removeUnderLease(job, claimed, dryRun, generation, report, deps),
  );
}

async function removeUnderLease(
  job: Job,
  claimed: StoredStatus,
  dryRun: boolean,
  generation: number,
  report: { changed: boolean },
  deps: WorkerDeps,
): Promise<JobResult> {
  const { policy } = deps;
  // A listing may say "not an owner" only if it reflects every change this one must come after. For an
  // unordered change that is every change accepted before it. For an ordered one it is also every older
  // decision for this person — applied, perhaps by another instance, after this change was accepted but
  // before its turn began (the subject lease, held since before this point).
  const acceptedAt = Date.parse(claimed.doc.createdAt);
  const deniesOnlyAfter = job.occurredAt === undefined ? acceptedAt : deps.now().getTime();
  const lookup = await deps.directory.find(job.itwinId, job.email, deniesOnlyAfter, { generation });
  if (lookup.member === undefined) return succeed(claimed, "not-owner", {}, deps);
  let memberId = lookup.member.id;
  if (
    !policy.allowRemovingLastOwner &&
    leavesNoHumanOwner(lookup.owners, memberId, policy.serviceClientEmail)
  ) {
    const error = {
      code: "LastOwner",
      message: "removing this owner would leave the iTwin without a human owner",
    };
    await finish(claimed, "rejected", { memberId, error }, deps);
    return { kind: "finished", status: "rejected" };
  }
  if (dryRun)
    return succeed(claimed, "planned", { memberId, note: `dry run: would remove member ${memberId}` }, deps);
  let current = claimed;
  if (policy.massRemovalThreshold > 0 && current.doc.approvedBy === undefined) {
    // A retry counts in the window its first attempt was counted in, not again in a later one.
    const window =
      current.doc.removalWindow ?? removalWindowStart(deps.now().getTime(), policy.massRemovalWindowMs);
    if (
      !(await deps.store.takeRemovalSlot(job.itwinId, window, policy.massRemovalThreshold, job.requestId))
    ) {
      const note = `held for approval: more than ${policy.massRemovalThreshold} removals from this iTwin since ${window}`;
      await save(current, "held", { memberId, note }, deps);
      deps.log(`request ${current.doc.id} held`, { requestId: current.doc.id, itwinId: job.itwinId, window });
      return { kind: "finished", status: "held" };
    }
    if (current.doc.removalWindow === undefined) {
      current = await save(
        current,
        "processing",
        { removalWindow: window, note: `counted in the removal window of ${window}` },
        deps,
      );
    }
  }
  let result = await deps.owners.removeOwner(job.itwinId, memberId);
  if (result.kind === "not-owner") {
    // The cached listing may have been stale: ask the API once more before calling it not-owner.
    const fresh = await deps.directory.find(job.itwinId, job.email, deniesOnlyAfter, {
      fresh: true,
      generation,
    });
    if (fresh.member?.id === memberId) {
      // Listed as an owner, yet unknown to DELETE: the API contradicts itself; try again later.
      throw new OwnersApiError(
        404,
        "InconsistentOwnerListing",
        `member ${memberId} is listed but cannot be removed`,
        result.correlationId,
        true,
      );
    }
    if (fresh.member !== undefined) {
      memberId = fresh.member.id;
      result = await deps.owners.removeOwner(job.itwinId, memberId);
    }
  }
  // Reported as soon as the API confirms the DELETE, even if recording it fails afterwards.
  report.changed = result.kind === "removed";
  deps.directory.noteRemoved(job.itwinId, job.email, report.changed ? generation + 1 : generation);
  const patch: TransitionPatch = result.correlationId
    ? { memberId, apiCorrelationId: result.correlationId }
    : { memberId };
  return succeed(current, result.kind, patch, deps);
}

async function succeed(
  claimed: StoredStatus,
  outcome: Outcome,
  patch: TransitionPatch,
  deps: WorkerDeps,
): Promise<JobResult> {
  await finish(claimed, "succeeded", { ...patch, outcome }, deps);
  return { kind: "finished", status: "succeeded", outcome };
}

async function reschedule(
  job: Job,
  claimed: StoredStatus,
  error: RetryLaterError,
  delivery: Delivery,
  deps: WorkerDeps,
): Promise<JobResult> {
  // Waiting for our own share of the budget, or our turn, is not a failed attempt: nothing was refused.
  const counts = error.countsAsAttempt;
  if (counts && job.attempt >= deps.maxAttempts) {
    await finish(
      claimed,
      "failed",
      { error: changeError(error.cause), note: `gave up after ${job.attempt} scheduled attempts` },
      deps,
    );
    return { kind: "finished", status: "failed" };
  }
  const delayMs = withJitter(error.delayMs, deps.random ?? Math.random);
  // Record first, then enqueue. If the enqueue fails, the host redelivers this message — unless this
  // was its last delivery: then the record says failed rather than waiting for a job that never comes.
  const at = new Date(deps.now().getTime() + delayMs).toISOString();
  const queued = await save(
    claimed,
    "queued",
    { retryAt: at, note: `retry scheduled for ${at}: ${error.cause.code}` },
    deps,
  );
  try {
    await sendJob(deps.jobsQueue, { ...job, attempt: counts ? job.attempt + 1 : job.attempt }, delayMs);
  } catch (sendError) {
    if (delivery.dequeueCount >= delivery.maxDequeueCount) {
      await finish(
        queued,
        "failed",
        { error: unexpected(sendError), note: "the retry could not be queued" },
        deps,
      ).catch(() => undefined);
    }
    throw sendError;
  }
  return { kind: "rescheduled", delayMs };
}

async function finish(
  stored: StoredStatus,
  status: "succeeded" | "failed" | "rejected",
  patch: TransitionPatch,
  deps: WorkerDeps,
): Promise<void> {
  await save(stored, status, patch, deps);
  metrics().changeFinished(status, patch.outcome);
  const { doc } = stored;
  const createdAt = Date.parse(doc.createdAt);
  const firstClaim = doc.history.find((entry) => entry.status === "processing");
  deps.log(`request ${doc.id} ${status}`, {
    requestId: doc.id,
    itwinId: doc.itwinId,
    action: doc.action,
    source: doc.source,
    status,
    outcome: patch.outcome,
    errorCode: patch.error?.code,
    attempts: doc.attempts,
    correlationId: doc.correlationId,
    apiCorrelationId: patch.apiCorrelationId ?? patch.error?.correlationId,
    // How long the change waited in the queue before a worker first took it, and end to end.
    queuedMs: firstClaim === undefined ? undefined : Date.parse(firstClaim.at) - createdAt,
    durationMs: deps.now().getTime() - createdAt,
  });
}

async function save(
  stored: StoredStatus,
  status: StatusDocument["status"],
  patch: TransitionPatch,
  deps: WorkerDeps,
): Promise<StoredStatus> {
  const doc = transition(stored.doc, status, deps.now(), patch);
  const etag = await deps.store.replace(doc, stored.fingerprint, stored.etag);
  return { doc, fingerprint: stored.fingerprint, etag };
}

function changeError(error: OwnersApiError): ChangeError {
  const result: ChangeError = { code: error.code, message: error.message };
  if (error.httpStatus !== undefined) result.httpStatus = error.httpStatus;
  if (error.correlationId !== undefined) result.correlationId = error.correlationId;
  return result;
}

function unexpected(error: unknown): ChangeError {
  return { code: "InternalError", message: error instanceof Error ? error.message : String(error) };
}
