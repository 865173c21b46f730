import type { QueueClient } from "@azure/storage-queue";
import type { Job } from "../changes/model.ts";
import { checkPolicy, type Policy } from "../changes/policy.ts";
import type { StatusStore } from "../changes/status-store.ts";
import type { Clock } from "../clock.ts";
import type { CoordinationStore } from "../coordination/coordination-store.ts";
import type { OwnerDirectory } from "../itwin/owner-directory.ts";
import type { OwnersClient } from "../itwin/owners-client.ts";
import { countingRateLimitRetries } from "../itwin/rate-limit-retries.ts";
import type { PersonIndex } from "../people/person-index.ts";
import { addOwner } from "./add.ts";
import { claim, type Delivery } from "./claim.ts";
import { exclusive, personScope, removalScope } from "./exclusive.ts";
import { settleFailure } from "./failures.ts";
import type { KeyedLock } from "./keyed-lock.ts";
import { supersededNote } from "./ordering.ts";
import type { JobResult } from "./record.ts";
import { removeOwner } from "./removal.ts";

/**
 * Applies one job (design §4) as a pipeline: claim → policy → exclusive(person) → order → plan → call
 * → record. Every step is safe to repeat, because the queue delivers at least once; each lives in its
 * own module, and this one only puts them in order.
 */

export type { Delivery } from "./claim.ts";
export type { JobResult } from "./record.ts";

export interface WorkerDeps {
  store: StatusStore;
  coordination: CoordinationStore;
  owners: OwnersClient;
  directory: OwnerDirectory;
  jobsQueue: QueueClient;
  policy: Policy;
  /** Where each person is known to own an iTwin, for offboarding: the add and removal steps keep it. */
  people: PersonIndex;
  /** Process-wide locks behind exclusive(): one person on one iTwin, removals from one iTwin. */
  locks: KeyedLock;
  /** This process's id in the instance registry: crash recovery re-drives the claims of dead ones. */
  instanceId: string;
  clock: Clock;
  random?: () => number;
  maxAttempts: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** Each job counts the 429s retried for it; its status document keeps the sum (record.ts). */
export function processJob(job: Job, delivery: Delivery, deps: WorkerDeps): Promise<JobResult> {
  return countingRateLimitRetries(() => applyJob(job, delivery, deps));
}

async function applyJob(job: Job, delivery: Delivery, deps: WorkerDeps): Promise<JobResult> {
  const record = await claim(job, delivery, deps.instanceId, deps);
  if (!("doc" in record)) return record;
  try {
    const verdict = checkPolicy(job, deps.policy);
    if (!verdict.allowed) return await record.reject({ code: verdict.code, message: verdict.message });
    const dryRun = job.dryRun || deps.policy.dryRun;
    // Ordered changes for one person and iTwin make their API calls one at a time across instances, so
    // an older decision's call in flight cannot land after a newer one's.
    const ordered = job.occurredAt !== undefined && !dryRun;
    return await exclusive(personScope(job.itwinId, job.email), job.requestId, ordered, deps, async () => {
      const superseded = await supersededNote(job, dryRun, deps.coordination);
      if (superseded !== undefined) return record.succeed("superseded", { note: superseded });
      if (job.action === "add") return addOwner(job, record, dryRun, deps);
      return exclusive(removalScope(job.itwinId), job.requestId, true, deps, (turn) =>
        removeOwner(job, record, dryRun, turn, deps),
      );
    });
  } catch (error) {
    return settleFailure(error, job, record, delivery, { ...deps, random: deps.random ?? Math.random });
  }
}
