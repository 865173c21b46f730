import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../dev/simulator/server.ts";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { appEnv } from "../../dev/stack/credentials.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { type RunningRunner, startRunner } from "../../dev/stack/runner.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { transition } from "../../src/changes/status.ts";
import { TableStatusStore } from "../../src/changes/status-store.ts";
import { queuedDoc, SERVICE_CLIENT_EMAIL } from "../support/fixtures.ts";

/**
 * Crash recovery across real processes: a runner is SIGKILLed while its worker is inside an owners API
 * call, and a second runner's recovery timer (app.timer, served by the runner) re-drives the change long
 * before the dead runner's queue message would become visible again (10 minutes). Recovery runs every
 * second here and declares a worker dead after 3 s of silence; production defaults are 30 s and 60 s.
 */

const RECOVERY_ENV = { RECOVERY_SCHEDULE: "* * * * * *", RECOVERY_AFTER_SECONDS: "3" };

let azurite: AzuriteInstance;
let simulator: RunningSimulator;
const runners: RunningRunner[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  simulator = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await Promise.all(runners.map((runner) => runner.stop("SIGKILL")));
  await simulator?.close();
  await azurite?.close();
});

async function runner(): Promise<RunningRunner> {
  const started = await startRunner({
    entry: "src/index.ts",
    hostJson: "test/integration/host.json",
    env: { ...appEnv(azurite, simulator), ...RECOVERY_ENV },
  });
  runners.push(started);
  return started;
}

async function statusOf(url: string, id: string): Promise<StatusDocument | undefined> {
  const response = await fetch(`${url}/api/owner-changes/${id}`);
  return response.status === 200 ? ((await response.json()) as StatusDocument) : undefined;
}

function statusTable(): TableStatusStore {
  const table = TableClient.fromConnectionString(azurite.connectionString, "OwnerChanges", {
    allowInsecureConnection: true,
  });
  return new TableStatusStore(table);
}

function queuedFor(id: string, itwinId: string, email: string): StatusDocument {
  return queuedDoc({ id, itwinId, email, correlationId: "crash-test" }, new Date().toISOString());
}

async function settledAs(url: string, id: string, what: string): Promise<StatusDocument> {
  return waitFor(
    async () => {
      const doc = await statusOf(url, id);
      return doc?.status === "succeeded" ? doc : undefined;
    },
    what,
    60_000,
    250,
  );
}

function itwinWithOwner(): string {
  return simulator.state.addItwin({
    owners: [{ email: SERVICE_CLIENT_EMAIL }, { email: "keeper@corp.example" }],
  }).id;
}

describe("crash recovery", () => {
  it("re-drives a change whose worker was killed mid-call, once, within the bound", async () => {
    const itwinId = itwinWithOwner();
    // The first POST to this iTwin hangs, so the worker is inside the call when it is killed.
    simulator.state.setFaults({ rules: [{ method: "POST", pathIncludes: itwinId, stallMs: 20_000 }] });
    const first = await runner();
    const accepted = await fetch(`${first.url}/api/owner-changes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ itwinId, email: "dora@corp.example", action: "add" }),
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    await waitFor(
      async () =>
        (await statusOf(first.url, id))?.status === "processing" && simulator.state.stats().inFlight > 0,
      "the worker to be inside the owners API call",
      20_000,
    );

    await first.stop("SIGKILL");
    const killedAt = Date.now();
    simulator.state.clearFaults();
    const second = await runner();
    const done = await settledAs(second.url, id, `request ${id} to succeed after the kill`);

    const waitedSeconds = (Date.now() - killedAt) / 1000;
    expect(waitedSeconds).toBeLessThan(60);
    expect(["added", "already-owner"]).toContain(done.outcome);
    expect(done.recoveries).toBe(1);
    expect(
      done.history.some((entry) =>
        /^recovered: its worker .+ (is gone|has been silent)/.test(entry.note ?? ""),
      ),
    ).toBe(true);
    expect(simulator.state.owners(itwinId).filter((m) => m.email === "dora@corp.example")).toHaveLength(1);
  });

  it("sends the job of a change accepted just before a crash between its record and its job", async () => {
    const itwinId = itwinWithOwner();
    const live = runners.at(-1) as RunningRunner;
    // Exactly what a crash between accept's two writes leaves: a queued record and no job.
    const id = `r-orphan-${Date.now()}`;
    const created = await statusTable().create(queuedFor(id, itwinId, "erin@corp.example"), "fingerprint");
    expect(created.created).toBe(true);

    const done = await settledAs(live.url, id, `orphaned request ${id} to be re-driven`);
    expect(done.outcome).toBe("added");
    expect(done.history.map((entry) => entry.note ?? "")).toContainEqual(
      expect.stringMatching(/^recovered: due \d+ s ago and no job for it is waiting in the queue/),
    );
    expect(simulator.state.owners(itwinId).map((m) => m.email)).toContain("erin@corp.example");
  });

  it("re-drives a claim its live worker no longer works on (its invocation failed and its message stayed invisible)", async () => {
    const itwinId = itwinWithOwner();
    const live = runners.at(-1) as RunningRunner;
    // The state a storage outage leaves when both the invocation and the release of its message fail:
    // `processing`, claimed by a live, heartbeating worker that is not working on it.
    const table = TableClient.fromConnectionString(azurite.connectionString, "OwnerChanges", {
      allowInsecureConnection: true,
    });
    // The newest heartbeat that publishes its work is the live runner's (the killed one's has aged).
    const worker = await waitFor(async () => {
      let newest: { id: string; lastSeen: number } | undefined;
      for await (const row of table.listEntities<{ working?: string; lastSeen: number }>({
        queryOptions: { filter: "PartitionKey eq 'worker-instances'" },
      })) {
        if (typeof row.working === "string" && row.lastSeen > (newest?.lastSeen ?? 0))
          newest = { id: row.rowKey ?? "", lastSeen: row.lastSeen };
      }
      return newest !== undefined && Date.now() - newest.lastSeen < 2_500 ? newest.id : undefined;
    }, "the live worker's heartbeat");
    const store = statusTable();
    const id = `r-idle-claim-${Date.now()}`;
    const queued = queuedFor(id, itwinId, "fran@corp.example");
    const created = await store.create(queued, "fingerprint");
    if (!created.created) throw new Error("expected a new document");
    const claimed = transition(queued, "processing", new Date(), {
      attempts: 1,
      claimedBy: "message-of-a-failed-invocation",
      claimedAt: new Date().toISOString(),
      claimedByInstance: worker,
    });
    await store.replace(claimed, "fingerprint", created.etag);

    const done = await settledAs(live.url, id, `idle claim ${id} to be re-driven`);
    expect(done.outcome).toBe("added");
    expect(done.history.map((entry) => entry.note ?? "")).toContainEqual(
      `recovered: its worker ${worker} is alive but no longer working on it; new job sent`,
    );
  });
});
