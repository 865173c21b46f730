import * as z from "zod";
import { ACTIONS, STATUSES } from "../changes/model.ts";
import { changeSummarySchema, outcomeSchema, statusSchema } from "../changes/query/schema.ts";
import { OFFBOARDING_STATUSES } from "../people/rollup.ts";

/**
 * What the HTTP routes answer, as zod schemas (design §3, §5): the response half of the contract, from
 * which the OpenAPI document (./document.ts) is generated. The handlers build their answers as plain
 * objects typed by the interfaces beside them (StatusDocument, Problem, OffboardingView…); unit tests
 * hold those interfaces and these schemas to each other, and the OpenAPI integration test parses real
 * answers from the running app with them, so neither side can drift. Pure.
 *
 * No `.transform` here: a response schema describes exactly the JSON on the wire. `z.object` strips
 * unknown keys when parsing, so a test comparing `schema.parse(body)` with `body` also finds a field
 * the schema does not name.
 */

const instant = (description: string) =>
  z.string().meta({ description, examples: ["2026-11-30T09:12:44.120Z"] });
const url = (description: string) =>
  z.string().meta({
    description,
    examples: ["https://owners.corp.example/api/owner-changes/k-IN9mM5qdd_M6JAFUxsq5HZLDWicnwujf"],
  });
const requestId = z.string().meta({
  description: "The request id: `k-` + a hash of the idempotency key, or `r-` + a random UUID.",
  examples: ["k-IN9mM5qdd_M6JAFUxsq5HZLDWicnwujf"],
});
const itwinId = z.string().meta({ format: "uuid", examples: ["5e3b1a7e-8c1d-4f3a-9b2e-000000000001"] });
const email = z.string().meta({ examples: ["bob@corp.example"] });
const action = z.enum(ACTIONS);

export const fieldErrorSchema = z
  .object({
    path: z.string().meta({
      description: "The field, as `changes[3].email`, or a header name, or `(body)`.",
      examples: ["changes[3].email"],
    }),
    message: z.string().meta({ examples: ["must be an email address"] }),
  })
  .meta({ id: "FieldError" });

/** RFC 9457 problem details (src/http/problem.ts). */
export const problemSchema = z
  .object({
    type: z.string().meta({
      description: "What kind of problem: `urn:itwin-owner-automation:problem:<kind>` (design §3, Problems).",
    }),
    title: z.string(),
    status: z.number().int().meta({ description: "The HTTP status code, repeated." }),
    detail: z.string().meta({ description: "What exactly is wrong, for people." }),
    errors: z
      .array(fieldErrorSchema)
      .optional()
      .meta({ description: "Every field that failed, for `validation` and `unreadable-event`." }),
    instance: z.string().optional(),
  })
  .meta({
    id: "Problem",
    description: "An RFC 9457 problem; clients switch on `type`.",
    externalDocs: { url: "https://www.rfc-editor.org/rfc/rfc9457" },
  });

export const changeErrorSchema = z
  .object({
    code: z.string().meta({ examples: ["LastOwner", "RateLimited", "RejectedByApprover"] }),
    message: z.string(),
    httpStatus: z
      .number()
      .int()
      .optional()
      .meta({ description: "The owners API's answer, when it gave one." }),
    correlationId: z.string().optional().meta({ description: "The owners API's `x-correlation-id`." }),
  })
  .meta({ id: "OwnerChangeError" });

export const historyEntrySchema = z
  .object({ at: instant("When it happened."), status: statusSchema, note: z.string().optional() })
  .meta({ id: "OwnerChangeHistoryEntry" });

/** The status document (design §5; `StatusDocument` in src/changes/model.ts). */
export const statusDocumentSchema = z
  .object({
    id: requestId,
    status: statusSchema,
    outcome: outcomeSchema.optional(),
    itwinId,
    email,
    action,
    senderId: z
      .string()
      .optional()
      .meta({ description: "The sender's own id for the change (the body's `id`)." }),
    source: z.string().optional(),
    reason: z.string().optional(),
    requestedBy: z.string().optional(),
    occurredAt: z.string().optional(),
    dryRun: z.boolean(),
    via: changeSummarySchema.shape.via.meta({
      description: "Which intake accepted it: HTTP, the queue, SCIM, a mapped webhook or an offboarding.",
    }),
    parentId: z.string().optional().meta({ description: "The offboarding this change is part of." }),
    correlationId: z.string(),
    attempts: z.number().int().nonnegative(),
    createdAt: instant("When it was accepted."),
    updatedAt: instant("When it last changed."),
    memberId: z.string().optional(),
    invitationId: z.string().optional(),
    claimedBy: z.string().optional(),
    claimedAt: z.string().optional(),
    claimedByInstance: z.string().optional(),
    retryAt: z.string().optional().meta({ description: "When a scheduled retry's job becomes visible." }),
    recoveries: z.number().int().optional(),
    removalWindow: z.string().optional(),
    approvedBy: z.string().optional().meta({ description: "Who released a held removal." }),
    apiCorrelationId: z.string().optional().meta({
      description:
        "The owners API's `x-correlation-id` of the call that made the change, for Bentley support.",
    }),
    error: changeErrorSchema.optional(),
    rateLimitRetries: z.number().int().optional().meta({
      description: "429 answers the owners API gave while this change was applied, which the worker retried.",
    }),
    history: z.array(historyEntrySchema),
  })
  .meta({ id: "OwnerChangeStatusDocument", description: "A change and what happened to it (design §5)." });

/** 202 for one accepted change (submit, mapped webhook). */
export const acceptedSchema = z
  .object({
    id: requestId,
    status: statusSchema.meta({
      description: "`queued` when new; a repeat shows the change's current status.",
    }),
    statusUrl: url("Where to follow it; also the `Location` header."),
  })
  .meta({ id: "Accepted" });

export const batchAcceptedSchema = z
  .object({
    items: z.array(
      z.union([
        acceptedSchema.extend({
          index: z.number().int().nonnegative(),
          replayed: z.literal(true).optional().meta({ description: "A repeat of an earlier request." }),
        }),
        z.object({ index: z.number().int().nonnegative(), error: problemSchema }),
      ]),
    ),
  })
  .meta({ id: "BatchAccepted", description: "One item per change, in the request's order." });

/** `POST /api/sources/{name}`: an item may be an offboarding (its parent, at /api/offboardings/{id}). */
const sourceItemShape = {
  offboarding: z.literal(true).optional().meta({ description: "The item is an offboarding (design §11)." }),
  replayed: z.literal(true).optional(),
};
export const sourceAcceptedSchema = acceptedSchema
  .extend(sourceItemShape)
  .meta({ id: "SourceEventAccepted" });
export const sourceBatchAcceptedSchema = z
  .object({
    items: z.array(
      z.union([
        acceptedSchema.extend({ index: z.number().int().nonnegative(), ...sourceItemShape }),
        z.object({ index: z.number().int().nonnegative(), error: problemSchema }),
      ]),
    ),
  })
  .meta({ id: "SourceEventBatchAccepted" });
export const sourceSkippedSchema = z
  .object({
    status: z.literal("skipped"),
    detail: z.string().meta({ description: "Why the mapping's filter left the event out." }),
  })
  .meta({ id: "SourceEventSkipped" });

export const healthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    storage: z.literal("unreachable").optional(),
  })
  .meta({ id: "Health" });

const offboardingStatus = z.enum(OFFBOARDING_STATUSES).meta({
  id: "OffboardingStatus",
  description: "Rolled up from the children's statuses (design §11).",
});

export const offboardingAcceptedSchema = z
  .object({
    id: requestId,
    status: offboardingStatus,
    statusUrl: url("The offboarding (GET /api/offboardings/{id}); also the `Location` header."),
    children: z.array(
      z.object({ id: requestId, itwinId, status: statusSchema, statusUrl: url("The child's status.") }),
    ),
  })
  .meta({ id: "OffboardingAccepted" });

const count = z.number().int().nonnegative();
const CHILD_STATES = [...STATUSES, "missing"] as const;
const childState = z.union([statusSchema, z.literal("missing")]).meta({
  description: "The child's status, or `missing`: planned, but its change was never accepted.",
});

/** `GET /api/offboardings/{id}` (`OffboardingView` in src/people/rollup.ts, plus each child's statusUrl). */
export const offboardingSchema = z
  .object({
    id: requestId,
    status: offboardingStatus,
    email,
    source: z.string(),
    via: z.enum(["source", "offboard"]),
    reason: z.string().optional(),
    requestedBy: z.string().optional(),
    occurredAt: z.string(),
    dryRun: z.boolean(),
    correlationId: z.string(),
    createdAt: z.string(),
    note: z.string().optional(),
    counts: z
      .object(Object.fromEntries(CHILD_STATES.map((state) => [state, count.optional()])))
      .meta({ description: "How many children are in each state (states with none are left out)." }),
    children: z.array(
      z.object({
        id: requestId,
        itwinId,
        status: childState,
        outcome: outcomeSchema.optional(),
        error: changeErrorSchema.optional(),
        statusUrl: url("The child's full status document."),
      }),
    ),
  })
  .meta({ id: "Offboarding" });

/** `GET | PUT | DELETE /api/scim-mappings/{groupId}`. */
export const scimMappingSchema = z
  .object({
    groupId: z.string(),
    displayName: z.string(),
    itwinId: z.union([itwinId, z.literal(null)]),
    mappedBy: z.union([z.enum(["mapping", "name"]), z.literal(null)]).meta({
      description: "Whether the explicit mapping or the group's name gives the iTwin; null: neither.",
    }),
    changes: z
      .array(
        z.object({
          id: requestId,
          itwinId,
          email,
          action,
          status: statusSchema,
          statusUrl: url("The change's status."),
        }),
      )
      .optional()
      .meta({
        description: "After PUT or DELETE: the owner changes the mapping made (empty when nothing changed).",
      }),
  })
  .meta({ id: "ScimMapping" });
