import type { ChangeError, Outcome, Status, StatusDocument } from "./model.ts";

/**
 * The status life cycle (design §5). The transitions that are not the plain path:
 * - `processing → queued`: a retry scheduled for later, or crash recovery taking back a dead worker's
 *   claim (docs/reliability.md);
 * - `processing → processing`: a delivery taking over an expired claim or resuming its own (at-least-once
 *   delivery), or a removal recording the mass-removal window it was counted in;
 * - `queued → queued` and `queued → failed`: crash recovery sending the change a new job, or giving up.
 */
const NEXT: Record<Status, readonly Status[]> = {
  queued: ["processing", "queued", "failed"],
  processing: ["processing", "queued", "succeeded", "failed", "rejected", "held"],
  // Only a person moves a held change on: approve (→ queued, then applied) or reject.
  held: ["queued", "rejected"],
  succeeded: [],
  failed: [],
  rejected: [],
};

/** History is kept short so a status row stays far below Table Storage's 64 KiB property limit. */
export const MAX_HISTORY = 50;

export function isTerminal(status: Status): boolean {
  return NEXT[status].length === 0;
}

export function canTransition(from: Status, to: Status): boolean {
  return NEXT[from].includes(to);
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly from: Status,
    readonly to: Status,
  ) {
    super(`status cannot go from ${from} to ${to}`);
    this.name = "InvalidTransitionError";
  }
}

export interface TransitionPatch {
  outcome?: Outcome;
  error?: ChangeError;
  memberId?: string;
  invitationId?: string;
  apiCorrelationId?: string;
  claimedBy?: string;
  claimedAt?: string;
  claimedByInstance?: string;
  retryAt?: string;
  recoveries?: number;
  approvedBy?: string;
  removalWindow?: string;
  attempts?: number;
  rateLimitRetries?: number;
  note?: string;
}

/** Returns the document moved to `to`, with a timestamped history entry; never mutates its input. */
export function transition(
  doc: StatusDocument,
  to: Status,
  at: Date,
  patch: TransitionPatch = {},
): StatusDocument {
  if (!canTransition(doc.status, to)) throw new InvalidTransitionError(doc.status, to);
  const { note, ...fields } = patch;
  const updatedAt = at.toISOString();
  const entry = note === undefined ? { at: updatedAt, status: to } : { at: updatedAt, status: to, note };
  return {
    ...doc,
    ...fields,
    status: to,
    updatedAt,
    history: [...doc.history, entry].slice(-MAX_HISTORY),
  };
}
