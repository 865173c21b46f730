import { ScimError as PatchLibraryError, type ScimPatchOperation, scimPatch } from "scim-patch";
import { canonicalise, fixBooleans, type Json } from "./canonical.ts";
import { scimError } from "./errors.ts";
import type { ScimKind } from "./scimmy.ts";

/**
 * PATCH (RFC 7644 §3.5.2), pure: the identity providers' dialects rewritten into what scim-patch applies,
 * then the result canonicalised like a PUT body. scim-patch walks paths and filters on plain JSON; what
 * it does not take is fixed here, each for a client that sends it:
 * - Entra capitalises `op` ("Add", "Replace", "Remove");
 * - Entra removes members as `{"op":"Remove","path":"members","value":[{"value":id}]}`, which scim-patch
 *   would treat as "remove nothing": rewritten to one `members[value eq "id"]` removal per id;
 * - Entra sends `active` as "False"/"True" and `"$ref": null` (canonical.ts fixBooleans);
 * - Entra sends the enterprise `manager` as a bare id string.
 * Removing a member that is not there succeeds: an identity provider's retry must not fail.
 */

const OPS = new Set(["add", "remove", "replace"]);

const lastSegment = (path: string) =>
  path
    .replace(/\[.*?\]/g, "")
    .split(/[.:]/)
    .pop() ?? path;

export function normaliseOps(operations: unknown): ScimPatchOperation[] {
  if (!Array.isArray(operations) || operations.length === 0) {
    throw scimError(400, "invalidSyntax", "Operations must be a non-empty array of PATCH operations");
  }
  return operations.flatMap((raw: unknown): ScimPatchOperation[] => {
    const operation = (raw ?? {}) as Json;
    const op = String(operation.op ?? "").toLowerCase();
    if (!OPS.has(op)) {
      throw scimError(
        400,
        "invalidSyntax",
        `op must be add, remove or replace, not ${JSON.stringify(operation.op)}`,
      );
    }
    const path =
      typeof operation.path === "string" && operation.path.trim() !== "" ? operation.path.trim() : undefined;
    let value = fixBooleans(operation.value, path === undefined ? undefined : lastSegment(path));
    if (op === "remove") {
      if (path === undefined) throw scimError(400, "noTarget", "A remove operation needs a path");
      if (path.toLowerCase() === "members" && value !== undefined) {
        const ids = (Array.isArray(value) ? value : [value])
          .map((member) => (member as Json | undefined)?.value)
          .filter((id): id is string => typeof id === "string");
        return ids.map((id) => ({ op: "remove", path: `members[value eq ${JSON.stringify(id)}]` }));
      }
      return [{ op: "remove", path }];
    }
    if (path !== undefined && /(^|:)manager$/i.test(path) && typeof value === "string") value = { value };
    const addOrReplace = op as "add" | "replace";
    return [path === undefined ? { op: addOrReplace, value } : { op: addOrReplace, path, value }];
  });
}

/** The stored resource after a PATCH body, or a SCIM 400 naming what is wrong. */
export function applyPatch(kind: ScimKind, stored: Json, body: unknown): Json {
  const request = (body ?? {}) as Json;
  const operations = normaliseOps(request.Operations ?? request.operations);
  let patched: Json;
  try {
    // Both options always: scim-patch's defaults are {mutateDocument: true, treatMissingAsAdd: true},
    // and passing only one of them turns the other off.
    patched = scimPatch(structuredClone(stored) as never, operations, {
      mutateDocument: false,
      treatMissingAsAdd: true,
    }) as Json;
  } catch (error) {
    const scimType = error instanceof PatchLibraryError ? error.scimCode : undefined;
    throw scimError(400, scimType ?? "invalidValue", (error as Error).message);
  }
  return canonicalise(kind, patched, { id: String(stored.id), meta: stored.meta as Json });
}
