import type { AcceptInput } from "../../changes/accept.ts";
import { httpChangeSchema } from "../../changes/model.ts";
import type { ScimEvent } from "../events.ts";
import type { PlannedChange } from "./plan.ts";

/**
 * Where owner changes planned from SCIM come from, and the idempotency keys that follow (pure).
 *
 * Two SCIM events are **the same** when they report the same arrival of a request: the same resource,
 * `occurredAt` and correlation id (the invocation that received it). That is the provider calling the
 * sink twice for one request, and its changes then get the same keys and are accepted once.
 *
 * An identity provider's retry is a new arrival, and is deliberately not taken for the first one:
 * - a retry of a write that was stored and reported finds it made: the store reports no change (or a 404
 *   for a delete) and nothing is planned;
 * - a retry of a write whose report failed is reported again by the store, from the state last
 *   reported (src/scim/store/rows.ts), and its changes are accepted anew. Some may repeat changes the
 *   failed report had accepted; a repeat finds the work done (`already-owner`, `not-owner`).
 * - Keys from content or from the last reported version would make such retries exact repeats, but would
 *   also merge writes that are not the same: a member added, removed and added again passes through the
 *   same member lists twice, and while reports keep failing every one of those writes starts from the
 *   same reported version. Taking the third for a repeat of the first loses the add without a trace; a
 *   repeated change is visible and harmless, so we accept that cost instead.
 * A mapping change is keyed by the mapping row's generation, which counts every change of that group's
 * mapping (../mappings-store.ts): an admin's retry after a failure plans from the same generation, and
 * so makes exactly the same changes.
 *
 * The key also holds the change's iTwin, address and action, so one write's changes have distinct keys.
 */

export interface Origin {
  /** Names the write the changes come from; equal for two transitions only when they are the same. */
  writeId: string;
  requestedBy: string;
  occurredAt: string;
  correlationId: string;
}

export function originOfEvent(event: ScimEvent): Origin {
  const { change } = event;
  const resource =
    change.kind === "user-written" || change.kind === "group-written" ? change.after : change.before;
  const type = change.kind.startsWith("user") ? "User" : "Group";
  return {
    writeId: `${type}/${resource.id} at ${event.occurredAt} ${event.correlationId}`,
    requestedBy: event.requestedBy,
    occurredAt: event.occurredAt,
    correlationId: event.correlationId,
  };
}

export function originOfMapping(
  groupId: string,
  generation: number,
  at: { requestedBy: string; occurredAt: string; correlationId: string },
): Origin {
  return { writeId: `Group/${groupId} mapping generation ${generation}`, ...at };
}

/** Every planned change as the accept path takes it: the same schema as the other intakes, via "scim". */
export function acceptInputs(planned: readonly PlannedChange[], origin: Origin): AcceptInput[] {
  return planned.map((change) => ({
    change: httpChangeSchema.parse({
      itwinId: change.itwinId,
      email: change.email,
      action: change.action,
      source: "scim",
      reason: change.reason,
      requestedBy: origin.requestedBy,
      occurredAt: origin.occurredAt,
    }),
    idempotencyKey: `${origin.writeId} ${change.action} ${change.itwinId} ${change.email}`,
    via: "scim",
    correlationId: origin.correlationId,
  }));
}
