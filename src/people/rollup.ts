import type { ChangeError, Outcome, Status, StatusDocument } from "../changes/model.ts";
import type { OffboardingRecord } from "./plan.ts";

/**
 * An offboarding's status, rolled up from its children's (pure; design §11). The parent keeps no status
 * of its own: it is computed from the children whenever it is read, so it can never disagree with them.
 */

export const OFFBOARDING_STATUSES = ["processing", "held", "succeeded", "failed", "rejected"] as const;
export type OffboardingStatus = (typeof OFFBOARDING_STATUSES)[number];

/** A child's status, or `missing`: recorded in the plan, but its change was never accepted. */
export type ChildState = Status | "missing";

/**
 * The parent is recorded before its children are accepted, so for a moment a child is missing; after
 * this long, the offboarding was interrupted, and only a repeat with the same key accepts the rest.
 */
export const ACCEPT_GRACE_MS = 60_000;

/**
 * The rules, first match wins:
 * 1. no children → `succeeded` (nothing was known to remove);
 * 2. any `held` → `held`: a person must approve or reject before the offboarding can end, whatever the
 *    others do, and the operator looking at the parent should learn that first;
 * 3. any `queued` or `processing` (or missing within the grace) → `processing`;
 * 4. any `failed` (or missing after the grace) → `failed`: it went wrong, and a replay may fix it;
 * 5. any `rejected` → `rejected`: policy refused a removal (the last human owner, a protected owner), so
 *    the person still owns that iTwin by rule, not by error;
 * 6. otherwise every child `succeeded` → `succeeded` (`superseded` and `not-owner` included: a newer
 *    decision holds, or there was nothing to remove).
 */
export function rollUp(states: readonly ChildState[], parentAgeMs: number): OffboardingStatus {
  const has = (state: ChildState) => states.includes(state);
  const missing = has("missing");
  if (has("held")) return "held";
  if (has("queued") || has("processing") || (missing && parentAgeMs < ACCEPT_GRACE_MS)) return "processing";
  if (has("failed") || missing) return "failed";
  if (has("rejected")) return "rejected";
  return "succeeded";
}

export interface ChildView {
  id: string;
  itwinId: string;
  status: ChildState;
  outcome?: Outcome;
  error?: ChangeError;
}

export interface OffboardingView extends Omit<OffboardingRecord, "itwinIds"> {
  status: OffboardingStatus;
  /** How many children are in each state. */
  counts: Partial<Record<ChildState, number>>;
  children: ChildView[];
}

/**
 * The parent as the status route shows it. `children[i]` is the status document of the plan's i-th
 * iTwin, or undefined when that change was never accepted.
 */
export function offboardingView(
  record: OffboardingRecord,
  childIds: readonly string[],
  children: readonly (StatusDocument | undefined)[],
  now: number,
): OffboardingView {
  const views = record.itwinIds.map((itwinId, index): ChildView => {
    const doc = children[index];
    const view: ChildView = { id: childIds[index] ?? "", itwinId, status: doc?.status ?? "missing" };
    if (doc?.outcome !== undefined) view.outcome = doc.outcome;
    if (doc?.error !== undefined) view.error = doc.error;
    return view;
  });
  const counts: Partial<Record<ChildState, number>> = {};
  for (const { status } of views) counts[status] = (counts[status] ?? 0) + 1;
  const { itwinIds: _plan, ...rest } = record;
  const status = rollUp(
    views.map((view) => view.status),
    now - Date.parse(record.createdAt),
  );
  const view: OffboardingView = { ...rest, status, counts, children: views };
  if (counts.missing !== undefined && status === "failed") {
    view.note = `${counts.missing} removal(s) were never accepted: repeat the offboarding with the same idempotency key`;
  }
  return view;
}
