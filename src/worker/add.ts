import type { Job } from "../changes/model.ts";
import type { TransitionPatch } from "../changes/status.ts";
import type { OwnerDirectory } from "../itwin/owner-directory.ts";
import type { OwnersClient } from "../itwin/owners-client.ts";
import { type NoteDeps, noteOwnership } from "../people/note-ownership.ts";
import type { ChangeRecord, JobResult } from "./record.ts";

/** Adding an owner: one POST (the API answers an existing owner as such), or the plan in a dry run. */
export async function addOwner(
  job: Job,
  record: ChangeRecord,
  dryRun: boolean,
  deps: { owners: OwnersClient; directory: OwnerDirectory } & NoteDeps,
): Promise<JobResult> {
  if (dryRun) return record.succeed("planned", { note: `dry run: would add ${job.email} as owner` });
  const result = await deps.owners.addOwner(job.itwinId, job.email);
  // Every answer means the person owns the iTwin (or will, once invited): an offboarding must know it.
  await noteOwnership(job, result.kind, deps);
  const patch: TransitionPatch = result.correlationId ? { apiCorrelationId: result.correlationId } : {};
  if (result.kind === "added" && result.memberId) {
    patch.memberId = result.memberId;
    deps.directory.noteAdded(job.itwinId, { id: result.memberId, email: job.email });
  }
  if (result.kind === "invited") patch.invitationId = result.invitationId;
  return record.succeed(result.kind, patch);
}
