import { describe, expect, it } from "vitest";
import { type AcceptInput, acceptChange, acceptChanges, jobFor } from "../../../src/changes/accept.ts";
import { jobBundleSchema, type OwnerChange, type StatusDocument } from "../../../src/changes/model.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { MemoryStatusStore, recordingQueue } from "../../support/memory-stores.ts";

/**
 * The accept path both intakes share, with the status table and the jobs queue replaced by in-memory
 * stand-ins: what a new request records and enqueues, and what a repeat of it does.
 */

const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const NOW = new Date("2026-11-23T12:00:00.000Z");

function setup() {
  const store = new MemoryStatusStore();
  const { rows } = store;
  const { queue: jobsQueue, sent } = recordingQueue();
  const deps = { store, jobsQueue, clock: new FakeClock(NOW.getTime()) };
  const accept = (change: Partial<OwnerChange>, input: Partial<Omit<AcceptInput, "change">> = {}) =>
    acceptChange(
      {
        change: { itwinId: ITWIN, email: "alice@corp.example", action: "add", dryRun: false, ...change },
        via: "http",
        correlationId: "c-1",
        ...input,
      },
      deps,
    );
  /** Moves the stored request on, as a worker or crash recovery would have. */
  const moveTo = (id: string, status: StatusDocument["status"], attempts: number) => {
    const row = rows.get(id);
    if (row !== undefined) rows.set(id, { ...row, doc: { ...row.doc, status, attempts } });
  };
  return { accept, sent, rows, moveTo };
}

describe("acceptChange", () => {
  it("records a new request as queued, with only the fields it was given, and sends its job at once", async () => {
    const { accept, sent, rows } = setup();
    const result = await accept({}, { via: "queue", correlationId: "c-7" });

    expect(result.kind).toBe("accepted");
    const at = NOW.toISOString();
    expect(result.doc).toStrictEqual({
      id: result.doc.id,
      status: "queued",
      itwinId: ITWIN,
      email: "alice@corp.example",
      action: "add",
      dryRun: false,
      via: "queue",
      correlationId: "c-7",
      attempts: 0,
      createdAt: at,
      updatedAt: at,
      history: [{ at, status: "queued", note: "received via queue" }],
    });
    expect(result.doc.id).toMatch(/^r-/);
    expect(rows.get(result.doc.id)?.doc).toStrictEqual(result.doc);
    expect(sent).toStrictEqual([
      {
        job: {
          v: 1,
          requestId: result.doc.id,
          itwinId: ITWIN,
          email: "alice@corp.example",
          action: "add",
          dryRun: false,
          attempt: 1,
          correlationId: "c-7",
        },
        delayMs: 0,
      },
    ]);
  });

  it("keeps the sender's id, source, reason, requester and decision time, and passes the time to the job", async () => {
    const { accept, sent } = setup();
    const given = {
      source: "workday",
      reason: "promoted",
      requestedBy: "hr-bot@corp.example",
      occurredAt: "2026-11-20T09:15:00.000Z",
    };
    const { doc } = await accept({ ...given, id: "HR-4711", action: "remove", dryRun: true });
    expect(doc).toMatchObject({ ...given, senderId: "HR-4711", action: "remove", dryRun: true });
    // The request's own id derives from the sender's, so a repeat finds it.
    expect(doc.id).toMatch(/^k-/);
    expect(sent[0]?.job).toMatchObject({ occurredAt: given.occurredAt, action: "remove", dryRun: true });
  });

  it("gives every request without a key its own id", async () => {
    const { accept, sent } = setup();
    const first = await accept({});
    const second = await accept({});
    expect([first.kind, second.kind]).toEqual(["accepted", "accepted"]);
    expect(first.doc.id).not.toBe(second.doc.id);
    expect(sent).toHaveLength(2);
  });

  it("makes a repeat with the same key and payload the same request, whether the key is a header or the body's id", async () => {
    const { accept, sent } = setup();
    const byHeader = await accept({ id: "HR-1" }, { idempotencyKey: "key-1" });
    // The header wins over the body's id: a new body id does not make it a new request.
    const repeat = await accept({ id: "HR-2", reason: "reworded" }, { idempotencyKey: "key-1" });
    expect(repeat).toStrictEqual({ kind: "duplicate", doc: byHeader.doc });

    const byBody = await accept({ id: "HR-3" });
    expect(await accept({ id: "HR-3" })).toStrictEqual({ kind: "duplicate", doc: byBody.doc });
    // Keys are scoped by source: another system's "HR-3" is another request.
    expect((await accept({ id: "HR-3", source: "servicenow" })).kind).toBe("accepted");
    expect(sent.map((s) => s.job.requestId)).toHaveLength(5);
  });

  it("sends the job of a repeated request again only while no worker has taken it and it is still queued", async () => {
    const { accept, sent, moveTo } = setup();
    const { doc } = await accept({}, { idempotencyKey: "key-1" });
    await accept({}, { idempotencyKey: "key-1" });
    // A crash between the insert and the send would have lost the first job: the repeat makes up for it.
    expect(sent.map((s) => s.job.requestId)).toEqual([doc.id, doc.id]);

    // Taken by a worker; then back in the queue for a scheduled retry, whose job exists already; and a
    // change that never ran but ended failed: none of them gets another job from a repeat.
    for (const [status, attempts] of [
      ["processing", 1],
      ["queued", 1],
      ["failed", 0],
    ] as const) {
      moveTo(doc.id, status, attempts);
      const repeat = await accept({}, { idempotencyKey: "key-1" });
      expect(repeat.kind).toBe("duplicate");
      expect(repeat.doc).toMatchObject({ status, attempts });
    }
    expect(sent).toHaveLength(2);
  });

  it("refuses a key reused for another change, sending nothing", async () => {
    const { accept, sent } = setup();
    const { doc } = await accept({}, { idempotencyKey: "key-1" });
    const reused = await accept({ email: "bob@corp.example" }, { idempotencyKey: "key-1" });
    expect(reused).toStrictEqual({ kind: "key-reused", doc });
    expect(sent).toHaveLength(1);
  });
});

describe("acceptChanges", () => {
  function batchSetup() {
    const store = new MemoryStatusStore();
    const jobs = recordingQueue();
    const bundles = recordingQueue();
    const deps = {
      store,
      jobsQueue: jobs.queue,
      jobBundlesQueue: bundles.queue,
      clock: new FakeClock(NOW.getTime()),
    };
    const inputs = (emails: string[], key = "batch-1"): AcceptInput[] =>
      emails.map((email, index) => ({
        change: { itwinId: ITWIN, email, action: "add" as const, dryRun: false },
        via: "http" as const,
        correlationId: "c-b",
        idempotencyKey: `${key}#${index}`,
      }));
    return { store, deps, jobs, bundles, inputs };
  }

  it("records every change, then sends the batch's jobs as one bundle on the bundles queue", async () => {
    const { deps, jobs, bundles, inputs, store } = batchSetup();
    const emails = Array.from({ length: 100 }, (_, i) => `user-${i}@corp.example`);
    const results = await acceptChanges(inputs(emails), deps);
    expect(results.map((r) => r.kind)).toEqual(emails.map(() => "accepted"));
    expect(bundles.texts).toHaveLength(1);
    expect(jobBundleSchema.parse(JSON.parse(bundles.texts[0] as string)).jobs).toHaveLength(100);
    expect(bundles.sent.map((s) => s.job)).toEqual(results.map((r) => jobFor(r.doc)));
    expect(jobs.texts).toEqual([]);
    for (const result of results) expect(store.rows.has(result.doc.id)).toBe(true);
  });

  it("sends a repeated change's job again only while it is untaken, one id once, a lone job as itself", async () => {
    const { deps, jobs, bundles, inputs, store } = batchSetup();
    // The same key twice in one batch is one request, with one job.
    const twice = [...inputs(["a@corp.example"]), ...inputs(["a@corp.example"])];
    const [first, again] = await acceptChanges([...twice, ...inputs(["b@corp.example"], "batch-2")], deps);
    expect(again).toEqual({ kind: "duplicate", doc: first?.doc });
    expect(bundles.sent.map((s) => s.job.requestId)).toHaveLength(2);
    const b = store.rows.get(bundles.sent[1]?.job.requestId as string);
    if (b) store.rows.set(b.doc.id, { ...b, doc: { ...b.doc, attempts: 1 } });
    const repeat = await acceptChanges(
      [...inputs(["a@corp.example"]), ...inputs(["b@corp.example"], "batch-2")],
      deps,
    );
    expect(repeat.map((r) => r.kind)).toEqual(["duplicate", "duplicate"]);
    expect(bundles.texts).toHaveLength(1);
    expect(jobs.texts.map((text) => JSON.parse(text))).toEqual([jobFor(first?.doc as StatusDocument)]);
  });
});
