import type { Row, RowStore } from "../storage/rows.ts";

/**
 * What worker instances agree on through the status table, besides the status documents: which
 * decision for a person holds (ordering), who holds a lease (exclusion across instances), and which
 * removals a window counted (the mass-removal hold). All rows live in the iTwin's partition; each
 * method is one compare-and-swap whose decision is a pure function of the current row.
 */

export interface SubjectHolder {
  occurredAt: string;
  requestId: string;
}

/** Whether the decision holding a (iTwin, email) is newer than one made at `occurredAt`. */
export function isNewerDecision(holder: SubjectHolder | undefined, occurredAt: string): boolean {
  return holder !== undefined && holder.occurredAt > occurredAt;
}

interface AppliedRow extends Row, SubjectHolder {}

interface LeaseRow extends Row {
  holder: string;
  expiresAt: number;
  generation: number;
}

interface RemovalsRow extends Row {
  /** JSON array of the request ids counted; the threshold keeps it small. */
  requests: string;
}

/** A release that reports a change bumps the lease's generation: other instances' listings are old. */
export function generationAfterRelease(generation: number, changed: boolean): number {
  return generation + (changed ? 1 : 0);
}

const APPLIED_PREFIX = "applied|";
const REMOVALS_PREFIX = "removals|";
const LEASE_PREFIX = "lease|";

export class CoordinationStore {
  constructor(private readonly rows: RowStore) {}

  /**
   * Reserves the (iTwin, email) for a change decided at `occurredAt`, before the API is called: false
   * when a newer decision holds it already — this one is then superseded. The newest decision wins
   * even if applying it fails later: an older one must not undo it.
   */
  reserveSubject(itwinId: string, email: string, occurredAt: string, requestId: string): Promise<boolean> {
    const rowKey = appliedRowKey(email);
    return this.rows.swap<AppliedRow>(itwinId, rowKey, (current) => {
      if (current?.requestId === requestId) return current;
      if (isNewerDecision(current, occurredAt)) return undefined;
      return { partitionKey: itwinId, rowKey, occurredAt, requestId };
    });
  }

  /** The decision holding the (iTwin, email), for the status note of a superseded change. */
  async subjectHolder(itwinId: string, email: string): Promise<SubjectHolder | undefined> {
    const row = await this.rows.read<AppliedRow>(itwinId, appliedRowKey(email));
    return row === undefined ? undefined : { occurredAt: row.occurredAt, requestId: row.requestId };
  }

  /**
   * Counts one removal by `requestId` for the iTwin in the window starting at `windowStart`, unless
   * `limit` other removals were counted there already: returns whether this one fits. A request counts
   * once however often it is retried; concurrent workers never both take the last slot.
   */
  takeRemovalSlot(itwinId: string, windowStart: string, limit: number, requestId: string): Promise<boolean> {
    const rowKey = `${REMOVALS_PREFIX}${windowStart}`;
    return this.rows.swap<RemovalsRow>(itwinId, rowKey, (current) => {
      const requests: string[] = current === undefined ? [] : JSON.parse(current.requests);
      if (requests.includes(requestId)) return current;
      if (requests.length >= limit) return undefined;
      return { partitionKey: itwinId, rowKey, requests: JSON.stringify([...requests, requestId]) };
    });
  }

  /**
   * Takes the lease `name` in the iTwin's partition for `holder`, unless someone else holds it
   * unexpired — or holds it as `takeOverFrom`, a holder the caller knows to be finished. Returns the
   * lease's generation — how many times a holder reported a change through it — or undefined if busy.
   * Taking over a lease that was never released (its holder died, or this holder's earlier delivery
   * did) counts as a change: the dead holder may have changed the iTwin without saying so.
   */
  async acquireLease(
    itwinId: string,
    name: string,
    holder: string,
    now: number,
    ttlMs: number,
    takeOverFrom?: string,
  ): Promise<number | undefined> {
    const rowKey = `${LEASE_PREFIX}${name}`;
    let generation = 0;
    const taken = await this.rows.swap<LeaseRow>(itwinId, rowKey, (current) => {
      const finished = takeOverFrom !== undefined && current?.holder === takeOverFrom;
      if (current !== undefined && current.holder !== holder && current.expiresAt > now && !finished) {
        return undefined;
      }
      const abandoned = current !== undefined && current.holder !== "";
      generation = (current?.generation ?? 0) + (abandoned ? 1 : 0);
      return { partitionKey: itwinId, rowKey, holder, expiresAt: now + ttlMs, generation };
    });
    return taken ? generation : undefined;
  }

  /** Who holds the lease now ("" when released), or undefined if it was never taken. */
  async leaseHolder(itwinId: string, name: string): Promise<string | undefined> {
    return (await this.rows.read<LeaseRow>(itwinId, `${LEASE_PREFIX}${name}`))?.holder;
  }

  /** Gives a lease back; `changed` bumps its generation, telling other instances their view is old. */
  async releaseLease(itwinId: string, name: string, holder: string, changed: boolean): Promise<void> {
    await this.rows.swap<LeaseRow>(itwinId, `${LEASE_PREFIX}${name}`, (current) =>
      current === undefined || current.holder !== holder
        ? current
        : {
            ...current,
            holder: "",
            expiresAt: 0,
            generation: generationAfterRelease(current.generation, changed),
          },
    );
  }
}

/** Row keys may not contain / \ # ? or control characters; URI-encoding removes all of them. */
function appliedRowKey(email: string): string {
  return APPLIED_PREFIX + encodeURIComponent(email);
}
