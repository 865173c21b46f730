import type { Job } from "../changes/model.ts";
import { type CoordinationStore, isNewerDecision } from "../coordination/coordination-store.ts";

/**
 * Ordering by `occurredAt` (design §4): a change decided before the newest decision already taken for
 * its person and iTwin is superseded, whatever order the queue delivered them in. Runs holding the
 * person's scope, so no newer decision can be taken between this check and the API call.
 */

/** The status note of a superseded change, or undefined when this one may go on. */
export async function supersededNote(
  job: Job,
  dryRun: boolean,
  coordination: CoordinationStore,
): Promise<string | undefined> {
  if (job.occurredAt === undefined) return undefined;
  // A dry run only compares: a preview must not take the place of the real decision.
  const holder = dryRun ? await coordination.subjectHolder(job.itwinId, job.email) : undefined;
  const holds = dryRun
    ? holder?.requestId === job.requestId || !isNewerDecision(holder, job.occurredAt)
    : await coordination.reserveSubject(job.itwinId, job.email, job.occurredAt, job.requestId);
  if (holds) return undefined;
  const newer = holder ?? (await coordination.subjectHolder(job.itwinId, job.email));
  const which =
    newer === undefined ? "a newer change" : `a newer change (${newer.requestId}, ${newer.occurredAt})`;
  return `${which} was decided for this person and iTwin`;
}
