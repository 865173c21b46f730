import { describe, expect, it } from "vitest";
import type { Job, StatusDocument } from "../../../src/changes/model.ts";
import type { Policy } from "../../../src/changes/policy.ts";
import { CoordinationStore } from "../../../src/coordination/coordination-store.ts";
import { ApiError } from "../../../src/itwin/errors/api-error.ts";
import { PacedWaitError } from "../../../src/itwin/errors/paced-wait-error.ts";
import { RetryLaterError } from "../../../src/itwin/errors/retry-later-error.ts";
import { OwnerDirectory } from "../../../src/itwin/owner-directory.ts";
import type { Member, OwnersClient } from "../../../src/itwin/owners-client.ts";
import { noteRateLimitRetry } from "../../../src/itwin/rate-limit-retries.ts";
import type { Row } from "../../../src/storage/rows.ts";
import { CLAIM_EXPIRY_MS } from "../../../src/worker/claim.ts";
import { KeyedLock } from "../../../src/worker/keyed-lock.ts";
import { processJob, type WorkerDeps } from "../../../src/worker/process-job.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { ITWIN_ID, openPolicy, SERVICE_CLIENT_EMAIL } from "../../support/fixtures.ts";
import {
  MemoryPersonIndex,
  MemoryRows,
  MemoryStatusStore,
  recordingQueue,
} from "../../support/memory-stores.ts";

/**
 * The worker's decisions with the storage and the API replaced by small in-memory stand-ins: which
 * deliveries may work on a change, how retries are counted, and when a removal is held or refused.
 */

const ITWIN = ITWIN_ID;
const SERVICE = SERVICE_CLIENT_EMAIL;

function setup(options: { owners?: Member[]; policy?: Partial<Policy> } = {}) {
  const clock = new FakeClock(Date.parse("2026-11-23T12:00:00Z"));
  const store = new MemoryStatusStore();
  const rows = new MemoryRows();
  const coordination = new CoordinationStore(rows);
  const calls: string[] = [];
  let owners = options.owners ?? [
    { id: "svc", email: SERVICE },
    { id: "m-ann", email: "ann@corp.example" },
    { id: "m-ben", email: "ben@corp.example" },
  ];
  const api: OwnersClient & { next?: () => Promise<never> } = {
    addOwner: async (_itwin, email) => {
      calls.push(`POST ${email}`);
      if (api.next) return api.next();
      return { kind: "added", memberId: `m-${email}` };
    },
    listOwners: async () => {
      calls.push("GET");
      return owners;
    },
    removeOwner: async (_itwin, memberId) => {
      calls.push(`DELETE ${memberId}`);
      if (api.next) return api.next();
      const found = owners.some((m) => m.id === memberId);
      owners = owners.filter((m) => m.id !== memberId);
      return { kind: found ? "removed" : "not-owner" };
    },
  };
  const { queue: jobsQueue, sent } = recordingQueue();
  const people = new MemoryPersonIndex();
  const deps: WorkerDeps = {
    store,
    coordination,
    owners: api,
    directory: new OwnerDirectory(api, { ttlMs: 60_000, clock }),
    jobsQueue,
    policy: { ...openPolicy, ...options.policy },
    people,
    locks: new KeyedLock(),
    instanceId: "worker-1",
    clock,
    random: () => 0,
    maxAttempts: 3,
    log: () => undefined,
  };
  /** Another instance (or person) made `member` an owner: only a new listing shows it. */
  const addedElsewhere = (member: Member) => {
    owners = [...owners, member];
  };
  return { clock, store, rows, coordination, calls, sent, deps, api, addedElsewhere, people };
}

function queued(
  id: string,
  action: "add" | "remove",
  email: string,
  extra: Partial<StatusDocument> = {},
): StatusDocument {
  return {
    id,
    status: "queued",
    itwinId: ITWIN,
    email,
    action,
    dryRun: false,
    via: "http",
    correlationId: "c",
    attempts: 0,
    createdAt: "2026-11-23T11:59:00.000Z",
    updatedAt: "2026-11-23T11:59:00.000Z",
    history: [{ at: "2026-11-23T11:59:00.000Z", status: "queued" }],
    ...extra,
  };
}

function jobOf(doc: StatusDocument, attempt = 1): Job {
  return {
    v: 1,
    requestId: doc.id,
    itwinId: doc.itwinId,
    email: doc.email,
    action: doc.action,
    dryRun: false,
    attempt,
    correlationId: "c",
    ...(doc.occurredAt ? { occurredAt: doc.occurredAt } : {}),
  };
}

const delivery = (messageId: string, dequeueCount = 1) => ({ messageId, dequeueCount, maxDequeueCount: 5 });

describe("processJob: one delivery at a time", () => {
  it("skips a second delivery while the first one's claim is fresh, and lets the same message resume", async () => {
    const { store, calls, deps, clock } = setup();
    const doc = queued("r-aaaaaaaa", "add", "cat@corp.example");
    store.put({
      ...doc,
      status: "processing",
      attempts: 1,
      claimedBy: "msg-1",
      claimedAt: new Date(clock.now()).toISOString(),
    });
    await expect(processJob(jobOf(doc), delivery("msg-2"), deps)).resolves.toMatchObject({ kind: "skipped" });
    expect(calls).toEqual([]);
    await expect(processJob(jobOf(doc), delivery("msg-1", 2), deps)).resolves.toMatchObject({
      kind: "finished",
      outcome: "added",
    });
    expect(calls).toEqual(["POST cat@corp.example"]);
  });

  it("takes over a claim older than the function timeout", async () => {
    const { store, deps, clock } = setup();
    const doc = queued("r-bbbbbbbb", "add", "dan@corp.example");
    const stale = new Date(clock.now() - CLAIM_EXPIRY_MS - 1).toISOString();
    store.put({ ...doc, status: "processing", attempts: 1, claimedBy: "msg-1", claimedAt: stale });
    await expect(processJob(jobOf(doc), delivery("msg-2"), deps)).resolves.toMatchObject({
      outcome: "added",
    });
    expect(store.rows.get(doc.id)?.doc).toMatchObject({ attempts: 2, claimedBy: "msg-2" });
  });

  it("ignores a job for a finished change", async () => {
    const { store, calls, deps } = setup();
    const doc = queued("r-cccccccc", "add", "eli@corp.example");
    store.put({ ...doc, status: "succeeded", outcome: "added" });
    await expect(processJob(jobOf(doc), delivery("msg-9"), deps)).resolves.toMatchObject({ kind: "skipped" });
    expect(calls).toEqual([]);
  });
});

describe("processJob: removals and the owner-listing cache", () => {
  it("does not let a listing older than an ordered removal's turn deny the owner an older decision added meanwhile", async () => {
    const { store, calls, deps, clock, addedElsewhere } = setup();
    const doc = queued("r-ordered-rm", "remove", "gus@corp.example", {
      occurredAt: "2026-11-23T11:58:30.000Z",
    });
    store.put(doc);
    // This process listed the iTwin after the removal was accepted; then another instance applied the
    // older decision for gus (an add) before the removal's turn came.
    await deps.directory.find(ITWIN, "ann@corp.example", Date.parse(doc.createdAt), { generation: 0 });
    addedElsewhere({ id: "m-gus", email: "gus@corp.example" });
    clock.advance(1_000);
    await expect(processJob(jobOf(doc), delivery("msg-1"), deps)).resolves.toMatchObject({
      outcome: "removed",
    });
    expect(calls).toEqual(["GET", "GET", "DELETE m-gus"]);
  });

  it("trusts a listing taken after an unordered removal was accepted to say not-owner, without listing again", async () => {
    const { store, calls, deps, clock, addedElsewhere } = setup();
    const doc = queued("r-unordered-rm", "remove", "hal@corp.example");
    store.put(doc);
    await deps.directory.find(ITWIN, "ann@corp.example", Date.parse(doc.createdAt), { generation: 0 });
    // Unordered: an add landing after this removal was accepted may come before or after it.
    addedElsewhere({ id: "m-hal", email: "hal@corp.example" });
    clock.advance(1_000);
    await expect(processJob(jobOf(doc), delivery("msg-1"), deps)).resolves.toMatchObject({
      outcome: "not-owner",
    });
    expect(calls).toEqual(["GET"]);
  });
});

describe("processJob: retries", () => {
  it("does not count waiting for our own rate share as an attempt, and spreads the delay", async () => {
    const { store, sent, deps, api } = setup();
    const doc = queued("r-dddddddd", "add", "fay@corp.example");
    store.put(doc);
    api.next = () => Promise.reject(new PacedWaitError(8000));
    deps.random = () => 0.999;
    await expect(processJob(jobOf(doc, 2), delivery("m"), deps)).resolves.toMatchObject({
      kind: "rescheduled",
    });
    expect(sent[0]?.job.attempt).toBe(2);
    expect(sent[0]?.delayMs).toBeGreaterThan(8000);
    expect(store.rows.get(doc.id)?.doc.status).toBe("queued");
  });

  it("counts a server-refused attempt, and fails after the last one", async () => {
    const { store, sent, deps, api } = setup();
    const doc = queued("r-eeeeeeee", "add", "gus@corp.example");
    store.put(doc);
    api.next = () =>
      Promise.reject(new RetryLaterError(30_000, new ApiError(429, "RateLimitExceeded", "no", "corr-1")));
    await processJob(jobOf(doc, 2), delivery("m"), deps);
    expect(sent[0]?.job.attempt).toBe(3);
    await expect(processJob(jobOf(doc, 3), delivery("m2"), deps)).resolves.toMatchObject({
      status: "failed",
    });
    expect(store.rows.get(doc.id)?.doc.error).toMatchObject({
      code: "RateLimitExceeded",
      correlationId: "corr-1",
    });
  });
});

describe("processJob: 429s retried for a change", () => {
  it("adds each job's count to the document, over a rescheduled try and the one that succeeds", async () => {
    const { store, deps, api } = setup();
    const doc = queued("r-hhhhhhhh", "add", "hal@corp.example");
    store.put(doc);
    api.next = () => {
      noteRateLimitRetry();
      return Promise.reject(new RetryLaterError(30_000, new ApiError(429, "RateLimitExceeded", "no")));
    };
    await processJob(jobOf(doc), delivery("m1"), deps);
    expect(store.rows.get(doc.id)?.doc).toMatchObject({ status: "queued", rateLimitRetries: 1 });
    delete api.next;
    const addOwner = api.addOwner;
    api.addOwner = (itwinId, email) => {
      noteRateLimitRetry();
      noteRateLimitRetry();
      return addOwner(itwinId, email);
    };
    await processJob(jobOf(doc, 2), delivery("m2"), deps);
    expect(store.rows.get(doc.id)?.doc).toMatchObject({ status: "succeeded", rateLimitRetries: 3 });
  });
});

describe("processJob: removals", () => {
  it("holds removals over the threshold, counts a request once, and lets an approved one through", async () => {
    const owners = ["svc", "ann", "ben", "cid"].map((name) => ({
      id: `m-${name}`,
      email: name === "svc" ? SERVICE : `${name}@corp.example`,
    }));
    const { store, rows, calls, deps } = setup({ owners, policy: { massRemovalThreshold: 1 } });
    const first = queued("r-ffffffff", "remove", "ann@corp.example");
    store.put(first);
    await processJob(jobOf(first), delivery("m1"), deps);
    const second = queued("r-gggggggg", "remove", "ben@corp.example");
    store.put(second);
    await expect(processJob(jobOf(second), delivery("m2"), deps)).resolves.toMatchObject({ status: "held" });
    expect(calls.filter((c) => c.startsWith("DELETE"))).toEqual(["DELETE m-ann"]);
    const window = await rows.read<Row & { requests: string }>(ITWIN, "removals|2026-11-23T12:00:00.000Z");
    expect(JSON.parse(window?.requests ?? "[]")).toEqual(["r-ffffffff"]);

    const held = store.rows.get(second.id)?.doc as StatusDocument;
    store.put({ ...held, status: "queued", approvedBy: "lead@corp.example" });
    await expect(processJob(jobOf(second), delivery("m3"), deps)).resolves.toMatchObject({
      outcome: "removed",
    });
  });

  it("refuses to take the last human owner, not counting the service client", async () => {
    const { store, deps } = setup({
      owners: [
        { id: "svc", email: SERVICE },
        { id: "m-ann", email: "ann@corp.example" },
      ],
    });
    const doc = queued("r-hhhhhhhh", "remove", "ann@corp.example");
    store.put(doc);
    await expect(processJob(jobOf(doc), delivery("m"), deps)).resolves.toMatchObject({ status: "rejected" });
    expect(store.rows.get(doc.id)?.doc.error?.code).toBe("LastOwner");
  });

  it("serialises concurrent removals from one iTwin so they cannot empty it together", async () => {
    const { store, deps } = setup();
    const a = queued("r-iiiiiiii", "remove", "ann@corp.example");
    const b = queued("r-jjjjjjjj", "remove", "ben@corp.example");
    store.put(a);
    store.put(b);
    const results = await Promise.all([
      processJob(jobOf(a), delivery("ma"), deps),
      processJob(jobOf(b), delivery("mb"), deps),
    ]);
    expect(results.map((r) => (r.kind === "finished" ? r.status : r.kind)).sort()).toEqual([
      "rejected",
      "succeeded",
    ]);
  });

  it("does not call a listed member not-owner when DELETE cannot find it", async () => {
    const { store, deps, api } = setup();
    const doc = queued("r-kkkkkkkk", "remove", "ann@corp.example");
    store.put(doc);
    api.removeOwner = async () => ({ kind: "not-owner" });
    await expect(processJob(jobOf(doc), delivery("m", 1), deps)).rejects.toMatchObject({
      code: "InconsistentOwnerListing",
      transient: true,
    });
  });
});

describe("processJob: ordering", () => {
  it("supersedes an older decision once a newer one holds the person and iTwin", async () => {
    const { store, calls, deps } = setup();
    const newer = queued("r-llllllll", "remove", "ann@corp.example", {
      occurredAt: "2026-11-23T10:00:00.000Z",
    });
    const older = queued("r-mmmmmmmm", "add", "ann@corp.example", { occurredAt: "2026-11-23T09:00:00.000Z" });
    store.put(newer);
    store.put(older);
    await processJob(jobOf(newer), delivery("m1"), deps);
    await expect(processJob(jobOf(older), delivery("m2"), deps)).resolves.toMatchObject({
      outcome: "superseded",
    });
    expect(calls.filter((c) => c.startsWith("POST"))).toEqual([]);
    expect(store.rows.get(older.id)?.doc.history.at(-1)?.note).toContain("r-llllllll");
  });

  it("lets one instance at a time remove from an iTwin, so two cannot take its last two humans", async () => {
    const first = setup();
    const doc = queued("r-nnnnnnnn", "remove", "ann@corp.example");
    first.store.put(doc);
    // Another instance holds the iTwin's removal lease right now.
    await first.coordination.acquireLease(ITWIN, "removal", "r-other", first.clock.now(), 60_000);
    await expect(processJob(jobOf(doc), delivery("m"), first.deps)).resolves.toMatchObject({
      kind: "rescheduled",
    });
    expect(first.calls).toEqual([]);
    expect(first.sent[0]?.job.attempt).toBe(1);
  });

  it("waits for another instance's change to the same person and iTwin before calling the API", async () => {
    const { store, rows, coordination, calls, sent, deps, clock } = setup();
    const doc = queued("r-oooooooo", "add", "ann@corp.example", { occurredAt: "2026-11-23T11:00:00.000Z" });
    store.put(doc);
    const person = "subject|ann%40corp.example";
    await coordination.acquireLease(ITWIN, person, "r-other", clock.now(), 60_000);
    await expect(processJob(jobOf(doc), delivery("m"), deps)).resolves.toMatchObject({ kind: "rescheduled" });
    expect(calls).toEqual([]);
    expect(sent[0]?.job.attempt).toBe(1);
    await coordination.releaseLease(ITWIN, person, "r-other", false);
    await expect(processJob(jobOf(doc), delivery("m2"), deps)).resolves.toMatchObject({ outcome: "added" });
    expect((await rows.read<Row & { holder: string }>(ITWIN, `lease|${person}`))?.holder).toBe("");
  });
});

describe("processJob: the per-person index offboarding reads", () => {
  const ownedBy = async (people: MemoryPersonIndex, email: string) =>
    (await people.ownedBy(email)).map((entry) => `${entry.itwinId} ${entry.evidence}`);

  it("knows the person as owner after an add, and no longer after the removal", async () => {
    const { store, deps, people, clock, addedElsewhere } = setup();
    const add = queued("r-index-add", "add", "ivy@corp.example");
    store.put(add);
    await processJob(jobOf(add), delivery("m1"), deps);
    // The stand-in API answers adds without keeping them; the removal below must find ivy listed.
    addedElsewhere({ id: "m-ivy", email: "ivy@corp.example" });
    expect(await ownedBy(people, "ivy@corp.example")).toEqual([`${ITWIN} added`]);
    clock.advance(1_000);
    const remove = queued("r-index-rm", "remove", "ivy@corp.example", {
      createdAt: new Date(clock.now()).toISOString(),
    });
    store.put(remove);
    await expect(processJob(jobOf(remove), delivery("m2"), deps)).resolves.toMatchObject({
      outcome: "removed",
    });
    expect(await ownedBy(people, "ivy@corp.example")).toEqual([]);
    expect([...people.facts.values()].map((fact) => fact.requestId)).toEqual(["r-index-rm"]);
  });

  it("learns from an add that finds an owner, and from a refused removal's listing", async () => {
    const { store, deps, people, api } = setup({
      owners: [
        { id: "svc", email: SERVICE },
        { id: "m-ann", email: "ann@corp.example" },
      ],
    });
    api.addOwner = async () => ({ kind: "already-owner" });
    const add = queued("r-index-known", "add", "ben@corp.example");
    const remove = queued("r-index-last", "remove", "ann@corp.example");
    store.put(add);
    store.put(remove);
    await processJob(jobOf(add), delivery("m1"), deps);
    await expect(processJob(jobOf(remove), delivery("m2"), deps)).resolves.toMatchObject({
      status: "rejected",
    });
    expect(await ownedBy(people, "ben@corp.example")).toEqual([`${ITWIN} already-owner`]);
    expect(await ownedBy(people, "ann@corp.example")).toEqual([`${ITWIN} listed`]);
  });

  it("finishes the change once when the index cannot be written, and logs what was not recorded", async () => {
    const { store, deps, people, calls } = setup();
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    deps.log = (message, fields) => lines.push(fields === undefined ? { message } : { message, fields });
    people.failWith = new Error("table unavailable");
    const doc = queued("r-index-down", "add", "joe@corp.example");
    store.put(doc);
    await expect(processJob(jobOf(doc), delivery("m1"), deps)).resolves.toMatchObject({
      status: "succeeded",
      outcome: "added",
    });
    expect(calls).toEqual(["POST joe@corp.example"]);
    expect(lines).toContainEqual({
      message: "person index not updated",
      fields: expect.objectContaining({ requestId: doc.id, evidence: "added", error: "table unavailable" }),
    });
  });
});
