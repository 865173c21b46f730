import type { QueueClient } from "@azure/storage-queue";
import type { Job, JobBundle, StatusDocument } from "../../src/changes/model.ts";
import { isTerminal } from "../../src/changes/status.ts";
import type { PendingChange, StatusStore, StoredStatus } from "../../src/changes/status-store.ts";
import { isOwnerEvidence, type OwnershipFact, replaces } from "../../src/people/ownership.ts";
import type { KnownOwnership, PersonIndex } from "../../src/people/person-index.ts";
import { ConcurrentUpdateError, type Row, type RowStore } from "../../src/storage/rows.ts";

/**
 * In-memory stand-ins for the unit tests of the worker and the accept path. They implement the same
 * interfaces as the table-backed stores (the compiler checks it), and the coordination rules run
 * unchanged over MemoryRows: only the storage is replaced, never a decision.
 */

export class MemoryStatusStore implements StatusStore {
  readonly rows = new Map<string, StoredStatus>();
  readonly pending = new Map<string, number>();
  private version = 0;

  /** Puts a document as if accepted earlier, bypassing create's repeat detection. */
  put(doc: StatusDocument): void {
    this.rows.set(doc.id, { doc, fingerprint: "f", etag: this.nextEtag() });
  }

  async create(doc: StatusDocument, fingerprint: string) {
    // Like the table's insert of the pending row: a repeat never refreshes it.
    if (!this.pending.has(doc.id)) this.pending.set(doc.id, Date.parse(doc.createdAt));
    const existing = this.rows.get(doc.id);
    if (existing !== undefined) return { created: false as const, existing };
    const etag = this.nextEtag();
    this.rows.set(doc.id, { doc, fingerprint, etag });
    return { created: true as const, etag };
  }

  async createMany(items: readonly { doc: StatusDocument; fingerprint: string }[]) {
    const results = [];
    for (const { doc, fingerprint } of items) results.push(await this.create(doc, fingerprint));
    return results;
  }

  async get(id: string) {
    return this.rows.get(id);
  }

  async replace(doc: StatusDocument, fingerprint: string, etag: string) {
    if (this.rows.get(doc.id)?.etag !== etag) throw new ConcurrentUpdateError(`status of ${doc.id}`);
    const next = this.nextEtag();
    this.rows.set(doc.id, { doc, fingerprint, etag: next });
    if (isTerminal(doc.status)) this.pending.delete(doc.id);
    return next;
  }

  async listPending(before: Date, max: number): Promise<PendingChange[]> {
    return [...this.pending]
      .filter(([, since]) => since < before.getTime())
      .slice(0, max)
      .map(([id, since]) => ({ id, since }));
  }

  async forgetPending(id: string) {
    this.pending.delete(id);
  }

  private nextEtag(): string {
    return `e${this.version++}`;
  }
}

/** Rows with ETags, as Table Storage keeps them; `swap` retries nothing because nothing runs between. */
export class MemoryRows implements RowStore {
  readonly rows = new Map<string, Row & { etag: string }>();
  private version = 0;

  async read<E extends Row>(partitionKey: string, rowKey: string): Promise<E | undefined> {
    return this.rows.get(`${partitionKey}\u0000${rowKey}`) as (E & { etag: string }) | undefined;
  }

  async swap<E extends Row>(
    partitionKey: string,
    rowKey: string,
    next: (current: E | undefined) => E | undefined,
  ): Promise<boolean> {
    const current = await this.read<E>(partitionKey, rowKey);
    const replacement = next(current);
    if (replacement === undefined) return false;
    if (replacement === current) return true;
    this.rows.set(`${partitionKey}\u0000${rowKey}`, { ...replacement, etag: `r${this.version++}` });
    return true;
  }
}

/** A jobs queue that records what was sent, with the visibility delay in ms. */
export function recordingQueue(): {
  queue: QueueClient;
  sent: { job: Job; delayMs: number }[];
  /** Every message's text as sent: a batch's bundle is one message (`sent` lists its jobs). */
  texts: string[];
} {
  const sent: { job: Job; delayMs: number }[] = [];
  const texts: string[] = [];
  const queue = {
    sendMessage: async (text: string, options?: { visibilityTimeout?: number }) => {
      texts.push(text);
      const delayMs = (options?.visibilityTimeout ?? 0) * 1000;
      const message = JSON.parse(text) as Job | JobBundle;
      for (const job of "jobs" in message ? message.jobs : [message]) sent.push({ job, delayMs });
      return {};
    },
  } as unknown as QueueClient;
  return { queue, sent, texts };
}

/** The per-person index, one fact per (email, iTwin), kept by the same newer-wins rule as the table's. */
export class MemoryPersonIndex implements PersonIndex {
  readonly facts = new Map<string, OwnershipFact>();
  /** When set, every note fails with it: a storage outage. */
  failWith: Error | undefined;

  async note(fact: OwnershipFact): Promise<void> {
    if (this.failWith !== undefined) throw this.failWith;
    const key = `${fact.email}\u0000${fact.itwinId}`;
    if (replaces(fact, this.facts.get(key))) this.facts.set(key, fact);
  }

  async ownedBy(email: string): Promise<KnownOwnership[]> {
    return [...this.facts.values()]
      .filter((fact) => fact.email === email && isOwnerEvidence(fact.evidence))
      .map(({ itwinId, evidence, requestId, seenAt }) => ({ itwinId, evidence, requestId, seenAt }))
      .sort((a, b) => a.itwinId.localeCompare(b.itwinId));
  }
}
