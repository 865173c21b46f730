import { createHash } from "node:crypto";
import pMap from "p-map";
import { type AcceptDeps, acceptChange } from "../changes/accept.ts";
import type { Status } from "../changes/model.ts";
import {
  type OffboardDeps,
  type OffboardInput,
  OffboardingKeyReusedError,
  offboardPerson,
} from "../people/offboard.ts";
import { type OffboardingStatus, rollUp } from "../people/rollup.ts";
import type { MappedItem, OffboardRequest } from "./evaluate.ts";

/**
 * A mapped delivery's changes through the one accept path (design §1): each change goes to
 * `acceptChange` and each offboarding to `offboardPerson` (src/people/offboard.ts), with `via: "source"`
 * and an idempotency key, so that a sender's retry of the same delivery makes no second request.
 * Storage is behind the injected dependencies; this module only decides keys and order.
 */

/** What the offboarding needs from a mapped leaver event (`offboardPerson`'s input with `via: "source"`). */
export type OffboardCall = OffboardInput & { idempotencyKey: string; via: "source" };

/** `offboardPerson` as a result like `acceptChange`'s: its reused key is a thrown error there. */
export type Offboard = (
  input: OffboardCall,
) => Promise<
  | { kind: "accepted" | "duplicate"; parentId: string; status: OffboardingStatus }
  | { kind: "key-reused"; parentId: string }
>;

export interface SourceAcceptDeps extends AcceptDeps {
  offboard: Offboard;
}

/** The real offboarding over its stores. Its answer's status is the parent's roll-up as the call left it. */
export function offboardWith(deps: OffboardDeps): Offboard {
  return async (input) => {
    try {
      const result = await offboardPerson(input, deps);
      const status = rollUp(
        result.children.map((child) => child.status),
        0,
      );
      return { kind: result.kind, parentId: result.parentId, status };
    } catch (error) {
      if (error instanceof OffboardingKeyReusedError) return { kind: "key-reused", parentId: error.parentId };
      throw error;
    }
  };
}

export type ItemResult =
  | { kind: "accepted" | "duplicate"; what: "change"; id: string; status: Status }
  | { kind: "accepted" | "duplicate"; what: "offboarding"; id: string; status: OffboardingStatus }
  | { kind: "key-reused"; id: string };

/**
 * The key a delivery is known by when the mapping reads no `id`: the verified Standard Webhooks
 * `webhook-id`, else the body's SHA-256 — a sender retrying a delivery sends the same bytes again.
 */
export function deliveryKey(webhookId: string | undefined, body: Uint8Array): string {
  return webhookId ?? `sha256:${createHash("sha256").update(body).digest("base64url")}`;
}

export interface Delivery {
  /** The mapping's name: every change's `source`, and the scope of its keys. */
  source: string;
  key: string;
  several: boolean;
  correlationId: string;
}

/** Items accepted at once, as in a batch of the HTTP intake: each is two storage round trips. */
const ACCEPT_CONCURRENCY = 10;

/**
 * Accepts every item; the results keep the items' order. An item's key is its `id` when the mapping
 * reads one, else the delivery's key; with a `changes` expression (`several`), `#<index>` is appended,
 * so that one delivery's changes are distinct requests and the same delivery again is the same ones.
 */
export function acceptMapped(
  items: readonly MappedItem[],
  delivery: Delivery,
  deps: SourceAcceptDeps,
): Promise<ItemResult[]> {
  const keyFor = (id: string | undefined, index: number) =>
    `${id ?? delivery.key}${delivery.several ? `#${index}` : ""}`;
  return pMap(
    items,
    async (item, index): Promise<ItemResult> => {
      if (item.kind === "offboard") {
        const result = await deps.offboard(
          offboardCall(item.person, keyFor(item.person.id, index), delivery),
        );
        return result.kind === "key-reused"
          ? { kind: "key-reused", id: result.parentId }
          : { kind: result.kind, what: "offboarding", id: result.parentId, status: result.status };
      }
      const accepted = await acceptChange(
        {
          change: item.change,
          idempotencyKey: keyFor(item.change.id, index),
          via: "source",
          correlationId: delivery.correlationId,
        },
        deps,
      );
      return accepted.kind === "key-reused"
        ? { kind: "key-reused", id: accepted.doc.id }
        : { kind: accepted.kind, what: "change", id: accepted.doc.id, status: accepted.doc.status };
    },
    { concurrency: ACCEPT_CONCURRENCY },
  );
}

function offboardCall(person: OffboardRequest, idempotencyKey: string, delivery: Delivery): OffboardCall {
  const call: OffboardCall = {
    email: person.email,
    source: delivery.source,
    idempotencyKey,
    correlationId: delivery.correlationId,
    via: "source",
  };
  for (const field of ["requestedBy", "reason", "occurredAt"] as const) {
    const value = person[field];
    if (value !== undefined) call[field] = value;
  }
  return call;
}
