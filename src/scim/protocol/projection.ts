import type { Json } from "./canonical.ts";
import { ENDPOINTS, SCIM_BASE_PATH, SCIMMY, type ScimKind } from "./scimmy.ts";

/**
 * A stored resource as a client sees it (pure): `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5)
 * applied by scimmy's "out" coercion, which also drops what is never returned. Entra asks for every
 * group with `excludedAttributes=members`, so a group can be answered without reading its members.
 * `schemas` always comes back (scimmy leaves it out when `attributes` is given, and clients read it),
 * and `meta.location` is absolute, as RFC 7643 §3.1 has it.
 */

export interface Projection {
  attributes?: string | undefined;
  excludedAttributes?: string | undefined;
}

/** Whether the answer will show members: if not, the store need not read them. */
export function needsMembers(projection: Projection): boolean {
  const named = (list: string | undefined) =>
    (list ?? "")
      .split(",")
      .map((name) =>
        name
          .trim()
          .toLowerCase()
          .replace(/^urn:ietf:params:scim:schemas:core:2\.0:group:/, ""),
      )
      .some((name) => name === "members" || name.startsWith("members."));
  if (projection.attributes !== undefined && projection.attributes.trim() !== "") {
    return named(projection.attributes);
  }
  return !named(projection.excludedAttributes);
}

export function project(kind: ScimKind, resource: Json, projection: Projection, origin: string): Json {
  const Resource = kind === "User" ? SCIMMY.Resources.User : SCIMMY.Resources.Group;
  const Schema = kind === "User" ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
  const params: Record<string, string> = {};
  if (projection.attributes) params.attributes = projection.attributes;
  if (projection.excludedAttributes) params.excludedAttributes = projection.excludedAttributes;
  const filter = new Resource(undefined, params).attributes;
  const out = JSON.parse(
    JSON.stringify(new Schema(resource, "out", `${SCIM_BASE_PATH}/${ENDPOINTS[kind]}`, filter)),
  ) as Json;
  const meta = out.meta as Json | undefined;
  if (meta !== undefined) meta.location = `${origin}${SCIM_BASE_PATH}/${ENDPOINTS[kind]}/${resource.id}`;
  return { schemas: resource.schemas, ...out };
}
