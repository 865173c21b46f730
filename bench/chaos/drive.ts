/**
 * Putting the workload into the app the ways its senders do: HTTP batches and single keyed POSTs to
 * whichever runner is alive, messages on `owner-change-requests`, repeats of both, copies of accepted
 * jobs on the jobs queue, and garbage. Every HTTP call is retried (runners die mid-request) and is safe
 * to retry: every request carries an id or an Idempotency-Key.
 */
import { setTimeout as delay } from "node:timers/promises";
import { TableClient } from "@azure/data-tables";
import { queueClient } from "../../dev/stack/queues.ts";
import { jobFor } from "../../src/changes/accept.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { sendJob } from "../../src/storage/messages.ts";
import { runPool } from "../lib/util.ts";
import type { RequestPlan, Workload } from "./workload.ts";
import { SOURCE } from "./workload.ts";

export const REQUESTS_QUEUE = "owner-change-requests";
export const JOBS_QUEUE = "owner-change-jobs";
export const STATUS_TABLE = "OwnerChanges";

/** How the harness reaches the app: live runner URLs (they change as runners die) and storage. */
export interface AppAccess {
  urls(): string[];
  connectionString: string;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

/**
 * POSTs JSON to one of the live runners; a refused connection, a cut-off answer or a 5xx (storage
 * down) is retried on the next runner until `deadline`. 2xx and 4xx answers are returned.
 */
export async function postApp(
  app: AppAccess,
  path: string,
  body: unknown,
  options: { headers?: Record<string, string>; deadline: number },
): Promise<HttpAnswer> {
  let lastError = "";
  for (let attempt = 0; Date.now() < options.deadline; attempt++) {
    app.signal?.throwIfAborted();
    const urls = app.urls();
    const url = urls[attempt % Math.max(1, urls.length)];
    if (url !== undefined) {
      try {
        const response = await fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...options.headers },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (response.status < 500) {
          return {
            status: response.status,
            body: text === "" ? undefined : JSON.parse(text),
            headers: response.headers,
          };
        }
        lastError = `${response.status} ${text.slice(0, 200)}`;
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    await delay(Math.min(2_000, 200 * (attempt + 1)), undefined, { signal: app.signal });
  }
  throw new Error(`POST ${path} did not get an answer before the deadline (last: ${lastError})`);
}

/** Runs a storage call, retrying while storage is unreachable (azurite restarting) until `deadline`. */
async function retrying<T>(app: AppAccess, deadline: number, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    app.signal?.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await delay(Math.min(2_000, 200 * (attempt + 1)), undefined, { signal: app.signal });
    }
  }
}

/** Sends a queue message (the runners created the queues when they started). Returns its id. */
async function sendMessage(app: AppAccess, queue: string, text: string, deadline: number): Promise<string> {
  const client = queueClient(app.connectionString, queue);
  return retrying(app, deadline, async () => (await client.sendMessage(text)).messageId);
}

/** What the submission learned: ids the app gave, queue message ids, and broken replays. */
export interface Submitted {
  /** Status document id per request index, where an HTTP answer named it. */
  idByRequest: Map<number, string>;
  /** Request index per queue message id, for requests keyed by their message id. */
  requestByMessageId: Map<string, number>;
  /** Requests POSTed twice whose second answer named another id or was not a replay. */
  replayMismatches: number[];
  duplicateJobs: number;
}

function body(request: RequestPlan, withId: boolean): Record<string, unknown> {
  return {
    itwinId: request.itwinId,
    email: request.email,
    action: request.action,
    source: SOURCE,
    ...(withId ? { id: request.senderId } : {}),
    ...(request.occurredAt === undefined ? {} : { occurredAt: request.occurredAt }),
  };
}

const BATCH_SIZE = 100;
/** Units (a batch, a POST, a message) in flight at once. */
const CONCURRENCY = 8;

/**
 * Submits every request, in the workload's order within each phase: the queue messages first (garbage
 * among them) and their repeats, then — after `onQueueSent` — the HTTP requests and their repeats, and
 * copies of accepted jobs. Queue messages go first so that the run can wait for the queue intake to
 * drain before it kills anything (see run.ts). Throws if something could not be delivered by `deadline`.
 */
export async function submitWorkload(
  workload: Workload,
  app: AppAccess,
  deadline: number,
  hooks: { onQueueSent(): void; log(line: string): void },
): Promise<Submitted> {
  const submitted: Submitted = {
    idByRequest: new Map(),
    requestByMessageId: new Map(),
    replayMismatches: [],
    duplicateJobs: 0,
  };
  const started = Date.now();
  const took = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const inOrder = workload.order.map((index) => workload.requests[index] as RequestPlan);
  const keyHeader = (request: RequestPlan) => ({
    "idempotency-key": `${SOURCE}-key-${workload.seed}-${request.index}`,
  });

  // Queue messages, garbage spread among them.
  const queued = inOrder.filter((request) => request.via.startsWith("queue"));
  const messages: { text: string; request?: RequestPlan }[] = queued.map((request) => ({
    text: JSON.stringify(body(request, request.via === "queue-id")),
    request,
  }));
  workload.garbage.forEach((garbage, k) => {
    messages.splice(Math.floor(((k + 1) * messages.length) / (workload.garbage.length + 1)), 0, {
      text: garbage.text,
    });
  });
  await runPool(messages, CONCURRENCY, async ({ text, request }) => {
    const messageId = await sendMessage(app, REQUESTS_QUEUE, text, deadline);
    if (request?.via === "queue-message-id") submitted.requestByMessageId.set(messageId, request.index);
  });
  // Repeats come later, when the first delivery may be done already: the same text again.
  const queueRepeats = queued.filter((request) => request.deliverTwice);
  await runPool(queueRepeats, CONCURRENCY, async (request) => {
    await sendMessage(app, REQUESTS_QUEUE, JSON.stringify(body(request, true)), deadline);
  });
  hooks.log(`queue: ${messages.length} messages and ${queueRepeats.length} repeats sent in ${took()}`);
  hooks.onQueueSent();

  // HTTP: consecutive batch items travel together.
  const units: RequestPlan[][] = [];
  for (const request of inOrder.filter((candidate) => candidate.via.startsWith("http"))) {
    const last = units.at(-1);
    if (request.via === "http-batch" && last?.[0]?.via === "http-batch" && last.length < BATCH_SIZE)
      last.push(request);
    else units.push([request]);
  }
  await runPool(units, CONCURRENCY, async (unit) => {
    const request = unit[0] as RequestPlan;
    if (request.via === "http-batch") {
      const answer = await postApp(
        app,
        "/api/owner-changes",
        { changes: unit.map((item) => body(item, true)) },
        { deadline },
      );
      const items = (answer.body as { items?: { id?: string }[] } | undefined)?.items ?? [];
      if (answer.status !== 202 || items.length !== unit.length) {
        throw new Error(
          `a batch was answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`,
        );
      }
      unit.forEach((item, k) => {
        const id = items[k]?.id;
        if (id !== undefined) submitted.idByRequest.set(item.index, id);
      });
      return;
    }
    const answer = await postApp(app, "/api/owner-changes", body(request, false), {
      headers: keyHeader(request),
      deadline,
    });
    const id = (answer.body as { id?: string } | undefined)?.id;
    if (answer.status !== 202 || id === undefined) {
      throw new Error(
        `a keyed POST was answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`,
      );
    }
    submitted.idByRequest.set(request.index, id);
  });
  // The same key again: the answer must name the same request and say it is a replay.
  const httpRepeats = inOrder.filter((request) => request.deliverTwice && request.via === "http-key");
  await runPool(httpRepeats, CONCURRENCY, async (request) => {
    const answer = await postApp(app, "/api/owner-changes", body(request, false), {
      headers: keyHeader(request),
      deadline,
    });
    const id = (answer.body as { id?: string } | undefined)?.id;
    if (
      id !== submitted.idByRequest.get(request.index) ||
      answer.headers.get("idempotent-replayed") !== "true"
    ) {
      submitted.replayMismatches.push(request.index);
    }
  });
  hooks.log(`http: ${units.length} POSTs and ${httpRepeats.length} repeats in ${took()}`);

  // The same job twice: a copy of the job `accept` sent, as the queue may deliver it.
  const table = statusTableClient(app.connectionString);
  const jobs = queueClient(app.connectionString, JOBS_QUEUE);
  await runPool(
    inOrder.filter((request) => request.duplicateJob),
    CONCURRENCY,
    async (request) => {
      const id = submitted.idByRequest.get(request.index);
      if (id === undefined) return;
      const entity = await retrying(app, deadline, () => table.getEntity<{ document: string }>(id, "status"));
      await retrying(app, deadline, () =>
        sendJob(jobs, jobFor(JSON.parse(entity.document) as StatusDocument)),
      );
      submitted.duplicateJobs += 1;
    },
  );
  return submitted;
}

/**
 * Approves or rejects a held removal; true once the app took the decision (or had taken it: a retry
 * after a lost answer finds the change no longer held).
 */
export async function decide(
  app: AppAccess,
  id: string,
  approve: boolean,
  deadline: number,
): Promise<boolean> {
  const answer = await postApp(
    app,
    `/api/owner-changes/${id}/${approve ? "approve" : "reject"}`,
    {
      by: `chaos-approver@corp.example`,
      reason: approve ? "planned by the chaos run" : "refused by the chaos run",
    },
    { deadline },
  );
  return answer.status === 200 || answer.status === 409;
}

/** The table client the watcher and the final read use. */
export function statusTableClient(connectionString: string): TableClient {
  return TableClient.fromConnectionString(connectionString, STATUS_TABLE, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 1 },
  });
}
