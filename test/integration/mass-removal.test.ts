import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import type { RunningRunner } from "../../dev/stack/runner.ts";
import type { StatusDocument } from "../../src/changes/model.ts";

/** More than two removals from one iTwin within the hour are held until someone decides. */
let stack: AppStack;
let simulator: RunningSimulator;
let runner: RunningRunner;

beforeAll(async () => {
  stack = await startAppStack({ env: { POLICY_MASS_REMOVAL_THRESHOLD: "2" } });
  ({ simulator, runner } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

async function remove(itwinId: string, email: string): Promise<string> {
  const response = await fetch(`${runner.url}/api/owner-changes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ itwinId, email, action: "remove" }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function settled(id: string): Promise<StatusDocument> {
  return waitFor(
    async () => {
      const doc = (await (await fetch(`${runner.url}/api/owner-changes/${id}`)).json()) as StatusDocument;
      return ["succeeded", "failed", "rejected", "held"].includes(doc.status) ? doc : undefined;
    },
    `request ${id} settled`,
    20_000,
    100,
  );
}

function decide(id: string, decision: string, body: unknown): Promise<Response> {
  return fetch(`${runner.url}/api/owner-changes/${id}/${decision}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("mass-removal hold", () => {
  it("holds the removal over the threshold, and removes it once approved", async () => {
    const owners = ["ann", "ben", "cid", "dot", "eve"].map((name) => ({ email: `${name}@corp.example` }));
    const { id: itwinId } = simulator.state.addItwin({ name: "reorg", owners });
    const docs: StatusDocument[] = [];
    for (const name of ["ann", "ben", "cid"])
      docs.push(await settled(await remove(itwinId, `${name}@corp.example`)));
    expect(docs.map((doc) => doc.status)).toEqual(["succeeded", "succeeded", "held"]);
    const held = docs[2] as StatusDocument;
    expect(held.history.at(-1)?.note).toMatch(/held for approval/);
    expect(simulator.state.owners(itwinId).map((m) => m.email)).toContain("cid@corp.example");

    const missingBy = await decide(held.id, "approve", { reason: "reorg" });
    expect(missingBy.status).toBe(400);
    const approved = await decide(held.id, "approve", {
      by: "it-lead@corp.example",
      reason: "planned reorg",
    });
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as StatusDocument).status).toBe("queued");
    const done = await settled(held.id);
    expect(done).toMatchObject({ status: "succeeded", outcome: "removed" });
    expect(done.history.map((h) => h.note ?? "")).toContain(
      "approved by it-lead@corp.example: planned reorg",
    );
    expect(simulator.state.owners(itwinId).map((m) => m.email)).not.toContain("cid@corp.example");

    const again = await decide(held.id, "approve", { by: "it-lead@corp.example" });
    expect(again.status).toBe(409);
  });

  it("ends a held removal as rejected when the approver says no", async () => {
    const owners = ["fay", "gus", "hal", "ida"].map((name) => ({ email: `${name}@corp.example` }));
    const { id: itwinId } = simulator.state.addItwin({ name: "second", owners });
    for (const name of ["fay", "gus"]) await settled(await remove(itwinId, `${name}@corp.example`));
    const held = await settled(await remove(itwinId, "hal@corp.example"));
    expect(held.status).toBe("held");
    const rejected = await decide(held.id, "reject", { by: "it-lead@corp.example", reason: "not planned" });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({
      status: "rejected",
      error: { code: "RejectedByApprover", message: "not planned" },
    });
    expect(simulator.state.owners(itwinId).map((m) => m.email)).toContain("hal@corp.example");
  });
});
