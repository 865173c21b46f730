import * as z from "zod";
import { requestIdFor } from "../changes/ids.ts";
import { type FieldError, fieldErrors, httpChangeSchema, type OwnerChange } from "../changes/model.ts";
import type { KnownOwnership } from "./person-index.ts";

/**
 * Planning an offboarding (pure): the input's rules, the parent record, and one `remove` child per iTwin
 * the person is known to own (design §11). The plan is fixed when the parent is first recorded, so a
 * repeat with the same idempotency key accepts the same children and never plans a second set.
 */

/** The field rules are the owner-change request's (design §2), so a child never fails its own schema. */
const fields = httpChangeSchema.shape;

export const offboardInputSchema = z.object({
  email: fields.email,
  source: fields.source.unwrap(),
  requestedBy: fields.requestedBy,
  reason: fields.reason,
  occurredAt: fields.occurredAt,
  /** Without one, every call is a new offboarding (as a change without a key is a new request). */
  idempotencyKey: z.string().trim().min(1).max(200).optional(),
  correlationId: z.string().min(1),
  via: z.enum(["source", "offboard"]),
  dryRun: fields.dryRun,
});
export type OffboardInput = z.input<typeof offboardInputSchema>;
export type ValidOffboardInput = z.output<typeof offboardInputSchema>;

/** The body of `POST /api/people/{email}/offboard`; unknown fields are refused, as on every HTTP route. */
export const offboardBodySchema = httpChangeSchema.pick({ reason: true, requestedBy: true, dryRun: true });

export function parseOffboardInput(
  input: OffboardInput,
): { ok: true; input: ValidOffboardInput } | { ok: false; errors: FieldError[] } {
  const parsed = offboardInputSchema.safeParse(input);
  return parsed.success ? { ok: true, input: parsed.data } : { ok: false, errors: fieldErrors(parsed.error) };
}

/** The parent request: who asked to offboard whom, and the plan. Its status is rolled up (rollup.ts). */
export interface OffboardingRecord {
  id: string;
  email: string;
  source: string;
  via: "source" | "offboard";
  reason?: string;
  requestedBy?: string;
  /** Every child carries it, so a later decision about the person (a rehire) still wins (design §4.3). */
  occurredAt: string;
  dryRun: boolean;
  correlationId: string;
  createdAt: string;
  /** The iTwins to leave, in id order, fixed when the parent was recorded. */
  itwinIds: string[];
  note?: string;
}

export const NOTHING_TO_REMOVE =
  "no iTwin is known where this person is an owner through this service: nothing to remove";

/**
 * The parent's id. The key is kept apart from owner-change keys (a prefix no change key gets), so a
 * sender's offboarding and one of its changes may share a key without sharing a row.
 */
export function offboardingIdFor(idempotencyKey: string | undefined, source: string): string {
  return requestIdFor(idempotencyKey === undefined ? undefined : `offboard\u0000${idempotencyKey}`, source);
}

/** A child's idempotency key: derived from the parent's id, so the parent's id alone finds its children. */
export function childKey(parentId: string, itwinId: string): string {
  return `${parentId}/${itwinId}`;
}

export function childIdFor(record: Pick<OffboardingRecord, "id" | "source">, itwinId: string): string {
  return requestIdFor(childKey(record.id, itwinId), record.source);
}

export function planOffboarding(
  input: ValidOffboardInput,
  known: readonly KnownOwnership[],
  id: string,
  now: Date,
): OffboardingRecord {
  const createdAt = now.toISOString();
  const itwinIds = [...new Set(known.map((entry) => entry.itwinId))].sort();
  const record: OffboardingRecord = {
    id,
    email: input.email,
    source: input.source,
    via: input.via,
    occurredAt: input.occurredAt ?? createdAt,
    dryRun: input.dryRun,
    correlationId: input.correlationId,
    createdAt,
    itwinIds,
  };
  if (input.reason !== undefined) record.reason = input.reason;
  if (input.requestedBy !== undefined) record.requestedBy = input.requestedBy;
  if (itwinIds.length === 0) record.note = NOTHING_TO_REMOVE;
  return record;
}

/**
 * Whether a stored parent is what this input asks for. Only whom and whether it is a dry run count, as
 * the fingerprint of a change leaves out free text: a repeat with a reworded reason is still a repeat.
 */
export function isSameOffboarding(record: OffboardingRecord, input: ValidOffboardInput): boolean {
  return record.email === input.email && record.dryRun === input.dryRun;
}

export function childChange(record: OffboardingRecord, itwinId: string): OwnerChange {
  const change: OwnerChange = {
    itwinId,
    email: record.email,
    action: "remove",
    source: record.source,
    reason: record.reason ?? `offboarding ${record.id}`,
    occurredAt: record.occurredAt,
    dryRun: record.dryRun,
  };
  if (record.requestedBy !== undefined) change.requestedBy = record.requestedBy;
  return change;
}
