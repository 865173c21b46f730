import { createHash, randomUUID } from "node:crypto";
import type { OwnerChange } from "./model.ts";

/**
 * Request ids. A change that carries an idempotency key (the `Idempotency-Key` header, the body's `id`,
 * a webhook id, or one the intake derived: design §3) gets an id derived from that key, so a repeat
 * lands on the same status row — the table's insert conflict is the atomic "seen before" check. Keys
 * are scoped by `source`: two systems may both number their changes "4711".
 */
export function requestIdFor(idempotencyKey: string | undefined, source: string | undefined): string {
  if (idempotencyKey === undefined) return `r-${randomUUID()}`;
  const digest = createHash("sha256")
    .update(`${source ?? ""}\u0000${idempotencyKey}`)
    .digest("base64url");
  return `k-${digest.slice(0, 32)}`;
}

/** Ids we hand out contain only these characters; anything else cannot be one of ours. */
export const REQUEST_ID_PATTERN = /^[rk]-[A-Za-z0-9_-]{8,64}$/;

/**
 * Fingerprint of what a change asks for, to tell "the same request again" from "a different request
 * reusing a key" (→ 422). The sender's own id and free-text fields that do not change the effect
 * (reason, requestedBy) are left out on purpose: a retry with a reworded reason is still a retry.
 */
export function payloadFingerprint(change: OwnerChange): string {
  const essence = [
    change.itwinId,
    change.email,
    change.action,
    change.occurredAt ?? "",
    String(change.dryRun),
  ];
  return createHash("sha256").update(essence.join("\u0000")).digest("base64url");
}
