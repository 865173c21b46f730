import type { Job } from "../changes/model.ts";
import type { Clock } from "../clock.ts";
import type { Evidence } from "./ownership.ts";
import type { PersonIndex } from "./person-index.ts";

/**
 * The worker's one write to the per-person index (I/O shell), made after the API answered and before
 * the status document records the outcome: a crash between the two repeats the change, and this write
 * with it, instead of leaving the index behind a document that says done.
 *
 * A failed write is logged and swallowed: the owner change has happened, and throwing would make the
 * host redeliver the job and repeat it. What is lost is only what this write would have taught the
 * index: after an add, an offboarding of this person misses this iTwin (the log line names the request
 * and the iTwin, for a manual removal: logs carry no email addresses); after a removal, an offboarding
 * plans one removal that ends `not-owner`.
 */

export interface NoteDeps {
  people: PersonIndex;
  clock: Clock;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export async function noteOwnership(
  job: Pick<Job, "email" | "itwinId" | "requestId">,
  evidence: Evidence,
  deps: NoteDeps,
): Promise<void> {
  const fact = {
    email: job.email,
    itwinId: job.itwinId,
    evidence,
    requestId: job.requestId,
    seenAt: new Date(deps.clock.now()).toISOString(),
  };
  try {
    await deps.people.note(fact);
  } catch (error) {
    deps.log("person index not updated", {
      requestId: job.requestId,
      itwinId: job.itwinId,
      evidence,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
