import * as z from "zod";
import type { ZodOpenApiOperationObject, ZodOpenApiPathItemObject } from "zod-openapi";
import { deleteSchema, GROUP_ID, putSchema } from "../functions/handlers/scim-mappings.ts";
import { problem } from "../http/problem.ts";
import { offboardBodySchema } from "../people/plan.ts";
import {
  offboardingAcceptedSchema,
  offboardingSchema,
  scimMappingSchema,
  sourceAcceptedSchema,
  sourceBatchAcceptedSchema,
  sourceSkippedSchema,
} from "./responses.ts";
import {
  acceptedHeaders,
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
  tooLarge,
  unavailable,
} from "./shared.ts";

/** The OpenAPI operations of offboarding, mapped webhooks and SCIM group mappings (design §3, §11). Pure. */

/** The handler's own schema; the clone only carries the component's name. */
export const offboardRequestSchema = offboardBodySchema.meta({ id: "OffboardRequest" });

export const offboard: ZodOpenApiOperationObject = {
  operationId: "offboardPerson",
  summary: "Remove a leaver from every iTwin this service knows them to own",
  description:
    "One `remove` child change per iTwin under one parent (design §11). Without a key, every call is a new offboarding.",
  tags: ["Offboarding"],
  security: MASTER_KEY,
  requestParams: {
    path: z.object({
      email: z.string().meta({
        description: "The person's address, spelled as design §2 spells addresses.",
        examples: ["bob@corp.example"],
      }),
    }),
    header: z.object(idempotencyKeyHeader),
  },
  requestBody: {
    required: false,
    content: {
      "application/json": {
        schema: offboardRequestSchema,
        examples: { leaver: { value: { reason: "left the company", requestedBy: "hr-bot@corp.example" } } },
      },
    },
  },
  responses: {
    "202": {
      description: "The parent and its children",
      headers: acceptedHeaders,
      content: { "application/json": { schema: offboardingAcceptedSchema } },
    },
    ...problems(
      invalid("the path's email or a body field is not valid", offboardBodySchema, { dryRun: "yes" }),
      notJson(),
      fail("keyReused", "the key was used for another person's offboarding, or dry run against real"),
      unavailable,
    ),
  },
};

export const getOffboarding: ZodOpenApiOperationObject = {
  operationId: "getOffboarding",
  summary: "Read an offboarding, its rolled-up status and its children",
  tags: ["Offboarding"],
  security: FUNCTION_KEY,
  requestParams: { path: requestIdParam },
  responses: {
    "200": ok("The offboarding", offboardingSchema, noStore),
    ...problems(
      fail("notFound", "no offboarding has this id", `No offboarding has the id "${REQUEST_ID}"`),
      unavailable,
    ),
  },
};

export const sourceEvent: ZodOpenApiOperationObject = {
  operationId: "submitSourceEvent",
  summary: "Take a system's own webhook payload, read by that source's mapping",
  description:
    "The mapping (`SOURCE_MAPPINGS`, docs/sources.md) reads the payload into owner changes with JSONata; its " +
    "signature rule is checked over the bytes as received, before anything is parsed.",
  tags: ["Sources"],
  security: FUNCTION_KEY,
  requestParams: {
    path: z.object({
      name: z.string().meta({ description: "The source's mapping name.", examples: ["jira"] }),
    }),
  },
  requestBody: {
    required: true,
    content: {
      "application/json": {
        schema: { description: "The source system's own payload, as it sends it." },
        examples: { jira: { value: { issue: { key: "ACC-17", fields: { customfield_itwin: ITWIN } } } } },
      },
    },
  },
  responses: {
    "200": ok("The mapping's filter left the event out; nothing was recorded", sourceSkippedSchema),
    "202": {
      description: "Accepted: one change (or offboarding), or `{ items }` with a `changes` expression",
      headers: acceptedHeaders,
      content: { "application/json": { schema: z.union([sourceAcceptedSchema, sourceBatchAcceptedSchema]) } },
    },
    ...problems(
      notJson(),
      fail("badSignature", "the source's signature is missing or wrong"),
      fail("notFound", "no source has this name", "No source is named jira"),
      tooLarge,
      notJsonMedia(),
      {
        problem: problem("unreadableEvent", "The jira mapping cannot read: itwinId", {
          errors: [{ path: "itwinId", message: "the expression yielded nothing" }],
        }),
        when: "the mapping cannot read the event",
      },
      fail("keyReused", "its key was used for another payload"),
      unavailable,
    ),
  },
};

export const groupIdParam = z.object({
  groupId: z
    .string()
    .regex(GROUP_ID)
    .meta({ description: "The SCIM group's id.", examples: ["2f0c7a57-5d7e-4a8e-8f1c-6f3b5a0e9d21"] }),
});
export const mappingFailures = [
  fail("notFound", "no SCIM group has this id"),
  fail("conflict", "another request changed the group's mapping meanwhile; nothing was stored"),
  {
    ...unavailable,
    problem: problem("unavailable", "The mapping could not be read or stored; try again later"),
  },
];
export const mappingWrite = (
  method: "put" | "delete",
  schema: z.ZodType,
  example: Record<string, string>,
): ZodOpenApiOperationObject => ({
  operationId: method === "put" ? "mapScimGroup" : "unmapScimGroup",
  summary: method === "put" ? "Map a SCIM group to an iTwin" : "Remove a SCIM group's explicit mapping",
  description:
    "First accepts the owner changes that follow for the group's members, then stores the mapping.",
  tags: ["SCIM"],
  security: MASTER_KEY,
  requestParams: { path: groupIdParam },
  requestBody: {
    required: method === "put",
    content: { "application/json": { schema, examples: { admin: { value: example } } } },
  },
  responses: {
    "200": ok("The mapping, and the owner changes it made", scimMappingSchema),
    ...problems(
      invalid("the body fails the schema", schema, { itwinId: "x", extra: 1 }),
      notJson(),
      ...mappingFailures,
    ),
  },
});

/** `GET | PUT | DELETE /api/scim-mappings/{groupId}`. */
export const scimMapping: ZodOpenApiPathItemObject = {
  get: {
    operationId: "getScimMapping",
    summary: "Which iTwin a SCIM group stands for",
    tags: ["SCIM"],
    security: MASTER_KEY,
    requestParams: { path: groupIdParam },
    responses: {
      "200": ok("The mapping", scimMappingSchema, noStore),
      ...problems(...mappingFailures.filter((f) => f.problem.status !== 409)),
    },
  },
  put: mappingWrite("put", putSchema, { itwinId: ITWIN, by: "ops@corp.example" }),
  delete: mappingWrite("delete", deleteSchema, { by: "ops@corp.example" }),
};
