import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../dev/simulator/server.ts";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { appEnv } from "../../dev/stack/credentials.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { type RunningRunner, startRunner } from "../../dev/stack/runner.ts";
import type { StatusDocument } from "../../src/changes/model.ts";

/**
 * Pacing across real processes: worker runners share one OAuth client, and so one budget, on a
 * simulator limited to 20 requests per second.
 */

const LIMIT = 20;
let azurite: AzuriteInstance;
let simulator: RunningSimulator;
const runners: RunningRunner[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  simulator = await startSimulator({ port: 0, rateLimit: { limit: LIMIT, windowMs: 1000 } });
});

afterAll(async () => {
  await Promise.all(runners.map((runner) => runner.stop()));
  await simulator?.close();
  await azurite?.close();
});

function startWorker(): Promise<RunningRunner> {
  return startRunner({
    entry: "src/index.ts",
    env: appEnv(azurite, simulator),
  }).then((runner) => {
    runners.push(runner);
    return runner;
  });
}

/** Submits `count` adds over four fresh iTwins; resolves with the request ids. */
async function submitAdds(
  runner: RunningRunner,
  count: number,
  tag: string,
): Promise<{ ids: string[]; itwins: string[] }> {
  const itwins = Array.from(
    { length: 4 },
    (_, i) => simulator.state.addItwin({ name: `${tag}-${i}`, owners: [] }).id,
  );
  const changes = Array.from({ length: count }, (_, i) => ({
    itwinId: itwins[i % itwins.length],
    email: `${tag}-${i}@corp.example`,
    action: "add",
  }));
  const ids: string[] = [];
  for (let start = 0; start < changes.length; start += 100) {
    const response = await fetch(`${runner.url}/api/owner-changes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ changes: changes.slice(start, start + 100) }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { items: { id: string }[] };
    ids.push(...body.items.map((item) => item.id));
  }
  return { ids, itwins };
}

async function settleAll(
  runner: RunningRunner,
  ids: string[],
  itwins: string[],
  timeoutMs: number,
): Promise<StatusDocument[]> {
  const added = () => itwins.reduce((sum, id) => sum + simulator.state.owners(id).length, 0);
  await waitFor(() => added() >= ids.length, `${ids.length} owners added`, timeoutMs, 100);
  const docs: StatusDocument[] = [];
  for (const id of ids) {
    await waitFor(
      async () => {
        const response = await fetch(`${runner.url}/api/owner-changes/${id}`);
        const doc = (await response.json()) as StatusDocument;
        if (doc.status !== "succeeded" && doc.status !== "failed") return false;
        docs.push(doc);
        return true;
      },
      `request ${id} settled`,
      10_000,
      50,
    );
  }
  return docs;
}

describe("rate-limit pacing", () => {
  it("finishes 200 changes against a 20-requests/s API with zero 429s", async () => {
    const runner = await startWorker();
    simulator.state.resetStats();
    const started = Date.now();
    const { ids, itwins } = await submitAdds(runner, 200, "solo");
    const docs = await settleAll(runner, ids, itwins, 40_000);
    const seconds = (Date.now() - started) / 1000;
    expect(docs.every((doc) => doc.status === "succeeded" && doc.outcome === "added")).toBe(true);
    const stats = simulator.state.stats();
    expect(stats.rateLimited).toBe(0);
    // Paced, not slowed down: 200 calls at 20/s take 10 s; allow start-up and polling on a busy machine.
    expect(seconds).toBeLessThan(25);
  });

  it("keeps two worker processes of one client within the shared budget", async () => {
    const [front] = runners as [RunningRunner];
    const second = await startWorker();
    simulator.state.resetStats();
    const { ids, itwins } = await submitAdds(front, 200, "pair");
    const docs = await settleAll(front, ids, itwins, 40_000);
    expect(docs.every((doc) => doc.status === "succeeded")).toBe(true);
    const stats = simulator.state.stats();
    const apiCalls = Object.entries(stats.byRoute)
      .filter(([route]) => route.includes("/members/owners"))
      .reduce((sum, [, route]) => sum + route.requests, 0);
    // Both processes took work from the shared queue and stayed within the budget, give or take the
    // moment before the first one counted the second: at most one window's worth of refusals.
    expect(apiCalls).toBeGreaterThanOrEqual(200);
    expect(second.logs()).toContain("job finished");
    expect(stats.rateLimited).toBeLessThanOrEqual(LIMIT);
  });
});
