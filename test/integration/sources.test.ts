import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import {
  EXAMPLE_SECRETS,
  EXAMPLES_DIR,
  examplePayload,
  jiraSignature,
  standardWebhookHeaders,
} from "../unit/sources/examples.ts";

/**
 * The shipped example mappings through the real runner, azurite and the simulator: a Jira webhook, a
 * ServiceNow catalog task and an HR leaver posted to /api/sources/{name} as those products send them,
 * and the simulator's owners follow. The app reads the mappings from examples/sources, as a deployment
 * with SOURCE_MAPPINGS_DIR would.
 */

let stack: AppStack;

beforeAll(async () => {
  stack = await startAppStack({ env: { SOURCE_MAPPINGS_DIR: EXAMPLES_DIR, ...EXAMPLE_SECRETS } });
});
afterAll(async () => {
  await stack?.stop();
});

function post(name: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.runner.url}/api/sources/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/** Polls a status URL until `done` holds for its document; bounded in time. */
function settled<T>(url: string, done: (doc: T) => boolean, what: string): Promise<T> {
  return waitFor(
    async () => {
      const response = await fetch(url);
      if (response.status !== 200) return undefined;
      const doc = (await response.json()) as T;
      return done(doc) ? doc : undefined;
    },
    `${what} (${url})\n${stack.runner.logs()}`,
    30_000,
    100,
  );
}

const FINAL = new Set(["succeeded", "failed", "rejected", "held"]);
const finished = (url: string) =>
  settled<StatusDocument>(url, (doc) => FINAL.has(doc.status), "a final status");
const ownersOf = (itwinId: string) => stack.simulator.state.owners(itwinId).map((member) => member.email);

describe("POST /api/sources/{name} with the example mappings", () => {
  it("turns a signed Jira issue_updated (request done) into an owner, and a retried delivery into the same request", async () => {
    const { text } = examplePayload("jira-issue-updated.json");
    expect(ownersOf(SEEDED_ITWINS.waterPlant)).not.toContain("dana@corp.example");

    const response = await post("jira", text, { "x-hub-signature": jiraSignature(text) });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string; statusUrl: string };
    expect(response.headers.get("location")).toBe(body.statusUrl);
    const doc = await finished(body.statusUrl);
    expect(doc).toMatchObject({
      status: "succeeded",
      outcome: "added",
      itwinId: SEEDED_ITWINS.waterPlant,
      email: "dana@corp.example",
      via: "source",
      source: "jira",
      senderId: "JRA-20002/10124",
      reason: "JRA-20002: I feel the need for speed",
    });
    expect(ownersOf(SEEDED_ITWINS.waterPlant)).toContain("dana@corp.example");

    const retry = await post("jira", text, { "x-hub-signature": jiraSignature(text) });
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as { id: string }).id).toBe(body.id);
  });

  it("refuses a forged or unsigned Jira delivery and an unknown source, recording nothing", async () => {
    const { text } = examplePayload("jira-issue-updated.json");
    const forged = text.replace("Dana@Corp.example", "mallory@corp.example");
    const refused = await post("jira", forged, { "x-hub-signature": jiraSignature(text) });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect((await post("jira", text)).status).toBe(401);
    expect((await post("zendesk", text)).status).toBe(404);
    expect(ownersOf(SEEDED_ITWINS.waterPlant)).not.toContain("mallory@corp.example");
  });

  it("answers 200 skipped for an event the filter leaves out", async () => {
    const text = examplePayload("jira-issue-updated.json").text.replace(
      '"toString": "Done"',
      '"toString": "In Review"',
    );
    const response = await post("jira", text, { "x-hub-signature": jiraSignature(text) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "skipped" });
  });

  it("turns a ServiceNow catalog task naming two iTwins into two changes, both applied", async () => {
    const { text } = examplePayload("servicenow-catalog-task.json");
    const response = await post("servicenow", text);
    expect(response.status).toBe(202);
    const { items } = (await response.json()) as { items: { index: number; statusUrl: string }[] };
    expect(items.map((item) => item.index)).toEqual([0, 1]);
    const docs = await Promise.all(items.map((item) => finished(item.statusUrl)));
    expect(docs.map((doc) => [doc.itwinId, doc.status, doc.outcome, doc.senderId])).toEqual([
      [SEEDED_ITWINS.bridgeRetrofit, "succeeded", "added", "SCTASK0010042"],
      [SEEDED_ITWINS.waterPlant, "succeeded", "added", "SCTASK0010042"],
    ]);
    expect(ownersOf(SEEDED_ITWINS.bridgeRetrofit)).toContain("erin@corp.example");
    expect(ownersOf(SEEDED_ITWINS.waterPlant)).toContain("erin@corp.example");
  });

  it("offboards an HR leaver from every iTwin the service made them an owner of", async () => {
    // Frank becomes an owner of two iTwins through this service, so the per-person index knows them.
    for (const itwinId of [SEEDED_ITWINS.bridgeRetrofit, SEEDED_ITWINS.railYard]) {
      const added = await fetch(`${stack.runner.url}/api/owner-changes`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ itwinId, email: "frank@corp.example", action: "add" }),
      });
      expect(added.status).toBe(202);
      expect(await finished(((await added.json()) as { statusUrl: string }).statusUrl)).toMatchObject({
        outcome: "added",
      });
    }

    const { text } = examplePayload("hr-worker-terminated.json");
    const response = await post("hr-leaver", text, standardWebhookHeaders("msg_leaver_1", text));
    expect(response.status).toBe(202);
    const body = (await response.json()) as { statusUrl: string; offboarding: boolean };
    expect(body.offboarding).toBe(true);
    const offboarding = await settled<{
      status: string;
      source: string;
      children: { itwinId: string; outcome?: string }[];
    }>(body.statusUrl, (doc) => doc.status !== "processing", "the offboarding to end");
    expect(offboarding.status).toBe("succeeded");
    expect(offboarding.source).toBe("hr-leaver");
    expect(offboarding.children.map((child) => [child.itwinId, child.outcome]).sort()).toEqual(
      [
        [SEEDED_ITWINS.bridgeRetrofit, "removed"],
        [SEEDED_ITWINS.railYard, "removed"],
      ].sort(),
    );
    expect(ownersOf(SEEDED_ITWINS.bridgeRetrofit)).not.toContain("frank@corp.example");
    expect(ownersOf(SEEDED_ITWINS.railYard)).not.toContain("frank@corp.example");
  });
});
