import type { ChangeError, Outcome, StatusDocument } from "../changes/model.ts";
import { type TransitionPatch, transition } from "../changes/status.ts";
import type { StatusStore, StoredStatus } from "../changes/status-store.ts";
import type { Clock } from "../clock.ts";
import type { OwnersCallError } from "../itwin/errors/owners-call-error.ts";
import { rateLimitRetriesSoFar } from "../itwin/rate-limit-retries.ts";
import { metrics } from "../observability/metrics.ts";

/**
 * The worker's writes to one change's status document (I/O shell): every step of the pipeline records
 * through here, so each write is a transition of the document last written (compare-and-swap on its
 * ETag), and each terminal one is counted and logged once, with the figures an operator asks for.
 */

export type JobResult =
  | { kind: "skipped"; reason: string }
  | { kind: "finished"; status: StatusDocument["status"]; outcome?: Outcome }
  | { kind: "rescheduled"; delayMs: number };

export interface RecordDeps {
  store: StatusStore;
  clock: Clock;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export class ChangeRecord {
  /** This job's 429 retries already added to the document. */
  private retriesRecorded = rateLimitRetriesSoFar();

  constructor(
    private stored: StoredStatus,
    private readonly deps: RecordDeps,
  ) {}

  get doc(): StatusDocument {
    return this.stored.doc;
  }

  /** A transition that is not the end: processing, queued, held. */
  async save(status: StatusDocument["status"], patch: TransitionPatch): Promise<void> {
    const retries = rateLimitRetriesSoFar();
    const added = retries - this.retriesRecorded;
    const counted =
      added > 0 ? { ...patch, rateLimitRetries: (this.stored.doc.rateLimitRetries ?? 0) + added } : patch;
    const doc = transition(this.stored.doc, status, new Date(this.deps.clock.now()), counted);
    const etag = await this.deps.store.replace(doc, this.stored.fingerprint, this.stored.etag);
    this.stored = { doc, fingerprint: this.stored.fingerprint, etag };
    this.retriesRecorded = retries;
  }

  async succeed(outcome: Outcome, patch: TransitionPatch = {}): Promise<JobResult> {
    await this.finish("succeeded", { ...patch, outcome });
    return { kind: "finished", status: "succeeded", outcome };
  }

  async reject(error: ChangeError, patch: TransitionPatch = {}): Promise<JobResult> {
    await this.finish("rejected", { ...patch, error });
    return { kind: "finished", status: "rejected" };
  }

  async fail(error: ChangeError, note?: string): Promise<JobResult> {
    await this.finish("failed", note === undefined ? { error } : { error, note });
    return { kind: "finished", status: "failed" };
  }

  private async finish(status: "succeeded" | "failed" | "rejected", patch: TransitionPatch): Promise<void> {
    const before = this.stored.doc;
    await this.save(status, patch);
    metrics().changeFinished(status, patch.outcome);
    const createdAt = Date.parse(before.createdAt);
    const firstClaim = before.history.find((entry) => entry.status === "processing");
    this.deps.log(`request ${before.id} ${status}`, {
      requestId: before.id,
      itwinId: before.itwinId,
      action: before.action,
      source: before.source,
      status,
      outcome: patch.outcome,
      errorCode: patch.error?.code,
      attempts: before.attempts,
      correlationId: before.correlationId,
      apiCorrelationId: patch.apiCorrelationId ?? patch.error?.correlationId,
      // How long the change waited in the queue before a worker first took it, and end to end.
      queuedMs: firstClaim === undefined ? undefined : Date.parse(firstClaim.at) - createdAt,
      durationMs: this.deps.clock.now() - createdAt,
    });
  }
}

/** A failure as the status document keeps it. */
export function changeError(error: OwnersCallError | { code: string; message: string }): ChangeError {
  const result: ChangeError = { code: error.code, message: error.message };
  if ("httpStatus" in error && error.httpStatus !== undefined) result.httpStatus = error.httpStatus;
  if ("correlationId" in error && error.correlationId !== undefined)
    result.correlationId = error.correlationId;
  return result;
}

/** Anything else that was thrown: a bug, or a storage failure. */
export function unexpected(error: unknown): ChangeError {
  return { code: "InternalError", message: error instanceof Error ? error.message : String(error) };
}
