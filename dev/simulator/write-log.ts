/**
 * Every write the owners API applied: a POST that created a member or an invitation, a DELETE that
 * removed a member. Answers that changed nothing (409 already an owner, an existing invitation handed
 * back, 404) are not writes. A client that retries after a lost answer leaves one entry here and two
 * requests in the stats, which is how a test tells "applied once" from "applied twice". Pure.
 */

export type AppliedWriteKind = "member-added" | "invitation-created" | "member-removed";

export interface AppliedWrite {
  /** 1, 2, 3 … in the order the writes were applied; `since` in `list` pages on it. */
  seq: number;
  /** The simulator's clock, ISO 8601. */
  at: string;
  itwinId: string;
  /** As the API knows it (a removed "missing user" has none). */
  email: string | null;
  kind: AppliedWriteKind;
  /** The member created or removed. */
  memberId?: string;
  invitationId?: string;
}

/** Bounded, so a simulator left running for days does not grow without end; the oldest go first. */
export const MAX_WRITES = 1_000_000;

export class WriteLog {
  #writes: AppliedWrite[] = [];
  #seq = 0;

  constructor(private readonly now: () => number) {}

  record(write: Omit<AppliedWrite, "seq" | "at">): AppliedWrite {
    this.#seq += 1;
    const entry: AppliedWrite = { seq: this.#seq, at: new Date(this.now()).toISOString(), ...write };
    this.#writes.push(entry);
    if (this.#writes.length > MAX_WRITES) this.#writes.splice(0, this.#writes.length - MAX_WRITES);
    return entry;
  }

  /** Writes with `seq` greater than `since` (default: all), oldest first (copies). */
  list(since = 0): AppliedWrite[] {
    return this.#writes.filter((write) => write.seq > since).map((write) => ({ ...write }));
  }

  clear(): void {
    this.#writes = [];
  }
}
