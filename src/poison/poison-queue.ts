import type { QueueClient } from "@azure/storage-queue";
import type { StatusStore } from "../changes/status-store.ts";
import type { Clock } from "../clock.ts";
import { type PoisonQueueKind, planReplay, type ReplayPlan } from "./plan.ts";
import { PEEK_LIMIT, type PoisonMessage, type ReplayRequest, type ReplayResult } from "./schemas.ts";

/**
 * Listing and replaying a poison queue: the I/O shell around `planReplay` (./plan.ts), behind
 * `GET /api/poison/{queue}` and `POST /api/poison/{queue}/replay` (design §3, §4.1).
 */

export interface PoisonQueueDeps {
  poison: QueueClient;
  /** Where replayed messages go: the public requests queue, so they are validated again. */
  requests: QueueClient;
  store: Pick<StatusStore, "get">;
  clock: Pick<Clock, "now">;
}

/** Received messages stay hidden this long while a replay decides; those it leaves are shown again at its end. */
const VISIBILITY_SECONDS = 30;
/**
 * A new round of receives starts only this early in a replay, so every message received is sent on and
 * deleted, or shown again, well before its receipt expires: a late delete would fail after the send, and
 * the operator's retry would replay the message twice. Whatever is left waits for the next call.
 */
const NEW_ROUNDS_WITHIN_MS = (VISIBILITY_SECONDS * 1000) / 2;

function toMessage(item: { messageId: string; insertedOn: Date }, plan: ReplayPlan): PoisonMessage {
  return { messageId: item.messageId, insertedOn: item.insertedOn.toISOString(), ...plan.summary };
}

/** The first messages of the queue (a peek: nothing is hidden or changed). */
export async function listPoison(poison: QueueClient, kind: PoisonQueueKind): Promise<PoisonMessage[]> {
  const { peekedMessageItems: items } = await poison.peekMessages({ numberOfMessages: PEEK_LIMIT });
  return items.map((item) => toMessage(item, planReplay(kind, item.messageId, item.messageText)));
}

type Verdict = { replay: true; text: string; newRequestId?: string } | { replay: false; reason: string };

/**
 * Only a change recorded as failed is tried again: a job poisoned for another reason (a lost claim race,
 * a held removal) must not bypass what its record says.
 */
async function decide(
  kind: PoisonQueueKind,
  item: { messageId: string; messageText: string },
  store: PoisonQueueDeps["store"],
): Promise<Verdict> {
  const plan = planReplay(kind, item.messageId, item.messageText);
  if (!plan.replay) return { replay: false, reason: plan.why };
  if (plan.requestId !== undefined) {
    const status = (await store.get(plan.requestId))?.doc.status;
    if (status !== "failed") {
      return { replay: false, reason: `its change ${plan.requestId} is ${status ?? "unknown"}, not failed` };
    }
  }
  return {
    replay: true,
    text: plan.text,
    ...(plan.newRequestId === undefined ? {} : { newRequestId: plan.newRequestId }),
  };
}

function replayed(messageId: string, verdict: Verdict & { replay: true }): ReplayResult["replayed"][number] {
  return { messageId, ...(verdict.newRequestId === undefined ? {} : { requestId: verdict.newRequestId }) };
}

export async function replayPoison(
  deps: PoisonQueueDeps,
  kind: PoisonQueueKind,
  request: ReplayRequest,
): Promise<Omit<ReplayResult, "queue">> {
  const wanted = request.ids === undefined ? undefined : new Set(request.ids);
  const result = request.dryRun
    ? await dryRun(deps, kind, wanted)
    : await replayReceived(deps, kind, wanted, request.max);
  const found = new Set([...result.replayed, ...result.skipped].map((entry) => entry.messageId));
  const missing = [...(wanted ?? [])].filter((id) => !found.has(id));
  return {
    dryRun: request.dryRun,
    replayed: result.replayed,
    skipped: [
      ...result.skipped,
      ...missing.map((messageId) => ({ messageId, reason: "not found among the messages looked at" })),
    ],
  };
}

/** A dry run only peeks (the first 32), so it hides nothing from a real replay right after it. */
async function dryRun(
  deps: PoisonQueueDeps,
  kind: PoisonQueueKind,
  wanted: Set<string> | undefined,
): Promise<Pick<ReplayResult, "replayed" | "skipped">> {
  const { peekedMessageItems: items } = await deps.poison.peekMessages({ numberOfMessages: PEEK_LIMIT });
  const out: Pick<ReplayResult, "replayed" | "skipped"> = { replayed: [], skipped: [] };
  for (const item of items) {
    if (wanted !== undefined && !wanted.has(item.messageId)) continue;
    const verdict = await decide(kind, item, deps.store);
    if (verdict.replay) out.replayed.push(replayed(item.messageId, verdict));
    else out.skipped.push({ messageId: item.messageId, reason: verdict.reason });
  }
  return out;
}

async function replayReceived(
  deps: PoisonQueueDeps,
  kind: PoisonQueueKind,
  wanted: Set<string> | undefined,
  max: number,
): Promise<Pick<ReplayResult, "replayed" | "skipped">> {
  const out: Pick<ReplayResult, "replayed" | "skipped"> = { replayed: [], skipped: [] };
  // Messages received but left where they are; shown again at the end instead of after the timeout.
  const left: { messageId: string; popReceipt: string }[] = [];
  let seen = 0;
  const startedAt = deps.clock.now();
  // Bounded: every round hides what it received, so the queue cannot hand the same message back
  // within the run; at most max/32 + 1 rounds, and none started late.
  for (
    let round = 0;
    seen < max && round <= Math.ceil(max / PEEK_LIMIT) && deps.clock.now() - startedAt < NEW_ROUNDS_WITHIN_MS;
    round++
  ) {
    const { receivedMessageItems: items } = await deps.poison.receiveMessages({
      numberOfMessages: Math.min(PEEK_LIMIT, max - seen),
      visibilityTimeout: VISIBILITY_SECONDS,
    });
    if (items.length === 0) break;
    for (const item of items) {
      seen += 1;
      if (wanted !== undefined && !wanted.has(item.messageId)) {
        left.push(item);
        continue;
      }
      const verdict = await decide(kind, item, deps.store);
      if (!verdict.replay) {
        out.skipped.push({ messageId: item.messageId, reason: verdict.reason });
        left.push(item);
        continue;
      }
      await deps.requests.sendMessage(verdict.text);
      await deps.poison.deleteMessage(item.messageId, item.popReceipt);
      out.replayed.push(replayed(item.messageId, verdict));
    }
    if (wanted !== undefined && out.replayed.length + out.skipped.length >= wanted.size) break;
  }
  for (const item of left) await deps.poison.updateMessage(item.messageId, item.popReceipt, undefined, 0);
  return out;
}
