import type { AcceptResult } from "../../changes/accept.ts";
import type { ScimGroup } from "../events.ts";
import type { MappingsStore } from "../mappings-store.ts";
import { acceptTransition, type OwnershipDeps } from "./accept-transition.ts";
import { originOfMapping } from "./origin.ts";
import { mappingTransition } from "./transition.ts";

/**
 * Maps a SCIM group to an iTwin, or unmaps it, and accepts the owner changes that implies (I/O shell):
 * the group's members become owners of the new iTwin and stop being owners of the old one (the one
 * its explicit mapping or its name gave), unless another group keeps them there.
 *
 * The changes are accepted *before* the mapping is written. The other order would lose them when the
 * accept fails after the write: the admin's retry would find the mapping already in place and plan
 * nothing. This way a retry plans the same changes from the same generation, with the same keys, so
 * the ones accepted before the failure are not made twice (./origin.ts).
 */

export type MappingResult =
  | { kind: "no-group" }
  /** Another request changed this group's mapping while this one planned; nothing was written. */
  | { kind: "conflict" }
  | { kind: "done"; group: ScimGroup; results: AcceptResult[] };

export interface MappingRequest {
  groupId: string;
  /** undefined: unmap. */
  itwinId: string | undefined;
  requestedBy: string;
  correlationId: string;
}

export async function changeMapping(
  request: MappingRequest,
  deps: OwnershipDeps & { mappings: MappingsStore },
): Promise<MappingResult> {
  const group = await deps.directory.getGroup(request.groupId);
  if (group === undefined) return { kind: "no-group" };
  const [current, mappings] = await Promise.all([deps.mappings.get(group.id), deps.mappings.all()]);
  if (current.itwinId === request.itwinId) return { kind: "done", group, results: [] };

  const occurredAt = new Date(deps.accept.clock.now()).toISOString();
  const origin = originOfMapping(group.id, current.generation, {
    requestedBy: request.requestedBy,
    occurredAt,
    correlationId: request.correlationId,
  });
  const transition = mappingTransition(group, current.itwinId, request.itwinId);
  const results = await acceptTransition(transition, origin, mappings, deps);
  const stored = await deps.mappings.set(current, request.itwinId, occurredAt, request.requestedBy);
  return stored ? { kind: "done", group, results } : { kind: "conflict" };
}
