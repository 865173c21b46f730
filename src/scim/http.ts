import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type { BearerCheck } from "../http/bearer-tokens.ts";
import { readBodyWithin } from "../http/read-body.ts";
import { invocationLogger } from "../observability/log.ts";
import type { Json } from "./protocol/canonical.ts";
import { discover, discoveryEndpoint } from "./protocol/discovery.ts";
import { failureOf, scimError } from "./protocol/errors.ts";
import { listResponse, parsePaging } from "./protocol/list.ts";
import { needsMembers, type Projection, project } from "./protocol/projection.ts";
import { checkMediaType, filterOf, parseJsonObject, projectionOf } from "./protocol/request.ts";
import { errorResponse, scimResponse } from "./protocol/response.ts";
import { ENDPOINTS, SCIM_BASE_PATH, type ScimKind } from "./protocol/scimmy.ts";
import {
  type Caller,
  createResource,
  deleteResource,
  getResource,
  listResources,
  patchResource,
  replaceResource,
  type ScimDeps,
} from "./resources.ts";

/**
 * The SCIM service provider's HTTP side, shared by the two route shells in src/functions/ (I/O shell):
 * the bearer token, the target (`{resource}` and `{id}` route parameters), the body, the answer.
 * Identity providers cannot send a function key, so the routes are anonymous and the token is checked
 * here, before anything else; without SCIM_BEARER_TOKENS the service provider does not exist (404).
 */

export interface ScimHttpDeps extends ScimDeps {
  /** Undefined when SCIM_BEARER_TOKENS is not set. */
  checkBearer: BearerCheck | undefined;
  ready(): Promise<void>;
}

/** A group of 10 000 members PUT at once is about 1 MiB. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const ID = /^[A-Za-z0-9._:-]{1,200}$/;

export async function handleScim(
  request: HttpRequest,
  context: InvocationContext,
  deps: ScimHttpDeps,
): Promise<HttpResponseInit> {
  if (deps.checkBearer === undefined) {
    return errorResponse(scimError(404, undefined, "SCIM provisioning is not configured"));
  }
  const requestedBy = deps.checkBearer(request.headers.get("authorization"));
  if (requestedBy === undefined) {
    return errorResponse(scimError(401, undefined, "A valid Authorization: Bearer token is required"), {
      "www-authenticate": 'Bearer realm="scim"',
    });
  }
  const caller: Caller = {
    requestedBy,
    receivedAt: new Date(deps.clock.now()).toISOString(),
    correlationId: context.invocationId,
  };
  const log = invocationLogger(context, { requestedBy });
  try {
    await deps.ready();
    return await route(request, caller, deps);
  } catch (error) {
    const failure = failureOf(error);
    if (!failure.expected) log.error("SCIM request failed", { error: (error as Error).message });
    return scimResponse(failure.status, failure.body, failure.status === 503 ? { "retry-after": "5" } : {});
  }
}

async function route(request: HttpRequest, caller: Caller, deps: ScimHttpDeps): Promise<HttpResponseInit> {
  const segment = request.params.resource ?? "";
  const id = request.params.id;
  const method = request.method.toUpperCase();
  const discovery = discoveryEndpoint(segment);
  if (discovery !== undefined) {
    if (method !== "GET") throw scimError(405, undefined, `${discovery} is read-only`);
    return scimResponse(200, await discover(discovery, id));
  }
  const kind = (Object.keys(ENDPOINTS) as ScimKind[]).find(
    (candidate) => ENDPOINTS[candidate].toLowerCase() === segment.toLowerCase(),
  );
  if (kind === undefined) throw scimError(404, undefined, `No SCIM endpoint ${segment}`);
  if (id !== undefined && !ID.test(id)) throw scimError(404, undefined, `No ${kind} has the id ${id}`);
  const projection = projectionOf(request.query);
  const origin = new URL(request.url).origin;
  const answer = (status: number, doc: Json, headers: Record<string, string> = {}) =>
    scimResponse(status, project(kind, doc, projection, origin), headers);

  if (id === undefined && method === "GET") {
    const paging = parsePaging(request.query);
    const query = { filter: filterOf(request.query), paging, withMembers: needsMembers(projection) };
    const { total, page } = await listResources(deps, kind, query);
    const resources = page.map((doc) => project(kind, doc, projection, origin));
    return scimResponse(200, listResponse(total, paging, resources));
  }
  if (id === undefined && method === "POST") {
    const doc = await createResource(deps, kind, await body(request), caller);
    return answer(201, doc, { location: `${origin}${SCIM_BASE_PATH}/${ENDPOINTS[kind]}/${doc.id}` });
  }
  if (id === undefined) throw scimError(405, undefined, `${method} is not allowed on ${ENDPOINTS[kind]}`);
  switch (method) {
    case "GET":
      return answer(200, await getResource(deps, kind, id, needsMembers(projection)));
    case "PUT":
      return answer(200, await replaceResource(deps, kind, id, await body(request), caller));
    case "PATCH": {
      const doc = await patchResource(deps, kind, id, await body(request), caller);
      return patchAnswer(kind, projection) ? answer(200, doc) : scimResponse(204);
    }
    case "DELETE":
      await deleteResource(deps, kind, id, caller);
      return scimResponse(204);
    default:
      throw scimError(405, undefined, `${method} is not allowed on a ${kind}`);
  }
}

/**
 * RFC 7644 §3.5.2 allows 200 with the resource or 204. A user comes back (Okta reads it); a group only
 * when the request names what it wants, since its members may run to thousands and Entra ignores it.
 */
function patchAnswer(kind: ScimKind, projection: Projection): boolean {
  return (
    kind === "User" || projection.attributes !== undefined || projection.excludedAttributes !== undefined
  );
}

async function body(request: HttpRequest): Promise<Json> {
  checkMediaType(request.headers.get("content-type"));
  const read = await readBodyWithin(request.body, MAX_BODY_BYTES);
  if (!read.ok && read.reason === "too-large") {
    throw scimError(413, undefined, `The body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (!read.ok) throw scimError(400, "invalidSyntax", "The body could not be read");
  return parseJsonObject(read.bytes);
}
