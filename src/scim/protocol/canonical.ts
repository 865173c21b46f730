import { scimError } from "./errors.ts";
import { SCIMMY, ScimError, type ScimKind } from "./scimmy.ts";

/**
 * Turns what an identity provider sent into the form we store (pure): POST and PUT bodies, and the
 * result of applying a PATCH. scimmy's schema coercion ("in" direction) does the heavy part: attribute
 * names in their canonical case, types checked, read-only and unknown attributes dropped (Okta's full
 * PUT echoes `id`, `meta`, `groups`; a `password` is never kept). Around it, the dialects scimmy refuses:
 * Entra's `"False"` for a boolean, `"$ref": null` in members; and our own rules: members listed once,
 * each member value usable as a table key.
 */

export type Json = Record<string, unknown>;

const BOOLEAN_ATTRIBUTES = new Set(["active", "primary"]);

/**
 * Entra sends booleans as "True"/"False" (any case): converted for the boolean attributes, at any depth.
 * Null-valued keys are dropped: Entra's `"$ref": null` means "no reference", and scimmy would refuse it.
 */
export function fixBooleans(value: unknown, key?: string): unknown {
  if (typeof value === "string" && key !== undefined && BOOLEAN_ATTRIBUTES.has(key.toLowerCase())) {
    if (/^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  }
  if (Array.isArray(value)) return value.map((item) => fixBooleans(item, key));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== null)
        .map(([name, item]) => [name, fixBooleans(item, name)]),
    );
  }
  return value;
}

/**
 * Member values become table row keys (store/rows.ts), which must not hold `/ \ # ?`, control characters,
 * or our `|` separator. Identity providers send the ids we issued (UUIDs); anything else is refused.
 */
export const MEMBER_VALUE = /^[A-Za-z0-9._:@-]{1,200}$/;

export interface Identity {
  id: string;
  meta: Json;
}

/** The stored form of a resource: canonical attributes, our own `id` and `meta`, members once each. */
export function canonicalise(kind: ScimKind, body: unknown, identity: Identity): Json {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw scimError(400, "invalidSyntax", `A ${kind} must be a JSON object`);
  }
  const schema = kind === "User" ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
  let clean: Json;
  try {
    clean = JSON.parse(JSON.stringify(new schema(fixBooleans(body) as Json, "in"))) as Json;
  } catch (error) {
    // scimmy reports a missing or mistyped attribute as a TypeError; its own SCIMErrors pass through.
    if (error instanceof ScimError) throw error;
    throw scimError(400, "invalidValue", (error as Error).message);
  }
  delete clean.id;
  delete clean.meta;
  if (Array.isArray(clean.members)) clean.members = uniqueMembers(clean.members as Json[]);
  return { ...clean, id: identity.id, meta: identity.meta };
}

function uniqueMembers(members: Json[]): Json[] {
  const seen = new Set<string>();
  const unique: Json[] = [];
  for (const member of members) {
    const value = member.value;
    if (typeof value !== "string" || !MEMBER_VALUE.test(value)) {
      throw scimError(
        400,
        "invalidValue",
        `members: ${JSON.stringify(value)} is not the id of a User or Group`,
      );
    }
    // Okta's "add" of a member already present, and Entra's repeats, must not list it twice.
    if (seen.has(value)) continue;
    seen.add(value);
    unique.push(member);
  }
  return unique;
}
