import * as z from "zod";
import { emailAddress } from "../email.ts";
import { ACTIONS, OUTCOMES, STATUSES } from "../model.ts";

/**
 * The query API's contract (design §3, `GET /api/owner-changes` and `GET /api/owner-changes/summary`):
 * the query parameters the handlers parse and the response shapes they answer with. The OpenAPI
 * document is generated from these same schemas, so response schemas never `.transform`: what they
 * describe is exactly the JSON on the wire. Pure.
 */

/** The most rows one list request may ask for; more means paging with the cursor. */
export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;
/** The longest range the summary counts (and a time-only list walks day by day). */
export const MAX_RANGE_DAYS = 31;

const instant = (description: string, example: string) =>
  z.iso
    .datetime({ offset: true, message: "must be an ISO 8601 date-time with a time zone" })
    .meta({ description, examples: [example] });

export const statusSchema = z.enum(STATUSES).meta({
  id: "OwnerChangeStatus",
  description: "Where a change is in its life cycle (design §5).",
});
export const outcomeSchema = z.enum(OUTCOMES).meta({
  id: "OwnerChangeOutcome",
  description: "What a succeeded change did at the owners API.",
});

/** `status=held` or `status=queued,processing`: one or more statuses, any of which matches. */
const statusListSchema = z
  .string()
  .transform((value) => value.split(",").map((part) => part.trim()))
  .pipe(
    z
      .array(z.enum(STATUSES, { message: `must be one or more of ${STATUSES.join(", ")}, comma-separated` }))
      .min(1),
  )
  .meta({
    description: "One status, or several separated by commas (any of them matches).",
    examples: ["held", "queued,processing"],
  });

export const listQuerySchema = z
  .object({
    itwinId: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.guid({ message: "must be an iTwin id (a UUID)" }))
      .meta({
        description: "Only changes to this iTwin.",
        format: "uuid",
        examples: ["5e3b1a7e-8c1d-4f3a-9b2e-000000000001"],
      })
      .optional(),
    email: emailAddress
      .meta({
        description: "Only changes for this person (any spelling of the address).",
        examples: ["bob@corp.example"],
      })
      .optional(),
    status: statusListSchema.optional(),
    source: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .meta({
        description: "Only changes the sending system labelled with this source.",
        examples: ["workday"],
      })
      .optional(),
    action: z
      .enum(ACTIONS, { message: 'must be "add" or "remove"' })
      .meta({ description: "Only additions or only removals." })
      .optional(),
    since: instant("Only changes created at or after this instant.", "2026-11-30T00:00:00Z").optional(),
    until: instant("Only changes created before this instant.", "2026-12-01T00:00:00Z").optional(),
    limit: z.coerce
      .number({ message: `must be a whole number from 1 to ${MAX_LIMIT}` })
      .int({ message: `must be a whole number from 1 to ${MAX_LIMIT}` })
      .min(1, { message: `must be a whole number from 1 to ${MAX_LIMIT}` })
      .max(MAX_LIMIT, { message: `must be a whole number from 1 to ${MAX_LIMIT}` })
      .default(DEFAULT_LIMIT)
      .meta({ description: "The most items on one page.", examples: [50] }),
    cursor: z
      .string()
      .min(1)
      .max(2_000)
      .meta({ description: "From the previous page's `cursor`; only valid with the same filters." })
      .optional(),
  })
  .meta({ id: "ListOwnerChangesQuery" });
export type ListQuery = z.output<typeof listQuerySchema>;

export const BUCKETS = ["hour", "day"] as const;
export type Bucket = (typeof BUCKETS)[number];

export const summaryQuerySchema = z
  .object({
    since: instant(
      "Count changes created at or after this instant (default: 24 hours ago).",
      "2026-11-30T00:00:00Z",
    ).optional(),
    until: instant(
      "Count changes created before this instant (default: now).",
      "2026-12-01T00:00:00Z",
    ).optional(),
    bucket: z
      .enum(BUCKETS, { message: 'must be "hour" or "day"' })
      .meta({ description: "Also split the counts into hourly or daily buckets (UTC)." })
      .optional(),
  })
  .meta({ id: "SummarizeOwnerChangesQuery" });
export type SummaryQuery = z.output<typeof summaryQuerySchema>;

export const changeSummarySchema = z
  .object({
    id: z.string().meta({ examples: ["r-7b0c3f1e-2d4a-4c55-9b1e-0f6a1d2c3b4a"] }),
    status: statusSchema,
    outcome: outcomeSchema.optional(),
    itwinId: z.string().meta({ examples: ["5e3b1a7e-8c1d-4f3a-9b2e-000000000001"] }),
    email: z.string().meta({ examples: ["bob@corp.example"] }),
    action: z.enum(ACTIONS),
    source: z.string().optional(),
    via: z.enum(["http", "queue", "scim", "source", "offboard"]),
    dryRun: z.boolean(),
    parentId: z.string().optional().meta({ description: "The offboarding this change is part of." }),
    createdAt: z.string().meta({ examples: ["2026-11-30T09:12:44.120Z"] }),
    updatedAt: z.string().meta({ examples: ["2026-11-30T09:12:45.871Z"] }),
    statusUrl: z.string().meta({ description: "The full status document (GET /api/owner-changes/{id})." }),
  })
  .meta({
    id: "OwnerChangeSummary",
    description: "One change as the list shows it; the document has the rest.",
  });
export type ChangeSummary = z.output<typeof changeSummarySchema>;

export const listResponseSchema = z
  .object({
    items: z.array(changeSummarySchema).meta({ description: "Newest first (by createdAt)." }),
    cursor: z
      .string()
      .optional()
      .meta({ description: "Present when there may be more: pass it back with the same filters." }),
    next: z
      .string()
      .optional()
      .meta({
        description: "The next page's path and query (the same filters and the cursor).",
        examples: ["/api/owner-changes?status=held&limit=50&cursor=eyJ2IjoxLCJxIjoi..."],
      }),
  })
  .meta({
    id: "OwnerChangeList",
    description: "A page of changes. A page may hold fewer than `limit` items and still have a cursor.",
  });
export type ListResponse = z.output<typeof listResponseSchema>;

const count = z.number().int().nonnegative();
const countsShape = {
  total: count,
  byStatus: z.record(statusSchema, count).meta({ description: "Every status, 0 when none." }),
  byOutcome: z.record(outcomeSchema, count).meta({ description: "Every outcome, 0 when none." }),
  rateLimitRetries: count.meta({ description: "429 answers the worker retried for these changes." }),
};
export type Counts = Pick<SummaryResponse, "total" | "byStatus" | "byOutcome" | "rateLimitRetries">;

export const summaryBucketSchema = z
  .object({ start: z.string(), end: z.string(), ...countsShape })
  .meta({ id: "OwnerChangeSummaryBucket", description: "Changes created in [start, end)." });

export const summaryResponseSchema = z
  .object({
    since: z.string().meta({ examples: ["2026-11-30T09:00:00.000Z"] }),
    until: z.string().meta({ examples: ["2026-12-01T09:00:00.000Z"] }),
    ...countsShape,
    buckets: z
      .array(summaryBucketSchema)
      .optional()
      .meta({ description: "Oldest first; every bucket of the range, also the empty ones." }),
  })
  .meta({
    id: "OwnerChangeSummaryCounts",
    description: "Counts of the changes created in [since, until), by current status and outcome.",
  });
export type SummaryResponse = z.output<typeof summaryResponseSchema>;
