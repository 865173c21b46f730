import type { Job } from "../changes/model.ts";
import { type Policy, removalWindowStart } from "../changes/policy.ts";
import type { TransitionPatch } from "../changes/status.ts";
import type { Clock } from "../clock.ts";
import type { CoordinationStore } from "../coordination/coordination-store.ts";
import { OwnersCallError } from "../itwin/errors/owners-call-error.ts";
import type { OwnerDirectory } from "../itwin/owner-directory.ts";
import type { OwnersClient, RemoveOwnerResult } from "../itwin/owners-client.ts";
import { type NoteDeps, noteOwnership } from "../people/note-ownership.ts";
import type { Turn } from "./exclusive.ts";
import { planRemoval } from "./plan-removal.ts";
import type { ChangeRecord, JobResult } from "./record.ts";

/**
 * Removing an owner by email (I/O shell, run holding the iTwin's removal scope): look the member up,
 * plan (plan-removal.ts), count it against the mass-removal hold, DELETE, and — when the DELETE says
 * "not an owner" — ask the API once more, because the cached listing may have been stale.
 */

export interface RemovalDeps extends NoteDeps {
  owners: OwnersClient;
  directory: OwnerDirectory;
  coordination: CoordinationStore;
  policy: Policy;
  clock: Clock;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** Listed as an owner, yet unknown to DELETE: the API contradicts itself; worth another try later. */
export class InconsistentListingError extends OwnersCallError {
  override readonly name = "InconsistentListingError";
  readonly transient = true;
  constructor(memberId: string, correlationId: string | undefined) {
    super(
      "InconsistentOwnerListing",
      `member ${memberId} is listed but cannot be removed`,
      404,
      correlationId,
    );
  }
}

export async function removeOwner(
  job: Job,
  record: ChangeRecord,
  dryRun: boolean,
  turn: Turn,
  deps: RemovalDeps,
): Promise<JobResult> {
  // A listing may say "not an owner" only if it reflects every change this one must come after. For an
  // unordered change that is every change accepted before it. For an ordered one it is also every older
  // decision for this person — applied, perhaps by another instance, after this change was accepted but
  // before its turn began (the person's scope, held since before this point).
  const acceptedAt = Date.parse(record.doc.createdAt);
  const deniesOnlyAfter = job.occurredAt === undefined ? acceptedAt : deps.clock.now();
  const { generation } = turn;
  const lookup = await deps.directory.find(job.itwinId, job.email, deniesOnlyAfter, { generation });
  const plan = planRemoval(lookup, deps.policy, dryRun);
  // What the listing showed is news for the per-person index unless the DELETE below settles it.
  if (plan.kind !== "remove")
    await noteOwnership(job, plan.kind === "not-owner" ? "not-owner" : "listed", deps);
  switch (plan.kind) {
    case "not-owner":
      return record.succeed("not-owner");
    case "refuse":
      return record.reject(plan.error, { memberId: plan.memberId });
    case "preview":
      return record.succeed("planned", {
        memberId: plan.memberId,
        note: `dry run: would remove member ${plan.memberId}`,
      });
  }
  if (!(await fitsRemovalWindow(job, record, plan.memberId, deps))) {
    await noteOwnership(job, "listed", deps);
    return { kind: "finished", status: "held" };
  }

  let memberId = plan.memberId;
  let result: RemoveOwnerResult = await deps.owners.removeOwner(job.itwinId, memberId);
  if (result.kind === "not-owner") {
    const fresh = await deps.directory.find(job.itwinId, job.email, deniesOnlyAfter, {
      fresh: true,
      generation,
    });
    if (fresh.member?.id === memberId) throw new InconsistentListingError(memberId, result.correlationId);
    if (fresh.member !== undefined) {
      memberId = fresh.member.id;
      result = await deps.owners.removeOwner(job.itwinId, memberId);
    }
  }
  // Reported as soon as the API confirms the DELETE, even if recording it fails afterwards.
  if (result.kind === "removed") turn.reportChange();
  deps.directory.noteRemoved(job.itwinId, job.email, turn.generationAfter());
  await noteOwnership(job, result.kind, deps);
  const patch: TransitionPatch = result.correlationId
    ? { memberId, apiCorrelationId: result.correlationId }
    : { memberId };
  return record.succeed(result.kind, patch);
}

/**
 * The mass-removal hold: false (and the change held for approval) when the iTwin's window has counted
 * its threshold of removals already. A change an operator approved is not held again.
 */
async function fitsRemovalWindow(
  job: Job,
  record: ChangeRecord,
  memberId: string,
  deps: RemovalDeps,
): Promise<boolean> {
  const { policy } = deps;
  if (policy.massRemovalThreshold <= 0 || record.doc.approvedBy !== undefined) return true;
  // A retry counts in the window its first attempt was counted in, not again in a later one.
  const window = record.doc.removalWindow ?? removalWindowStart(deps.clock.now(), policy.massRemovalWindowMs);
  const fits = await deps.coordination.takeRemovalSlot(
    job.itwinId,
    window,
    policy.massRemovalThreshold,
    job.requestId,
  );
  if (!fits) {
    const note = `held for approval: more than ${policy.massRemovalThreshold} removals from this iTwin since ${window}`;
    await record.save("held", { memberId, note });
    deps.log(`request ${record.doc.id} held`, { requestId: record.doc.id, itwinId: job.itwinId, window });
    return false;
  }
  if (record.doc.removalWindow === undefined) {
    await record.save("processing", {
      removalWindow: window,
      note: `counted in the removal window of ${window}`,
    });
  }
  return true;
}
