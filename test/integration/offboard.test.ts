import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, SEEDED_ITWINS } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import type { RunningRunner } from "../../dev/stack/runner.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import type { OffboardingView } from "../../src/people/rollup.ts";

/**
 * Offboarding across real process boundaries: owners added through the normal intake, the worker's
 * per-person index in azurite's table, `POST /api/people/{email}/offboard` and its children applied to
 * the simulator, the parent's roll-up read back. One removal per iTwin and window is allowed
 * (POLICY_MASS_REMOVAL_THRESHOLD 1), so the hold can be shown on an iTwin of its own.
 */

let stack: AppStack;
let simulator: RunningSimulator;
let runner: RunningRunner;

beforeAll(async () => {
  stack = await startAppStack({
    env: { QUEUE_MAX_DEQUEUE_COUNT: "2", POLICY_MASS_REMOVAL_THRESHOLD: "1" },
    hostJson: "test/integration/host.json",
  });
  ({ simulator, runner } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

const FINAL = ["succeeded", "failed", "rejected", "held"];
const emailsOf = (itwinId: string) => simulator.state.owners(itwinId).map((member) => member.email);

async function change(itwinId: string, email: string, action: "add" | "remove"): Promise<StatusDocument> {
  const response = await fetch(`${runner.url}/api/owner-changes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ itwinId, email, action }),
  });
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  return waitFor(
    async () => {
      const doc = (await (await fetch(`${runner.url}/api/owner-changes/${id}`)).json()) as StatusDocument;
      return FINAL.includes(doc.status) ? doc : undefined;
    },
    `change ${id} settled`,
    20_000,
    100,
  );
}

function offboard(email: string, body?: unknown, key?: string): Promise<Response> {
  return fetch(`${runner.url}/api/people/${encodeURIComponent(email)}/offboard`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === undefined ? {} : { "idempotency-key": key }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Polls the parent until its roll-up is `until`; bounded in time, and says what it last saw. */
async function rolledUp(statusUrl: string, until: OffboardingView["status"]): Promise<OffboardingView> {
  let last: OffboardingView | undefined;
  try {
    return await waitFor(
      async () => {
        last = (await (await fetch(statusUrl)).json()) as OffboardingView;
        return last.status === until ? last : undefined;
      },
      `offboarding ${statusUrl} ${until}`,
      30_000,
      200,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last: ${JSON.stringify(last)}\n${runner.logs()}`);
  }
}

describe("offboarding a leaver", () => {
  it("removes the person from every iTwin they were added to, once however often it is asked", async () => {
    const leaver = "leaver@corp.example";
    const itwins = [SEEDED_ITWINS.bridgeRetrofit, SEEDED_ITWINS.railYard];
    for (const itwinId of itwins) {
      expect(await change(itwinId, leaver, "add")).toMatchObject({ status: "succeeded", outcome: "added" });
      expect(emailsOf(itwinId)).toContain(leaver);
    }

    const response = await offboard(
      leaver,
      { reason: "left the company", requestedBy: "hr@corp.example" },
      "hr-1",
    );
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { id: string; statusUrl: string; children: { id: string }[] };
    expect(response.headers.get("location")).toBe(accepted.statusUrl);
    expect(accepted.children).toHaveLength(2);

    const parent = await rolledUp(accepted.statusUrl, "succeeded");
    expect(parent).toMatchObject({ email: leaver, reason: "left the company", counts: { succeeded: 2 } });
    expect(parent.children.map((child) => [child.itwinId, child.outcome]).sort()).toEqual(
      [...itwins].sort().map((itwinId) => [itwinId, "removed"]),
    );
    for (const itwinId of itwins) expect(emailsOf(itwinId)).not.toContain(leaver);
    const child = (await (
      await fetch(`${runner.url}/api/owner-changes/${accepted.children[0]?.id}`)
    ).json()) as StatusDocument;
    expect(child).toMatchObject({ parentId: accepted.id, via: "offboard", action: "remove" });
    expect(child.occurredAt).toBeDefined();

    const repeat = await offboard(leaver, { reason: "left the company" }, "hr-1");
    expect(repeat.status).toBe(202);
    expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    const replayed = (await repeat.json()) as typeof accepted;
    expect(replayed.id).toBe(accepted.id);
    expect(replayed.children.map((c) => c.id)).toEqual(accepted.children.map((c) => c.id));

    // The index forgot both iTwins when the removals went through: a new offboarding has nothing to do.
    const again = (await (await offboard(leaver, undefined, "hr-2")).json()) as typeof accepted;
    const empty = await rolledUp(again.statusUrl, "succeeded");
    expect(empty.children).toEqual([]);
    expect(empty.note).toMatch(/nothing to remove/);
  });

  it("refuses an invalid email or body with problem+json naming the field", async () => {
    const badEmail = await offboard("not-an-email");
    expect(badEmail.status).toBe(400);
    expect(badEmail.headers.get("content-type")).toContain("application/problem+json");
    expect(((await badEmail.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "email",
    ]);
    const badBody = await offboard("ok@corp.example", { dryRun: "yes", extra: 1 });
    expect(badBody.status).toBe(400);
    expect(
      ((await badBody.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort(),
    ).toEqual(["dryRun", "extra"]);
    const unknown = await fetch(`${runner.url}/api/offboardings/k-unknown00000`);
    expect(unknown.status).toBe(404);
  });

  it("rolls up rejected when a removal would take an iTwin's last human owner", async () => {
    const solo = "solo@corp.example";
    await change(SEEDED_ITWINS.waterPlant, solo, "add");
    const { statusUrl } = (await (await offboard(solo)).json()) as { statusUrl: string };
    const parent = await rolledUp(statusUrl, "rejected");
    expect(parent.children).toMatchObject([{ status: "rejected", error: { code: "LastOwner" } }]);
    expect(emailsOf(SEEDED_ITWINS.waterPlant)).toContain(solo);
  });

  it("rolls up held while the mass-removal hold keeps a child, and succeeded once it is approved", async () => {
    const owners = ["ann", "ben", "cid"].map((name) => ({ email: `${name}@corp.example` }));
    const { id: itwinId } = simulator.state.addItwin({ name: "held offboarding", owners });
    // ben becomes known to the index (already an owner), and ann's removal takes the window's one slot.
    expect(await change(itwinId, "ben@corp.example", "add")).toMatchObject({ outcome: "already-owner" });
    expect(await change(itwinId, "ann@corp.example", "remove")).toMatchObject({ outcome: "removed" });

    const { statusUrl } = (await (await offboard("ben@corp.example")).json()) as { statusUrl: string };
    const held = await rolledUp(statusUrl, "held");
    const childId = held.children[0]?.id ?? "";
    const approve = await fetch(`${runner.url}/api/owner-changes/${childId}/approve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ by: "it-lead@corp.example", reason: "leaver" }),
    });
    expect(approve.status).toBe(200);
    await rolledUp(statusUrl, "succeeded");
    expect(emailsOf(itwinId)).not.toContain("ben@corp.example");
  });
});
