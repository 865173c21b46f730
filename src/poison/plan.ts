import * as z from "zod";
import { requestIdFor } from "../changes/ids.ts";
import { jobSchema } from "../changes/model.ts";
import { tryParseJson } from "../json.ts";

/**
 * What to do with one poisoned message, decided from its text alone (pure, for tests).
 *
 * - From `owner-change-requests-poison`: our envelope `{ reason, original, … }` (the intake refused it)
 *   or, after repeated storage failures, the raw request the host moved there. Either way the request
 *   text goes back on `owner-change-requests`, to be validated again.
 * - From `owner-change-jobs-poison`: a job the host gave up on after `maxDequeueCount` deliveries (its
 *   change is recorded `failed`), which is submitted again as a new request, so it is validated,
 *   recorded and tried from scratch with its own status document; or our envelope around a job that
 *   failed the job schema (or a bundle that failed the bundle schema) — a bug, not something to retry.
 */

export const POISON_QUEUES = ["requests", "jobs"] as const;
export type PoisonQueueKind = (typeof POISON_QUEUES)[number];

/** Source of the requests a replay submits; their keys are scoped by it (design §3). */
export const REPLAY_SOURCE = "poison-replay";

export interface PoisonSummary {
  /** One line for people: why it is there. */
  reason: string;
  errors?: { path: string; message: string }[];
  function?: string;
  dequeueCount?: number;
  poisonedAt?: string;
  /** What it asks for, as far as it can be read; `requestId` is the change a poisoned job belonged to. */
  change?: { itwinId?: string; email?: string; action?: string; requestId?: string };
}

export type ReplayPlan =
  | { replay: true; text: string; summary: PoisonSummary; requestId?: string; newRequestId?: string }
  | { replay: false; why: string; summary: PoisonSummary };

/** The envelope of design §2.2; fields other than `reason` and `original` are kept only when well-formed. */
const envelopeSchema = z.object({
  reason: z.string(),
  original: z.string(),
  errors: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .catch(undefined),
  function: z.string().optional().catch(undefined),
  dequeueCount: z.number().int().optional().catch(undefined),
  poisonedAt: z.string().optional().catch(undefined),
});
type Envelope = z.output<typeof envelopeSchema>;

function parseObject(text: string): Record<string, unknown> | undefined {
  const json = tryParseJson(text);
  return json.ok && typeof json.value === "object" && json.value !== null && !Array.isArray(json.value)
    ? (json.value as Record<string, unknown>)
    : undefined;
}

function envelope(text: string): Envelope | undefined {
  const parsed = envelopeSchema.safeParse(parseObject(text));
  return parsed.success ? parsed.data : undefined;
}

function envelopeDetails(wrapped: Envelope): Omit<PoisonSummary, "reason" | "change"> {
  const { errors, function: fn, dequeueCount, poisonedAt } = wrapped;
  return {
    ...(errors === undefined ? {} : { errors }),
    ...(fn === undefined ? {} : { function: fn }),
    ...(dequeueCount === undefined ? {} : { dequeueCount }),
    ...(poisonedAt === undefined ? {} : { poisonedAt }),
  };
}

/** Whatever of iTwin, email and action a request's text names, even when the request is invalid. */
function describeChange(text: string): PoisonSummary["change"] {
  const json = parseObject(text);
  if (json === undefined) return undefined;
  const change: NonNullable<PoisonSummary["change"]> = {};
  for (const field of ["itwinId", "email", "action"] as const) {
    const value = json[field];
    if (typeof value === "string") change[field] = value;
  }
  return Object.keys(change).length === 0 ? undefined : change;
}

export function planReplay(kind: PoisonQueueKind, messageId: string, text: string): ReplayPlan {
  const wrapped = envelope(text);
  if (kind === "requests") {
    const original = wrapped?.original ?? text;
    const change = describeChange(original);
    const summary: PoisonSummary = {
      reason: wrapped?.reason ?? "moved by the host after repeated failures",
      ...(wrapped === undefined ? {} : envelopeDetails(wrapped)),
      ...(change === undefined ? {} : { change }),
    };
    return { replay: true, text: original, summary };
  }
  if (wrapped !== undefined) {
    return {
      replay: false,
      why: "a job that fails the job schema is a bug to report, not to retry",
      summary: { reason: wrapped.reason, ...envelopeDetails(wrapped) },
    };
  }
  const json = tryParseJson(text);
  const parsed = jobSchema.safeParse(json.ok ? json.value : undefined);
  if (!parsed.success) {
    return { replay: false, why: "not a job this version can read", summary: { reason: "unreadable job" } };
  }
  const job = parsed.data;
  // A new id per poisoned message: replaying the same message twice is one request, another is not.
  const key = `replay:${job.requestId}:${messageId}`;
  const request = {
    itwinId: job.itwinId,
    email: job.email,
    action: job.action,
    ...(job.occurredAt === undefined ? {} : { occurredAt: job.occurredAt }),
    dryRun: job.dryRun,
    id: key,
    source: REPLAY_SOURCE,
    reason: `replay of ${job.requestId}, which failed after repeated deliveries`,
  };
  return {
    replay: true,
    text: JSON.stringify(request),
    requestId: job.requestId,
    // The queue intake derives the same id from the body's id and source, so callers can follow it.
    newRequestId: requestIdFor(key, REPLAY_SOURCE),
    summary: {
      reason: `job of ${job.requestId} failed after repeated deliveries`,
      change: { itwinId: job.itwinId, email: job.email, action: job.action, requestId: job.requestId },
    },
  };
}
