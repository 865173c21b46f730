/**
 * Watching the run from the outside: the status table (which document belongs to which request of
 * the workload, how many are terminal, which are held), and at the end everything the checks need —
 * documents, poison queues, and the simulator's owners, invitations and applied writes.
 */
import { RestError, type TableClient } from "@azure/data-tables";
import type { RunningSimulator } from "../../dev/simulator/server.ts";
import { receiveAll } from "../../dev/stack/queues.ts";
import { readStatusDocs, readStatusRows } from "../lib/status.ts";
import { JOBS_QUEUE, REQUESTS_QUEUE, type Submitted } from "./drive.ts";
import type { Observation, ObservedDoc } from "./model.ts";
import { SOURCE, type Workload } from "./workload.ts";

const TERMINAL = new Set(["succeeded", "failed", "rejected"]);

interface StoredDoc extends ObservedDoc {
  source?: string;
  senderId?: string;
  via?: string;
  correlationId?: string;
}

export interface Progress {
  /** Requests of the workload whose (first) document is terminal. */
  terminal: number;
  /** Request indexes whose document is held now, with the document id. */
  held: { index: number; id: string }[];
}

/**
 * Maps status documents to requests: by the id an HTTP answer named, by the sender's `id` (our
 * `c-<index>` with source `chaos`), or by the queue message id the app keyed a message by (it is the
 * document's correlation id). A document that maps to nothing is a stray.
 */
export class StatusWatcher {
  readonly #requestById = new Map<string, number>();
  readonly #unplaced = new Map<string, StoredDoc>();
  readonly #status = new Map<string, string>();

  constructor(
    private readonly table: TableClient,
    private readonly workload: Workload,
    private readonly submitted: Submitted,
  ) {}

  /** One scan of the table (status columns only; a document is read once, the first time it is seen). */
  async poll(): Promise<Progress> {
    this.#learnAnswers();
    const rows = await readStatusRows(this.table);
    for (const row of rows) {
      this.#status.set(row.id, row.status);
      if (!this.#requestById.has(row.id)) {
        // Kept until it can be placed: its HTTP answer or message id may arrive after the row does.
        const doc = this.#unplaced.get(row.id) ?? (await this.#read(row.id));
        if (doc === undefined) continue;
        const index = this.#identify(doc);
        if (index === "stray") this.#unplaced.set(row.id, doc);
        else {
          this.#unplaced.delete(row.id);
          this.#requestById.set(row.id, index);
        }
      }
    }
    const firstDoc = new Map<number, string>();
    for (const [id, index] of this.#requestById) {
      if (!firstDoc.has(index) && this.#status.has(id)) firstDoc.set(index, id);
    }
    let terminal = 0;
    const held: Progress["held"] = [];
    for (const [index, id] of firstDoc) {
      const status = this.#status.get(id);
      if (status !== undefined && TERMINAL.has(status)) terminal += 1;
      else if (status === "held") held.push({ index, id });
    }
    return { terminal, held };
  }

  /** Every document, read in full, sorted to requests. */
  async documents(): Promise<{ docsByRequest: ObservedDoc[][]; strayDocs: ObservedDoc[] }> {
    const docsByRequest: ObservedDoc[][] = this.workload.requests.map(() => []);
    const strayDocs: ObservedDoc[] = [];
    this.#learnAnswers();
    for (const stored of await readStatusDocs(this.table)) {
      const doc = stored as StoredDoc;
      const index = this.#requestById.get(doc.id) ?? this.#identify(doc);
      if (index === "stray") strayDocs.push(doc);
      else docsByRequest[index]?.push(doc);
    }
    return { docsByRequest, strayDocs };
  }

  /** Ids the HTTP answers named (the submission keeps adding them while the watcher runs). */
  #learnAnswers(): void {
    for (const [index, id] of this.submitted.idByRequest) {
      if (this.#requestById.get(id) !== index) this.#requestById.set(id, index);
    }
  }

  #identify(doc: StoredDoc): number | "stray" {
    const sender = doc.source === SOURCE ? /^c-(\d+)$/.exec(doc.senderId ?? "") : null;
    if (sender?.[1] !== undefined) {
      const index = Number(sender[1]);
      if (index < this.workload.requests.length) return index;
    }
    const byMessage =
      doc.via === "queue" ? this.submitted.requestByMessageId.get(doc.correlationId ?? "") : undefined;
    return byMessage ?? "stray";
  }

  async #read(id: string): Promise<StoredDoc | undefined> {
    try {
      const entity = await this.table.getEntity<{ document: string }>(id, "status");
      return JSON.parse(entity.document) as StoredDoc;
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
}

/** Drains both poison queues (the run is over; nothing else reads them). */
export async function readPoison(
  connectionString: string,
): Promise<Pick<Observation, "requestsPoison" | "jobsPoison">> {
  const requests = await receiveAll(connectionString, `${REQUESTS_QUEUE}-poison`);
  const jobs = await receiveAll(connectionString, `${JOBS_QUEUE}-poison`);
  return {
    requestsPoison: requests.map((text) => {
      try {
        return JSON.parse(text) as { original?: string; reason?: string };
      } catch {
        return { original: text };
      }
    }),
    jobsPoison: jobs,
  };
}

/** The simulator's end state for the workload's iTwins. */
export function readSimulator(
  simulator: RunningSimulator,
  workload: Workload,
): Pick<Observation, "owners" | "invitations" | "writes"> {
  const { state } = simulator;
  return {
    owners: new Map(
      workload.itwins.map((itwin) => [itwin.id, state.owners(itwin.id).map((member) => member.email)]),
    ),
    invitations: new Map(
      workload.itwins.map((itwin) => [
        itwin.id,
        state.invitations(itwin.id).map((invitation) => invitation.email),
      ]),
    ),
    writes: state.appliedWrites(),
  };
}
