import type { Json } from "./canonical.ts";
import { scimError } from "./errors.ts";
import { SCIMMY, ScimError } from "./scimmy.ts";

/**
 * SCIM filters (RFC 7644 §3.4.2.2), pure: scimmy parses and evaluates them; around it, what SCIM asks and
 * scimmy does not do, and what its parser lets through:
 * - attribute names are case-insensitive, and so are string values except of case-exact attributes
 *   (`id`, `externalId`, `$ref`; `meta` dates are compared as they are): both the expression and the
 *   resource are folded to lower case before matching. Entra's "Test Connection" and Okta's lookups
 *   send `userName eq "Alice@…"` in whatever case;
 * - the core schema's URN may prefix an attribute (`urn:…:core:2.0:User:userName`);
 * - scimmy accepts `userName eq` (no value) and a dangling `and`/`or`, and throws a TypeError on
 *   some garbage: all answered 400 invalidFilter here, never as a silently different filter.
 * Do not swap in scim2-parse-filter: it reads `emails[type eq "work"].value eq "x"` as "has a work email
 * and any email is x".
 */

const CASE_EXACT = new Set(["id", "externalid", "$ref", "meta"]);
const COMPARE_OPS = new Set(["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"]);
const CORE_PREFIX = /(^|[\s([])urn:ietf:params:scim:schemas:core:2\.0:(?:User|Group):/gi;

/**
 * An equality on the id or an attribute the store keeps a column for: lets it read fewer rows
 * (scim-store.ts). Entra checks membership with `id eq "…" and members[value eq "…"]`, which would
 * otherwise read every group's members.
 */
export interface FilterHint {
  attribute: "id" | "username" | "externalid" | "displayname";
  /** Folded as the filter compares it: lower case except for id and externalId. */
  value: string;
}

export interface CompiledFilter {
  matches(resource: Json): boolean;
  hint: FilterHint | undefined;
}

const invalid = (detail: string) => scimError(400, "invalidFilter", detail);

export function compileFilter(expression: string): CompiledFilter {
  const text = expression.trim().replace(CORE_PREFIX, "$1");
  if (/(^|\s)(and|or|not)\s*$/i.test(text)) throw invalid(`The filter ends in an operator: ${expression}`);
  let branches: Json[];
  try {
    branches = [...new SCIMMY.Types.Filter(text)] as Json[];
  } catch (error) {
    if (error instanceof ScimError) throw error;
    throw invalid(`The filter cannot be parsed: ${expression}`);
  }
  branches.forEach((branch) => {
    checkComparisons(branch, expression);
  });
  const folded = branches.map((branch) => foldExpression(branch) as Json);
  const filter = new SCIMMY.Types.Filter(folded);
  return {
    matches: (resource) => filter.match([fold(resource)]).length === 1,
    hint: hintOf(folded),
  };
}

/** Every comparison has an operator scimmy knows and, unless it is `pr`, a value. */
function checkComparisons(node: unknown, expression: string): void {
  if (!Array.isArray(node)) {
    for (const child of Object.values(node as Json)) checkComparisons(child, expression);
    return;
  }
  if (node.every(Array.isArray)) {
    for (const child of node) checkComparisons(child, expression);
    return;
  }
  const [first, ...rest] = node as unknown[];
  const [op, ...values] = first === "not" ? rest : [first, ...rest];
  const complete = op === "pr" ? values.length === 0 : COMPARE_OPS.has(String(op)) && values.length === 1;
  if (!complete) throw invalid(`A comparison is incomplete in the filter: ${expression}`);
}

function foldExpression(node: unknown, key = ""): unknown {
  if (!Array.isArray(node)) {
    return Object.fromEntries(
      Object.entries(node as Json).map(([name, child]) => [name.toLowerCase(), foldExpression(child, name)]),
    );
  }
  if (node.every(Array.isArray)) return node.map((child) => foldExpression(child, key));
  if (CASE_EXACT.has(key.toLowerCase())) return node;
  return node.map((item, index) =>
    index === node.length - 1 && typeof item === "string" ? item.toLowerCase() : item,
  );
}

/** A resource with lower-case attribute names and values, case-exact attributes kept as they are. */
export function fold(value: unknown, key = ""): unknown {
  if (CASE_EXACT.has(key.toLowerCase())) return value;
  if (typeof value === "string") return value.toLowerCase();
  if (Array.isArray(value)) return value.map((item) => fold(item, key));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [name.toLowerCase(), fold(item, name)]),
    );
  }
  return value;
}

function hintOf(branches: Json[]): FilterHint | undefined {
  const [only, ...others] = branches;
  if (only === undefined || others.length > 0) return undefined;
  for (const attribute of ["id", "username", "externalid", "displayname"] as const) {
    const comparison = only[attribute];
    if (Array.isArray(comparison) && comparison[0] === "eq" && typeof comparison[1] === "string") {
      return { attribute, value: comparison[1] };
    }
  }
  return undefined;
}
