import * as z from "zod";
import type {
  ZodOpenApiOperationObject,
  ZodOpenApiPathsObject,
  ZodOpenApiResponsesObject,
} from "zod-openapi";
import { DISCOVERY_ENDPOINTS } from "../scim/protocol/discovery.ts";
import { ERROR_SCHEMA } from "../scim/protocol/errors.ts";
import { LIST_SCHEMA } from "../scim/protocol/list.ts";
import { ENDPOINTS, MAX_RESULTS, SCIM_BASE_PATH } from "../scim/protocol/scimmy.ts";

/**
 * The SCIM 2.0 routes in the OpenAPI document (design §3, docs/scim.md), described at the level of their
 * resources: RFC 7643 defines the attributes and RFC 7644 the protocol, and scimmy enforces both, so the
 * schemas here name the attributes this service reads and leave the rest open. Pure.
 */

const SCIM_JSON = "application/scim+json";
const RFC_7643 = { description: "RFC 7643: SCIM core schema", url: "https://www.rfc-editor.org/rfc/rfc7643" };
const RFC_7644 = { description: "RFC 7644: SCIM protocol", url: "https://www.rfc-editor.org/rfc/rfc7644" };
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const schemas = z.array(z.string()).min(1).meta({ description: "The resource's schema URNs." });
const meta = z
  .looseObject({
    resourceType: z.string(),
    created: z.string(),
    lastModified: z.string(),
    location: z.string(),
  })
  .partial()
  .meta({ description: "Read-only; ignored when a client sends it." });

export const scimUserSchema = z
  .looseObject({
    schemas,
    id: z.string().optional().meta({ description: "Ours (a UUID); ignored when a client sends it." }),
    externalId: z.string().optional(),
    userName: z.string(),
    active: z.boolean().optional().meta({ description: "`false` removes the user from every mapped iTwin." }),
    emails: z
      .array(
        z.looseObject({ value: z.string(), type: z.string().optional(), primary: z.boolean().optional() }),
      )
      .optional()
      .meta({ description: "The primary (else the first work) address is the one made owner." }),
    meta: meta.optional(),
  })
  .meta({
    id: "ScimUser",
    description: "A SCIM User (RFC 7643 §4.1), with the enterprise extension.",
    externalDocs: RFC_7643,
    examples: [
      {
        schemas: [USER_SCHEMA],
        userName: "ann@corp.example",
        active: true,
        emails: [{ value: "ann@corp.example", type: "work", primary: true }],
      },
    ],
  });

export const scimGroupSchema = z
  .looseObject({
    schemas,
    id: z.string().optional(),
    externalId: z.string().optional(),
    displayName: z.string().meta({
      description:
        "A name holding one iTwin id makes the group that iTwin's owners (unless a mapping says otherwise).",
    }),
    members: z
      .array(
        z.looseObject({
          value: z.string().meta({ description: "A User's id." }),
          display: z.string().optional(),
        }),
      )
      .optional(),
    meta: meta.optional(),
  })
  .meta({
    id: "ScimGroup",
    description: "A SCIM Group (RFC 7643 §4.2).",
    externalDocs: RFC_7643,
    examples: [
      {
        schemas: [GROUP_SCHEMA],
        displayName: "Bridge Retrofit owners 5e3b1a7e-8c1d-4f3a-9b2e-000000000001",
        members: [{ value: "2f0c7a57-5d7e-4a8e-8f1c-6f3b5a0e9d21" }],
      },
    ],
  });

export const scimListSchema = z
  .object({
    schemas: z.array(z.literal(LIST_SCHEMA)).length(1),
    totalResults: z.number().int().nonnegative(),
    startIndex: z.number().int().positive(),
    itemsPerPage: z.number().int().nonnegative(),
    Resources: z.array(z.looseObject({ schemas: schemas.optional() })),
  })
  .meta({
    id: "ScimListResponse",
    description: "A page of resources (RFC 7644 §3.4.2).",
    externalDocs: RFC_7644,
  });

export const scimPatchSchema = z
  .looseObject({
    schemas: z.array(z.string()).meta({ examples: [[PATCH_SCHEMA]] }),
    Operations: z
      .array(
        z.looseObject({
          op: z.string().meta({
            description: "`add`, `remove` or `replace`, in any case; `value` is what to add or set.",
          }),
          path: z.string().optional(),
        }),
      )
      .min(1),
  })
  .meta({
    id: "ScimPatchOp",
    description: "RFC 7644 §3.5.2: add, remove, replace; paths, value filters and pathless values.",
    externalDocs: RFC_7644,
    examples: [
      {
        schemas: [PATCH_SCHEMA],
        Operations: [
          { op: "Remove", path: "members", value: [{ value: "2f0c7a57-5d7e-4a8e-8f1c-6f3b5a0e9d21" }] },
        ],
      },
    ],
  });

export const scimErrorSchema = z
  .object({
    schemas: z.array(z.literal(ERROR_SCHEMA)).length(1),
    status: z.string().meta({ description: "The HTTP status, as a string (RFC 7644 §3.12)." }),
    scimType: z
      .string()
      .optional()
      .meta({ examples: ["invalidFilter", "uniqueness"] }),
    detail: z.string(),
  })
  .meta({ id: "ScimError", externalDocs: RFC_7644 });

export const scimResourceSchema = z.looseObject({ schemas, id: z.string().optional() }).meta({
  id: "ScimDiscoveryResource",
  description: "A discovery document (RFC 7644 §4).",
  externalDocs: RFC_7644,
});

const scim = (schema: z.ZodType, description: string) => ({
  description,
  content: { [SCIM_JSON]: { schema } },
});
const scimError = (description: string) => scim(scimErrorSchema, description);
const ERRORS: ZodOpenApiResponsesObject = {
  "401": scimError("The bearer token is missing or wrong (`WWW-Authenticate: Bearer`)"),
  "404": scimError("No such resource, endpoint or id; or SCIM_BEARER_TOKENS is not set"),
  "500": scimError("Storage or the ownership side failed; the write is safe to repeat"),
};
const BUSY = scimError("The resource kept changing under eight attempts in a row (`Retry-After: 5`)");
const WRITE_ERRORS: ZodOpenApiResponsesObject = {
  "400": scimError(
    "`invalidValue`, `invalidSyntax` or `noTarget`: a missing or mistyped attribute, a bad PATCH",
  ),
  ...ERRORS,
  "409": scimError("`uniqueness`: another resource has that `userName` / `displayName`"),
  "413": scimError("The body is over 2 MiB"),
  "415": scimError("The media type is not JSON"),
  "503": BUSY,
};

const projection = {
  attributes: z.string().optional().meta({ description: "Only these attributes (comma-separated)." }),
  excludedAttributes: z
    .string()
    .optional()
    .meta({ description: "All but these attributes (comma-separated)." }),
};
const listQuery = z.object({
  filter: z
    .string()
    .optional()
    .meta({ description: "An RFC 7644 §3.4.2.2 filter.", examples: ['userName eq "ann@corp.example"'] }),
  startIndex: z.number().int().optional().meta({ description: "1-based." }),
  count: z.number().int().max(MAX_RESULTS).optional(),
  ...projection,
});

const BEARER = [{ scimBearer: [] }];
const tag = ["SCIM"];

function resourceOperations(kind: keyof typeof ENDPOINTS, schema: z.ZodType): ZodOpenApiPathsObject {
  const endpoint = ENDPOINTS[kind];
  const common = { tags: tag, security: BEARER, externalDocs: RFC_7644 };
  const id = { path: z.object({ id: z.string().meta({ description: `The ${kind}'s id (ours, a UUID).` }) }) };
  const body = { required: true, content: { [SCIM_JSON]: { schema } } };
  const one = (description: string) => scim(schema, description);
  const collection: Record<"get" | "post", ZodOpenApiOperationObject> = {
    get: {
      ...common,
      operationId: `listScim${endpoint}`,
      summary: `List or filter ${endpoint}`,
      requestParams: { query: listQuery },
      responses: {
        "200": scim(scimListSchema, `A page of ${endpoint}`),
        "400": scimError("`invalidFilter`"),
        ...ERRORS,
      },
    },
    post: {
      ...common,
      operationId: `createScim${kind}`,
      summary: `Create a ${kind}`,
      requestParams: { query: z.object(projection) },
      requestBody: body,
      responses: { "201": { ...one(`The ${kind}, with \`Location\``) }, ...WRITE_ERRORS },
    },
  };
  const resource: Record<"get" | "put" | "patch" | "delete", ZodOpenApiOperationObject> = {
    get: {
      ...common,
      operationId: `getScim${kind}`,
      summary: `Read a ${kind}`,
      requestParams: { ...id, query: z.object(projection) },
      responses: { "200": one(`The ${kind}`), ...ERRORS },
    },
    put: {
      ...common,
      operationId: `replaceScim${kind}`,
      summary: `Replace a ${kind}`,
      description: kind === "Group" ? "Replaces the whole group, its members included." : undefined,
      requestParams: { ...id, query: z.object(projection) },
      requestBody: body,
      responses: { "200": one(`The ${kind}`), ...WRITE_ERRORS },
    },
    patch: {
      ...common,
      operationId: `patchScim${kind}`,
      summary: `Change a ${kind}'s attributes`,
      requestParams: { ...id, query: z.object(projection) },
      requestBody: { required: true, content: { [SCIM_JSON]: { schema: scimPatchSchema } } },
      responses: {
        "200": one(
          kind === "User" ? "The user" : "The group, when `attributes` or `excludedAttributes` asks for it",
        ),
        ...(kind === "Group" ? { "204": { description: "Changed" } } : {}),
        ...WRITE_ERRORS,
      },
    },
    delete: {
      ...common,
      operationId: `deleteScim${kind}`,
      summary: `Delete a ${kind}`,
      requestParams: id,
      responses: { "204": { description: "Deleted" }, ...ERRORS, "503": BUSY },
    },
  };
  return { [`${SCIM_BASE_PATH}/${endpoint}`]: collection, [`${SCIM_BASE_PATH}/${endpoint}/{id}`]: resource };
}

function discoveryOperations(): ZodOpenApiPathsObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const endpoint of DISCOVERY_ENDPOINTS) {
    const common = { tags: tag, security: BEARER, externalDocs: RFC_7644 };
    paths[`${SCIM_BASE_PATH}/${endpoint}`] = {
      get: {
        ...common,
        operationId: `getScim${endpoint}`,
        summary: `Discovery: ${endpoint}`,
        responses: {
          "200": scim(endpoint === "ServiceProviderConfig" ? scimResourceSchema : scimListSchema, endpoint),
          ...ERRORS,
        },
      },
    };
    if (endpoint === "ServiceProviderConfig") continue;
    paths[`${SCIM_BASE_PATH}/${endpoint}/{id}`] = {
      get: {
        ...common,
        operationId: `getScim${endpoint.replace(/s$/, "")}`,
        summary: `Discovery: one of ${endpoint}`,
        requestParams: {
          path: z.object({
            id: z.string().meta({ examples: [endpoint === "Schemas" ? USER_SCHEMA : "User"] }),
          }),
        },
        responses: { "200": scim(scimResourceSchema, `One of ${endpoint}`), ...ERRORS },
      },
    };
  }
  return paths;
}

/** Every SCIM route: Users and Groups, then the discovery endpoints. */
export function scimPaths(): ZodOpenApiPathsObject {
  return {
    ...resourceOperations("User", scimUserSchema),
    ...resourceOperations("Group", scimGroupSchema),
    ...discoveryOperations(),
  };
}
