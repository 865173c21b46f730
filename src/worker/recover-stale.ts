import type { QueueClient } from "@azure/storage-queue";
import pMap from "p-map";
import { jobFor } from "../changes/accept.ts";
import { transition } from "../changes/status.ts";
import type { StatusStore } from "../changes/status-store.ts";
import type { Clock } from "../clock.ts";
import type { Heartbeat } from "../coordination/instance-registry.ts";
import type { Log } from "../observability/log.ts";
import { sendJob } from "../storage/messages.ts";
import { ConcurrentUpdateError } from "../storage/rows.ts";
import { CLAIM_EXPIRY_MS } from "./claim.ts";
import { planRecovery, type RecoveryDecision, type RecoveryFacts } from "./recovery-plan.ts";

/**
 * Crash recovery's I/O shell (docs/reliability.md): reads the pending index, the worker heartbeats and
 * the head of the jobs queue, asks recovery-plan.ts what each change needs, and does it. Safe to run on
 * several instances at once: every write is a compare-and-swap on the status document's ETag, so only
 * one of them re-drives a change, and a re-drive is harmless anyway.
 */

export interface RecoveryDeps {
  store: StatusStore;
  jobsQueue: QueueClient;
  /** Worker instance id → its last heartbeat. */
  heartbeats: () => Promise<ReadonlyMap<string, Heartbeat>>;
  clock: Clock;
  afterMs: number;
  log: Log;
}

/** One run looks at this many pending changes at most; the next run carries on. */
export const MAX_CHANGES_PER_RUN = 2_000;
const MAX_RECOVERIES = 5;
const CONCURRENCY = 8;

export type RecoveryCounts = Record<RecoveryDecision["kind"] | "raced", number>;

export async function recoverStaleChanges(deps: RecoveryDeps): Promise<RecoveryCounts> {
  const counts: RecoveryCounts = { forget: 0, wait: 0, redrive: 0, "give-up": 0, raced: 0 };
  const started = deps.clock.now();
  // A change listed (or re-listed) more recently than afterMs cannot be overdue yet.
  const pending = await deps.store.listPending(new Date(started - deps.afterMs), MAX_CHANGES_PER_RUN);
  if (pending.length === 0) return counts;
  const [heartbeats, oldestWaitingJobAt] = await Promise.all([deps.heartbeats(), oldestWaitingJob(deps)]);
  const facts: RecoveryFacts = {
    now: started,
    afterMs: deps.afterMs,
    claimExpiryMs: CLAIM_EXPIRY_MS,
    heartbeats,
    oldestWaitingJobAt,
    maxRecoveries: MAX_RECOVERIES,
  };
  await pMap(
    pending,
    async ({ id, since }) => {
      const stored = await deps.store.get(id);
      const decision = planRecovery(stored?.doc, since, facts);
      try {
        if (decision.kind === "forget") await deps.store.forgetPending(id);
        if (stored !== undefined && (decision.kind === "redrive" || decision.kind === "give-up")) {
          const { doc, fingerprint, etag } = stored;
          const recoveries = (doc.recoveries ?? 0) + 1;
          const at = new Date(deps.clock.now());
          if (decision.kind === "redrive") {
            const note = `recovered: ${decision.reason}; new job sent`;
            const next = transition(doc, "queued", at, { note, recoveries, retryAt: at.toISOString() });
            await deps.store.replace(next, fingerprint, etag);
            await sendJob(deps.jobsQueue, jobFor(next));
          } else {
            const error = {
              code: "WorkerLost",
              message: `the worker applying this change stopped ${doc.recoveries} times`,
            };
            const next = transition(doc, "failed", at, { note: `gave up: ${decision.reason}`, error });
            await deps.store.replace(next, fingerprint, etag);
          }
          deps.log(`request ${id} ${decision.kind}`, {
            requestId: id,
            status: doc.status,
            reason: decision.reason,
          });
        }
        counts[decision.kind] += 1;
      } catch (error) {
        // Another instance moved the change first; it is looked after.
        if (!(error instanceof ConcurrentUpdateError)) throw error;
        counts.raced += 1;
      }
    },
    { concurrency: CONCURRENCY, stopOnError: false },
  );
  return counts;
}

/** Insertion time of the first job a receive would get now, or undefined if none is visible. */
async function oldestWaitingJob(deps: RecoveryDeps): Promise<number | undefined> {
  const { peekedMessageItems } = await deps.jobsQueue.peekMessages({ numberOfMessages: 1 });
  const first = peekedMessageItems[0];
  return first === undefined ? undefined : first.insertedOn.getTime();
}
