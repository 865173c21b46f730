import * as z from "zod";
import { emailAddress } from "./email.ts";

/**
 * The owner-change request and the internal job message (design §2), and the status document (§5).
 * HTTP rejects unknown fields (a typo should not be silently ignored); the public queue strips them,
 * because other systems add fields over time and their messages must keep flowing.
 */

const trimmed = (max: number) => z.string().trim().min(1).max(max);

export const ACTIONS = ["add", "remove"] as const;
export type Action = (typeof ACTIONS)[number];

const changeShape = {
  itwinId: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.guid({ message: "must be an iTwin id (a UUID)" }))
    // The OpenAPI document (src/openapi/) shows a request's input side, which trim() leaves a bare string.
    .meta({ format: "uuid" }),
  /** Internationalised domains are normalised to punycode; the rule and why: ./email.ts. */
  email: emailAddress,
  action: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(ACTIONS, { message: 'must be "add" or "remove"' }))
    .meta({ override: { type: "string", enum: [...ACTIONS] } }),
  id: trimmed(200).optional(),
  source: trimmed(100).optional(),
  reason: z.string().trim().max(500).optional(),
  requestedBy: trimmed(320).optional(),
  occurredAt: z.iso
    .datetime({ offset: true, message: "must be an ISO 8601 date-time with a time zone" })
    .transform((value) => new Date(value).toISOString())
    .optional(),
  dryRun: z.boolean().default(false),
};

export const httpChangeSchema = z.strictObject(changeShape).meta({ id: "OwnerChange" });
export const queueChangeSchema = z.object(changeShape);
export const MAX_BATCH = 100;
export const httpBatchSchema = z
  .strictObject({
    changes: z.array(httpChangeSchema).min(1, "must hold at least one change").max(MAX_BATCH),
  })
  .meta({ id: "OwnerChangeBatch" });

export type OwnerChange = z.output<typeof httpChangeSchema>;

/** `POST /api/owner-changes/{id}/approve|reject`: who decides, and why (kept in the history). */
export const decisionSchema = z
  .strictObject({
    by: trimmed(320),
    reason: z.string().trim().max(500).optional(),
  })
  .meta({ id: "Decision" });

/** What `accept` puts on the internal jobs queue: only validated, normalised changes reach the worker. */
export const jobSchema = z.object({
  v: z.literal(1),
  requestId: z.string().min(1),
  itwinId: z.guid(),
  email: emailAddress,
  action: z.enum(ACTIONS),
  occurredAt: z.iso.datetime().optional(),
  dryRun: z.boolean(),
  /**
   * 1 for the first try; a retry rescheduled after a refused or unanswered call increments it, a wait for
   * our own rate share or another change's turn does not (RETRY_MAX_ATTEMPTS bounds it).
   */
  attempt: z.number().int().positive(),
  correlationId: z.string().min(1),
});
export type Job = z.output<typeof jobSchema>;

/**
 * A batch's jobs in one message (accept.ts), which the worker fans out as single jobs: one queue send
 * per batch instead of one per change. Its records exist before it is sent.
 */
export const jobBundleSchema = z.object({
  v: z.literal(1),
  jobs: z.array(jobSchema).min(1),
});
export type JobBundle = z.output<typeof jobBundleSchema>;

export const STATUSES = ["queued", "processing", "succeeded", "failed", "rejected", "held"] as const;
export type Status = (typeof STATUSES)[number];
export const OUTCOMES = [
  "added",
  "invited",
  "removed",
  "already-owner",
  "not-owner",
  "superseded",
  "planned",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface ChangeError {
  code: string;
  message: string;
  httpStatus?: number;
  correlationId?: string;
}

export interface HistoryEntry {
  at: string;
  status: Status;
  note?: string;
}

export interface StatusDocument {
  id: string;
  status: Status;
  outcome?: Outcome;
  itwinId: string;
  email: string;
  action: Action;
  senderId?: string;
  source?: string;
  reason?: string;
  requestedBy?: string;
  occurredAt?: string;
  dryRun: boolean;
  /** Which intake accepted it: our own JSON over HTTP or the queue, SCIM provisioning, a mapped webhook, an offboarding. */
  via: "http" | "queue" | "scim" | "source" | "offboard";
  /** The request this change is part of (an offboarding's removals), whose status rolls its children up. */
  parentId?: string;
  correlationId: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  memberId?: string;
  invitationId?: string;
  /**
   * The queue message currently working on this change, and since when: a second delivery of the same
   * job (at-least-once) must not run beside the first.
   */
  claimedBy?: string;
  claimedAt?: string;
  /** The worker process (instance registry id) holding the claim: recovery asks whether it still beats. */
  claimedByInstance?: string;
  /** When the job of a `queued` change becomes visible (a scheduled retry); the change is overdue after it. */
  retryAt?: string;
  /** How often crash recovery re-drove this change; bounded, so a change that kills workers ends failed. */
  recoveries?: number;
  /** The mass-removal window this removal was counted in (its retries count there too). */
  removalWindow?: string;
  /** Who released a held removal; the mass-removal threshold no longer applies to it. */
  approvedBy?: string;
  /** The owners API's `x-correlation-id` of the call that made the change, for Bentley support. */
  apiCorrelationId?: string;
  /** 429 answers the owners API gave while this change was applied and the worker retried (inline or later). */
  rateLimitRetries?: number;
  error?: ChangeError;
  history: HistoryEntry[];
}

export interface FieldError {
  path: string;
  message: string;
}

/** zod issues → `[{ path: "changes[2].email", message }]`, the shape of problem+json `errors`. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
    return keys.map((key) => ({
      path: formatPath(key === undefined ? issue.path : [...issue.path, key]),
      message: issueMessage(issue),
    }));
  });
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return "is not a known field";
  if (issue.code === "invalid_type" && / received undefined$/.test(issue.message)) return "is required";
  return issue.message;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? "(body)" : text;
}
