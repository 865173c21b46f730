import { jobSchema } from "../src/changes/model.ts";
import { tryParseJson } from "../src/json.ts";

/**
 * What to do with one poisoned message, decided from its text alone (pure, for tests).
 *
 * - From `owner-change-requests-poison`: our envelope `{ reason, original, … }` (the intake refused it)
 *   or, after repeated storage failures, the raw request the host moved there. Either way the request
 *   text goes back on `owner-change-requests`, to be validated again.
 * - From `owner-change-jobs-poison`: a job the host gave up on after `maxDequeueCount` deliveries (its
 *   change is recorded `failed`), which is submitted again as a new request, so it is validated,
 *   recorded and tried from scratch with its own status document; or our envelope around a job that
 *   failed the job schema — a bug, not something to retry.
 */

export type PoisonQueueKind = "requests" | "jobs";

export interface PoisonSummary {
  /** One line for people: why it is there. */
  reason: string;
  /** What it asks for, when that can be read. */
  change?: string;
}

export type ReplayPlan =
  | { replay: true; text: string; summary: PoisonSummary; requestId?: string }
  | { replay: false; why: string; summary: PoisonSummary };

interface Envelope {
  reason: string;
  original: string;
}

function envelope(text: string): Envelope | undefined {
  const json = tryParseJson(text);
  if (!json.ok || typeof json.value !== "object" || json.value === null) return undefined;
  const { reason, original } = json.value as Record<string, unknown>;
  return typeof reason === "string" && typeof original === "string" ? { reason, original } : undefined;
}

function describeChange(text: string): string | undefined {
  const json = tryParseJson(text);
  if (!json.ok || typeof json.value !== "object" || json.value === null) return undefined;
  const { action, email, itwinId } = json.value as Record<string, unknown>;
  return [action, email, itwinId].every((part) => typeof part === "string")
    ? `${action} ${email} on ${itwinId}`
    : undefined;
}

export function planReplay(kind: PoisonQueueKind, messageId: string, text: string): ReplayPlan {
  const wrapped = envelope(text);
  if (kind === "requests") {
    const original = wrapped?.original ?? text;
    const change = describeChange(original);
    const summary: PoisonSummary = {
      reason: wrapped?.reason ?? "moved by the host after repeated failures",
      ...(change === undefined ? {} : { change }),
    };
    return { replay: true, text: original, summary };
  }
  if (wrapped !== undefined) {
    return {
      replay: false,
      why: "a job that fails the job schema is a bug to report, not to retry",
      summary: { reason: wrapped.reason },
    };
  }
  const json = tryParseJson(text);
  const parsed = jobSchema.safeParse(json.ok ? json.value : undefined);
  if (!parsed.success) {
    return { replay: false, why: "not a job this version can read", summary: { reason: "unreadable job" } };
  }
  const job = parsed.data;
  const request = {
    itwinId: job.itwinId,
    email: job.email,
    action: job.action,
    ...(job.occurredAt === undefined ? {} : { occurredAt: job.occurredAt }),
    dryRun: job.dryRun,
    // A new id per poisoned message: replaying the same message twice is one request, another is not.
    id: `replay:${job.requestId}:${messageId}`,
    source: "poison-replay",
    reason: `replay of ${job.requestId}, which failed after repeated deliveries`,
  };
  return {
    replay: true,
    text: JSON.stringify(request),
    requestId: job.requestId,
    summary: {
      reason: `job of ${job.requestId} failed after repeated deliveries`,
      change: `${job.action} ${job.email} on ${job.itwinId}`,
    },
  };
}
