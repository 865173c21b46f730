import * as z from "zod";
import type { ZodOpenApiOperationObject } from "zod-openapi";
import { problem } from "../http/problem.ts";
import {
  poisonListSchema,
  poisonQueueSchema,
  replayRequestSchema,
  replayResultSchema,
} from "../poison/schemas.ts";
import { healthSchema } from "./responses.ts";
import {
  ANONYMOUS,
  fail,
  invalid,
  MASTER_KEY,
  noStore,
  notJson,
  ok,
  problems,
  unavailable,
} from "./shared.ts";

/** The OpenAPI operations of the operators' routes: the poison queues, health, the ops page, this document. Pure. */

export const queueParam = z.object({ queue: poisonQueueSchema });
export const noSuchQueue = fail(
  "notFound",
  "the queue is neither `requests` nor `jobs`",
  "No poison queue is called x: use requests or jobs",
);

export const listPoison: ZodOpenApiOperationObject = {
  operationId: "listPoison",
  summary: "Peek at a poison queue: the first 32 messages and why each is there",
  description: "Changes nothing. A raw message the host moved has only a `reason` (design §2.2).",
  tags: ["Operations"],
  security: MASTER_KEY,
  requestParams: { path: queueParam },
  responses: {
    "200": ok("The first messages", poisonListSchema, noStore),
    ...problems(noSuchQueue, {
      ...unavailable,
      problem: problem("unavailable", "The poison queue could not be read; try again later"),
    }),
  },
};

export const replayPoison: ZodOpenApiOperationObject = {
  operationId: "replayPoison",
  summary: "Put poisoned messages back to work",
  description:
    "A request goes back on `owner-change-requests` as it arrived; a job whose change is `failed` is submitted " +
    "again as a new request (source `poison-replay`); anything else is skipped (design §4.1).",
  tags: ["Operations"],
  security: MASTER_KEY,
  requestParams: { path: queueParam },
  requestBody: {
    required: true,
    content: {
      "application/json": {
        schema: replayRequestSchema,
        examples: {
          some: {
            summary: "Two messages",
            value: { ids: ["6f1d0c2e-1d7b-4b8e-9f0a-2c3d4e5f6a7b", "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"] },
          },
          dryRun: { summary: "What would a replay of everything do?", value: { all: true, dryRun: true } },
        },
      },
    },
  },
  responses: {
    "200": ok("What was replayed and what was skipped", replayResultSchema),
    ...problems(
      invalid("the body fails the schema, or names neither `ids` nor `all`", replayRequestSchema, {}),
      notJson(),
      noSuchQueue,
      {
        ...unavailable,
        problem: problem(
          "unavailable",
          "The replay could not finish; list the queue and replay what is left",
        ),
      },
    ),
  },
};

export const health: ZodOpenApiOperationObject = {
  operationId: "health",
  summary: "Is storage reachable?",
  tags: ["Operations"],
  security: ANONYMOUS,
  responses: {
    "200": ok("Storage answered within 5 s", healthSchema, noStore),
    "503": {
      description: "Storage did not answer",
      headers: noStore,
      content: {
        "application/json": {
          schema: healthSchema,
          examples: { unreachable: { value: { status: "unavailable", storage: "unreachable" } } },
        },
      },
    },
  },
};

export const opsPage: ZodOpenApiOperationObject = {
  operationId: "opsPage",
  summary: "The ops page: recent requests, histories, held removals, poison queues, counters",
  description:
    "One HTML page that calls this API with the operator's key (which the page asks for); it holds no data itself.",
  tags: ["Operations"],
  security: ANONYMOUS,
  responses: {
    "200": { description: "The page", content: { "text/html": { schema: { type: "string" } } } },
  },
};

export const openApi: ZodOpenApiOperationObject = {
  operationId: "getOpenApiDocument",
  summary: "This document",
  tags: ["Operations"],
  security: ANONYMOUS,
  responses: {
    "200": {
      description: "The OpenAPI 3.1 document of every route",
      content: {
        "application/json": {
          schema: {
            type: "object",
            description: "An OpenAPI 3.1 document.",
            externalDocs: { url: "https://spec.openapis.org/oas/v3.1.1.html" },
          },
        },
      },
    },
  },
};
