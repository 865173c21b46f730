import { Buffer } from "node:buffer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, SEEDED_ITWINS } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import type { AzuriteInstance } from "../../dev/stack/azurite.ts";
import { receiveAll, sendRaw } from "../../dev/stack/queues.ts";
import type { RunningRunner } from "../../dev/stack/runner.ts";
import { requestIdFor } from "../../src/changes/ids.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { SERVICE_CLIENT_EMAIL } from "../support/fixtures.ts";

/**
 * The whole spine across real process boundaries: azurite (child process), the iTwin API simulator
 * (HTTP on loopback), and the app's real function registrations served by the local runner (child
 * process). host.json here retries fast (visibilityTimeout 0, maxDequeueCount 2).
 */

let stack: AppStack;
let azurite: AzuriteInstance;
let simulator: RunningSimulator;
let runner: RunningRunner;

beforeAll(async () => {
  stack = await startAppStack({
    env: { QUEUE_MAX_DEQUEUE_COUNT: "2", RETRY_MAX_INLINE_WAIT_MS: "4000" },
    hostJson: "test/integration/host.json",
  });
  ({ azurite, simulator, runner } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

const FINAL = new Set(["succeeded", "failed", "rejected", "held"]);

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${runner.url}/api/owner-changes`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function getStatus(id: string): Promise<Response> {
  return fetch(`${runner.url}/api/owner-changes/${id}`);
}

/** Polls the status route until the request is final; bounded in time. */
async function settled(id: string, timeoutMs = 20_000): Promise<StatusDocument> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await getStatus(id);
    if (response.status === 200) {
      last = await response.json();
      if (FINAL.has((last as StatusDocument).status)) return last as StatusDocument;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `request ${id} did not settle within ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${runner.logs()}`,
  );
}

async function submit(change: Record<string, unknown>): Promise<StatusDocument> {
  const response = await post(change);
  expect(response.status).toBe(202);
  const body = (await response.json()) as { id: string };
  return settled(body.id);
}

/** The next add to this iTwin is answered 429 with these timing headers. */
function refuseNextPost(itwinId: string, headers: Record<string, string>): void {
  simulator.state.setFaults({
    rules: [
      {
        method: "POST",
        pathIncludes: itwinId,
        times: 1,
        respond: {
          status: 429,
          headers,
          json: { error: { code: "RateLimitExceeded", message: "slow down" } },
        },
      },
    ],
  });
}

const emailsOf = (itwinId: string) => simulator.state.owners(itwinId).map((member) => member.email);

describe("HTTP intake", () => {
  it("adds an owner: 202 with Location, then succeeded/added", async () => {
    const response = await post({
      itwinId: SEEDED_ITWINS.bridgeRetrofit,
      email: "Alice@Corp.example",
      action: "add",
      reason: "promoted",
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string; statusUrl: string };
    expect(body.status).toBe("queued");
    expect(response.headers.get("location")).toBe(body.statusUrl);
    expect(response.headers.get("retry-after")).toBe("1");
    const doc = await settled(body.id);
    expect(doc).toMatchObject({
      status: "succeeded",
      outcome: "added",
      email: "alice@corp.example",
      reason: "promoted",
      attempts: 1,
    });
    expect(doc.memberId).toBeTruthy();
    expect(doc.history.map((h) => h.status)).toEqual(["queued", "processing", "succeeded"]);
    expect(emailsOf(SEEDED_ITWINS.bridgeRetrofit)).toContain("alice@corp.example");
  });

  it("answers problem+json naming each bad field, 415 for non-JSON and 413 for a batch over 100", async () => {
    const bad = await post({ itwinId: "x", email: "nope", action: "add", extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await bad.json()) as {
      errors: { path: string }[];
      type: string;
      title: string;
      detail: string;
    };
    expect(problem.errors.map((e) => e.path).sort()).toEqual(["email", "extra", "itwinId"]);
    const media = await post("itwinId=x", { "content-type": "application/x-www-form-urlencoded" });
    expect(media.status).toBe(415);
    const change = { itwinId: SEEDED_ITWINS.waterPlant, email: "a@corp.example", action: "add" };
    const tooMany = await post({ changes: Array.from({ length: 101 }, () => change) });
    expect(tooMany.status).toBe(413);
  });

  it("returns the same request for a repeated key and 422 when the key is reused for another payload", async () => {
    const change = { itwinId: SEEDED_ITWINS.waterPlant, email: "dave@corp.example", action: "add" };
    const first = await post(change, { "idempotency-key": "ticket-1001" });
    const second = await post(change, { "idempotency-key": "ticket-1001" });
    const firstBody = (await first.json()) as { id: string };
    expect(((await second.json()) as { id: string }).id).toBe(firstBody.id);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const reused = await post(
      { ...change, email: "erin@corp.example" },
      { "idempotency-key": "ticket-1001" },
    );
    expect(reused.status).toBe(422);
    await settled(firstBody.id);
  });

  it("keys batch items by the request's Idempotency-Key and their place, so a retried batch is the same", async () => {
    const batch = {
      changes: [
        { itwinId: SEEDED_ITWINS.waterPlant, email: "una@corp.example", action: "add" },
        { itwinId: SEEDED_ITWINS.waterPlant, email: "vic@corp.example", action: "add", id: "own-id-7" },
      ],
    };
    const first = (await (await post(batch, { "idempotency-key": "batch-42" })).json()) as {
      items: { id: string }[];
    };
    const retry = await post(batch, { "idempotency-key": "batch-42" });
    const again = (await retry.json()) as { items: { id: string; replayed?: boolean }[] };
    expect(again.items.map((item) => item.id)).toEqual(first.items.map((item) => item.id));
    expect(again.items.every((item) => item.replayed)).toBe(true);
    expect(first.items[1]?.id).toBe(requestIdFor("own-id-7", undefined));
  });

  it("accepts a batch and settles every item", async () => {
    const response = await post({
      changes: [
        { itwinId: SEEDED_ITWINS.waterPlant, email: "frank@corp.example", action: "add" },
        { itwinId: SEEDED_ITWINS.waterPlant, email: "grace@corp.example", action: "add" },
      ],
    });
    expect(response.status).toBe(202);
    const { items } = (await response.json()) as { items: { id: string }[] };
    const docs = await Promise.all(items.map((item) => settled(item.id)));
    expect(docs.map((d) => d.outcome)).toEqual(["added", "added"]);
  });

  it("sends a batch's jobs as one bundle, which the worker fans out; a bundle it cannot read is poisoned", async () => {
    const emails = Array.from({ length: 12 }, (_, i) => `bundle-${i}@corp.example`);
    const response = await post({
      changes: emails.map((email) => ({ itwinId: SEEDED_ITWINS.waterPlant, email, action: "add" })),
    });
    expect(response.status).toBe(202);
    const { items } = (await response.json()) as { items: { id: string }[] };
    const docs = await Promise.all(items.map((item) => settled(item.id)));
    expect(docs.map((d) => d.outcome)).toEqual(emails.map(() => "added"));
    expect(runner.logs()).toMatch(/job bundle fanned out.*"jobs":12/);

    await sendRaw(
      azurite.connectionString,
      "owner-change-jobs-bundles",
      JSON.stringify({ v: 1, jobs: [{ v: 1 }] }),
    );
    const [poisoned] = await receiveAll(azurite.connectionString, "owner-change-jobs-poison", {
      until: (found) => found.length >= 1,
      timeoutMs: 15_000,
    });
    expect(JSON.parse(poisoned as string)).toMatchObject({
      reason: "The bundle fails the job bundle schema",
    });
  });

  it("answers 404 problem for an unknown id", async () => {
    const response = await getStatus("r-00000000-0000-4000-8000-000000000000");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
  });

  it("reports health", async () => {
    const response = await fetch(`${runner.url}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe("worker outcomes", () => {
  it("removes an owner found only on a later page", async () => {
    expect(emailsOf(SEEDED_ITWINS.railYard)).toContain("owner250@corp.example");
    const doc = await submit({
      itwinId: SEEDED_ITWINS.railYard,
      email: "owner250@corp.example",
      action: "remove",
    });
    expect(doc).toMatchObject({ status: "succeeded", outcome: "removed" });
    expect(emailsOf(SEEDED_ITWINS.railYard)).not.toContain("owner250@corp.example");
  });

  it("invites a user outside the organisation", async () => {
    const doc = await submit({
      itwinId: SEEDED_ITWINS.waterPlant,
      email: "pat@partner.example",
      action: "add",
    });
    expect(doc).toMatchObject({ status: "succeeded", outcome: "invited" });
    expect(doc.invitationId).toBeTruthy();
  });

  it("treats an existing owner as already-owner and a missing one as not-owner", async () => {
    const already = await submit({
      itwinId: SEEDED_ITWINS.bridgeRetrofit,
      email: "carol@corp.example",
      action: "add",
    });
    expect(already).toMatchObject({ status: "succeeded", outcome: "already-owner" });
    const missing = await submit({
      itwinId: SEEDED_ITWINS.bridgeRetrofit,
      email: "nobody@corp.example",
      action: "remove",
    });
    expect(missing).toMatchObject({ status: "succeeded", outcome: "not-owner" });
  });

  it("rejects removing an iTwin's last human owner, not counting the service client", async () => {
    const { id: itwinId } = simulator.state.addItwin({
      name: "one human",
      owners: [{ email: SERVICE_CLIENT_EMAIL }, { email: "solo@corp.example" }],
    });
    const doc = await submit({ itwinId, email: "solo@corp.example", action: "remove" });
    expect(doc).toMatchObject({ status: "rejected", error: { code: "LastOwner" } });
    expect(emailsOf(itwinId)).toContain("solo@corp.example");
  });

  it("ends a permanent 404 as failed with the API's code and correlation id", async () => {
    const doc = await submit({
      itwinId: "0b6c1f5e-1111-4222-8333-444455556666",
      email: "a@corp.example",
      action: "add",
    });
    expect(doc.status).toBe("failed");
    expect(doc.error).toMatchObject({ code: "ItwinNotFound", httpStatus: 404 });
    expect(doc.error?.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("waits out a 429 with the reset the server named, then succeeds", async () => {
    const { id: itwinId } = simulator.state.addItwin({ name: "rate-limited", owners: [] });
    refuseNextPost(itwinId, { "retry-after": "1" });
    const doc = await submit({ itwinId, email: "henry@corp.example", action: "add" });
    expect(doc).toMatchObject({ status: "succeeded", outcome: "added" });
    const processing = doc.history.find((h) => h.status === "processing");
    const elapsed = Date.parse(doc.updatedAt) - Date.parse(processing?.at ?? doc.updatedAt);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
  });

  it("waits for x-rate-limit-reset in the seed's ISO form when remaining is 0", async () => {
    const { id: itwinId } = simulator.state.addItwin({ name: "window-spent", owners: [] });
    const reset = new Date(Date.now() + 1500).toISOString().replace("Z", "0000Z"); // seven fraction digits
    refuseNextPost(itwinId, {
      "x-rate-limit-limit": "1s",
      "x-rate-limit-remaining": "0",
      "x-rate-limit-reset": reset,
    });
    const doc = await submit({ itwinId, email: "hana@corp.example", action: "add" });
    expect(doc).toMatchObject({ status: "succeeded", outcome: "added" });
    const posts = simulator.state.stats().byRoute["POST /accesscontrol/itwins/{id}/members/owners"];
    expect(posts?.byStatus[429]).toBeGreaterThanOrEqual(1);
    expect(Date.parse(doc.updatedAt)).toBeGreaterThanOrEqual(Date.parse(reset));
  });

  it("retries a 503 and succeeds in the same attempt", async () => {
    const { id: itwinId } = simulator.state.addItwin({ name: "flaky", owners: [] });
    simulator.state.setFaults({
      rules: [
        {
          method: "POST",
          pathIncludes: itwinId,
          times: 1,
          respond: { status: 503, body: "Service Unavailable" },
        },
      ],
    });
    const before = simulator.state.stats().byStatus[503] ?? 0;
    const doc = await submit({ itwinId, email: "ivy@corp.example", action: "add" });
    expect(doc).toMatchObject({ status: "succeeded", outcome: "added", attempts: 1 });
    expect(simulator.state.stats().byStatus[503] ?? 0).toBe(before + 1);
  });

  it("refreshes a revoked token after a 401", async () => {
    const issued = simulator.state.stats().tokensIssued;
    simulator.state.revokeTokens();
    const doc = await submit({
      itwinId: SEEDED_ITWINS.waterPlant,
      email: "jack@corp.example",
      action: "add",
    });
    expect(doc).toMatchObject({ status: "succeeded", outcome: "added" });
    expect(simulator.state.stats().tokensIssued).toBe(issued + 1);
  });

  it("fails a job that keeps failing after maxDequeueCount and moves it to the poison queue", async () => {
    const { id: itwinId } = simulator.state.addItwin({ name: "down", owners: [] });
    simulator.state.setFaults({
      rules: [{ method: "POST", pathIncludes: itwinId, times: 100, respond: { status: 503, body: "down" } }],
    });
    const doc = await submit({ itwinId, email: "kim@corp.example", action: "add" });
    expect(doc.status).toBe("failed");
    expect(doc.error).toMatchObject({ httpStatus: 503 });
    expect(doc.history.at(-1)?.note).toContain("poison");
    const poisoned = await receiveAll(azurite.connectionString, "owner-change-jobs-poison", {
      until: (messages) => messages.some((m) => m.includes(doc.id)),
      timeoutMs: 10_000,
    });
    expect(poisoned.some((m) => m.includes(doc.id))).toBe(true);
    simulator.state.setFaults({});
  });
});

describe("queue intake", () => {
  const queue = "owner-change-requests";

  it("accepts plain JSON and base64-encoded JSON messages, ignoring unknown fields", async () => {
    const plain = {
      itwinId: SEEDED_ITWINS.waterPlant,
      email: "lee@corp.example",
      action: "add",
      id: "Q-1",
      source: "servicenow",
      schema: 2,
    };
    const encoded = {
      itwinId: SEEDED_ITWINS.waterPlant,
      email: "mia@corp.example",
      action: "add",
      id: "Q-2",
      source: "servicenow",
    };
    await sendRaw(azurite.connectionString, queue, JSON.stringify(plain));
    await sendRaw(azurite.connectionString, queue, Buffer.from(JSON.stringify(encoded)).toString("base64"));
    const first = await settled(requestIdFor("Q-1", "servicenow"));
    const second = await settled(requestIdFor("Q-2", "servicenow"));
    expect([first.outcome, second.outcome]).toEqual(["added", "added"]);
    expect(first).toMatchObject({ via: "queue", source: "servicenow", senderId: "Q-1" });
  });

  it("keys a message without an id by its queue message id, so a redelivery is the same request", async () => {
    const text = JSON.stringify({
      itwinId: SEEDED_ITWINS.waterPlant,
      email: "wes@corp.example",
      action: "add",
    });
    const messageId = await sendRaw(azurite.connectionString, queue, text);
    const doc = await settled(requestIdFor(`msg:${messageId}`, undefined));
    expect(doc).toMatchObject({ status: "succeeded", via: "queue", correlationId: messageId });
  });

  it("moves a malformed request to the poison queue at once, with the reason and the original text", async () => {
    await sendRaw(azurite.connectionString, queue, "add alice please");
    await sendRaw(
      azurite.connectionString,
      queue,
      JSON.stringify({ itwinId: SEEDED_ITWINS.waterPlant, action: "add" }),
    );
    const messages = await receiveAll(azurite.connectionString, "owner-change-requests-poison", {
      until: (found) => found.length >= 2,
      timeoutMs: 15_000,
    });
    const envelopes = messages.map(
      (text) =>
        JSON.parse(text) as {
          reason: string;
          original: string;
          dequeueCount: number;
          errors?: { path: string }[];
        },
    );
    const notJson = envelopes.find((e) => e.original === "add alice please");
    expect(notJson?.reason).toMatch(/neither JSON nor base64/);
    expect(notJson?.dequeueCount).toBe(1);
    const noEmail = envelopes.find((e) => e.original.includes('"action":"add"'));
    expect(noEmail?.errors?.map((e) => e.path)).toEqual(["email"]);
  });
});
