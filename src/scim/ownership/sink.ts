import type { ScimEventSink } from "../events.ts";
import type { MappingsStore } from "../mappings-store.ts";
import { acceptTransition, type OwnershipDeps } from "./accept-transition.ts";
import { originOfEvent } from "./origin.ts";
import { transitionOf } from "./transition.ts";

/**
 * What SCIM means for iTwin ownership, as the sink the SCIM service provider calls after each stored
 * write (I/O shell over ./transition.ts, ./plan.ts and ./origin.ts). It reads the explicit mappings,
 * the affected users and their groups, and accepts the owner changes the write implies; a failure
 * throws, so the provider answers with an error and the identity provider retries.
 */
export function createScimOwnership(deps: OwnershipDeps & { mappings: MappingsStore }): ScimEventSink {
  return async (event) => {
    const mappings = await deps.mappings.all();
    await acceptTransition(transitionOf(event.change, mappings), originOfEvent(event), mappings, deps);
  };
}
