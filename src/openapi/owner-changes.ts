import * as z from "zod";
import type { ZodOpenApiOperationObject } from "zod-openapi";
import { decisionSchema, httpBatchSchema, httpChangeSchema } from "../changes/model.ts";
import {
  listQuerySchema,
  listResponseSchema,
  summaryQuerySchema,
  summaryResponseSchema,
} from "../changes/query/schema.ts";
import { problem } from "../http/problem.ts";
import { acceptedSchema, batchAcceptedSchema, statusDocumentSchema } from "./responses.ts";
import {
  acceptedHeaders,
  CHANGE_EXAMPLE,
  correlationHeader,
  FUNCTION_KEY,
  fail,
  ITWIN,
  idempotencyKeyHeader,
  invalid,
  MASTER_KEY,
  noStore,
  notJson,
  notJsonMedia,
  ok,
  problems,
  REQUEST_ID,
  requestIdParam,
  STATUS_URL,
  tooLarge,
  tooManyChanges,
  unavailable,
} from "./shared.ts";

/** The OpenAPI operations of `/api/owner-changes…` (design §3): submit, follow, decide, query. Pure. */

export const submit: ZodOpenApiOperationObject = {
  operationId: "submitOwnerChanges",
  summary: "Submit one owner change, or a batch of up to 100",
  description:
    "Validates, records and queues the change(s); a 202 means each is durable. The body may also be " +
    "`application/*+json`, UTF-8. With `WEBHOOK_SECRETS` set, only Standard Webhooks-signed deliveries are " +
    "accepted (`webhook-id`, `webhook-timestamp`, `webhook-signature`), and `webhook-id` is the idempotency key.",
  tags: ["Owner changes"],
  security: FUNCTION_KEY,
  requestParams: {
    header: z.object({
      ...idempotencyKeyHeader,
      "x-correlation-id": correlationHeader.optional().meta({
        description: "Echoed and stored when it matches `[\\w.:-]{1,128}`.",
      }),
    }),
  },
  requestBody: {
    required: true,
    content: {
      "application/json": {
        schema: z.union([httpChangeSchema, httpBatchSchema]),
        examples: {
          single: { summary: "One change", value: CHANGE_EXAMPLE },
          batch: {
            summary: "A batch",
            value: {
              changes: [
                { itwinId: ITWIN, email: "alice@corp.example", action: "add", id: "HR-4711" },
                { itwinId: ITWIN, email: "bob@corp.example", action: "remove", id: "HR-4712" },
              ],
            },
          },
        },
      },
    },
  },
  responses: {
    "202": {
      description:
        "Accepted: one change, or `{ items }` for a batch (an item whose key was reused has an `error`)",
      headers: acceptedHeaders,
      content: {
        "application/json": {
          schema: z.union([acceptedSchema, batchAcceptedSchema]),
          examples: {
            single: { value: { id: REQUEST_ID, status: "queued", statusUrl: STATUS_URL } },
            batch: {
              value: {
                items: [
                  { index: 0, id: REQUEST_ID, status: "queued", statusUrl: STATUS_URL },
                  {
                    index: 1,
                    error: problem(
                      "keyReused",
                      `Request ${REQUEST_ID} was made with this id and a different payload`,
                    ),
                  },
                ],
              },
            },
          },
        },
      },
    },
    ...problems(
      invalid("a field fails the schema", httpChangeSchema, { itwinId: "x", email: "bob@", action: "add" }),
      notJson(),
      fail("badSignature", "`WEBHOOK_SECRETS` is set and the signature is missing, stale or wrong"),
      tooLarge,
      tooManyChanges(),
      notJsonMedia(),
      fail(
        "keyReused",
        "one change only: its idempotency key was used before with another payload",
        `Request ${REQUEST_ID} was made with this idempotency key and a different payload`,
      ),
      unavailable,
    ),
  },
};

export const getChange: ZodOpenApiOperationObject = {
  operationId: "getOwnerChange",
  summary: "Read a change's status document",
  tags: ["Owner changes"],
  security: FUNCTION_KEY,
  requestParams: { path: requestIdParam },
  responses: {
    "200": ok("The status document (design §5)", statusDocumentSchema, noStore),
    ...problems(
      fail("notFound", "no request has this id", `No owner-change request has the id "${REQUEST_ID}"`),
      unavailable,
    ),
  },
};

export const decide = (decision: "approve" | "reject"): ZodOpenApiOperationObject => ({
  operationId: `${decision}OwnerChange`,
  summary: decision === "approve" ? "Release a held removal" : "Refuse a held removal",
  description:
    decision === "approve"
      ? "The change goes back to `queued` with `approvedBy`, and the mass-removal threshold never holds it again."
      : "The change ends `rejected` with error `RejectedByApprover`.",
  tags: ["Owner changes"],
  security: MASTER_KEY,
  requestParams: { path: requestIdParam },
  requestBody: {
    required: true,
    content: {
      "application/json": {
        schema: decisionSchema,
        examples: { ops: { value: { by: "ops@corp.example", reason: "planned reorg" } } },
      },
    },
  },
  responses: {
    "200": ok("The status document after the decision", statusDocumentSchema),
    ...problems(
      invalid("the body fails the schema", decisionSchema, { by: "" }),
      notJson(),
      fail("notFound", "no request has this id", `No owner-change request has the id ${REQUEST_ID}`),
      fail(
        "notHeld",
        "the change is not held, or another approver decided it just now",
        `Request ${REQUEST_ID} is queued, not held`,
      ),
      {
        ...unavailable,
        when: "storage failed, or the approval was recorded but its job not sent (approve again)",
      },
    ),
  },
});

export const list: ZodOpenApiOperationObject = {
  operationId: "listOwnerChanges",
  summary: "List changes, newest first, by iTwin, person, status, source, action and time",
  description: "Pages with an opaque `cursor`; `next` is the next page's link. Costs per query: design §3.",
  tags: ["Owner changes"],
  security: FUNCTION_KEY,
  requestParams: { query: listQuerySchema },
  responses: {
    "200": ok("A page of changes", listResponseSchema, noStore),
    ...problems(
      invalid("a filter is not valid, or the cursor belongs to other filters", listQuerySchema, {
        since: "yesterday",
      }),
      unavailable,
    ),
  },
};

export const summary: ZodOpenApiOperationObject = {
  operationId: "summarizeOwnerChanges",
  summary: "Count changes by status and outcome over a time range",
  description: "Default range: the last 24 hours; at most 31 days. `bucket` adds hourly or daily counts.",
  tags: ["Owner changes"],
  security: FUNCTION_KEY,
  requestParams: { query: summaryQuerySchema },
  responses: {
    "200": ok("The counts", summaryResponseSchema, noStore),
    ...problems(
      invalid("a parameter is not valid, or the range too long", summaryQuerySchema, { bucket: "week" }),
      unavailable,
    ),
  },
};
