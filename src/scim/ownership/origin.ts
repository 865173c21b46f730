import type { AcceptInput } from "../../changes/accept.ts";
import { httpChangeSchema } from "../../changes/model.ts";
import type { ScimEvent } from "../events.ts";
import type { PlannedChange } from "./plan.ts";

/**
 * Where owner changes planned from SCIM come from, and the idempotency keys that follow (pure).
 *
 * Two transitions are **the same** when they are the same write of the same resource: the same group
 * or user moved from the same stored version. Only then may their owner changes be taken for repeats.
 * - An identity provider that retries a request whose write was stored finds the write already made:
 *   the store reports no change (or a 404 for a delete), nothing is planned, nothing is repeated.
 * - A retry of a write that was not stored starts from the same version again; when the store keeps
 *   a version that changes with every write (`meta.version`, the resource's ETag), that retry gets the
 *   same keys, so changes the first attempt accepted before failing are not made twice.
 * - The same *content* is not enough: a member added, removed and added again moves the group through
 *   the same two member lists twice, and the second add must not be taken for a repeat of the first.
 *   So without a stored version the write is named by its arrival (occurredAt + correlation id), and
 *   a repeat then makes a second, harmless change (already-owner / not-owner), never a lost one.
 * - A created resource has a new id, so "created" is its version; a mapping change is named by the
 *   mapping row's generation, which counts every change of that group's mapping (../mappings-store.ts).
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
  const version =
    change.before === undefined
      ? "created"
      : (storedVersion(change.before) ?? `arrived ${event.occurredAt} ${event.correlationId}`);
  return {
    writeId: `${type}/${resource.id} ${version}`,
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

function storedVersion(resource: object): string | undefined {
  const meta = (resource as { meta?: { version?: unknown } }).meta;
  return typeof meta?.version === "string" && meta.version !== "" ? `version ${meta.version}` : undefined;
}
