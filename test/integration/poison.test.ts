import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { approximateCount, sendRaw } from "../../dev/stack/queues.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { runTestCli } from "../support/cli-io.ts";

/**
 * The poison routes (`GET /api/poison/{queue}`, `POST …/replay`) through `owner-changes poison`, against a
 * stack whose jobs poison fast.
 */
let stack: AppStack;

beforeAll(async () => {
  stack = await startAppStack({
    env: { QUEUE_MAX_DEQUEUE_COUNT: "2", RETRY_MAX_INLINE_WAIT_MS: "2000" },
    hostJson: "test/integration/host.json",
  });
});
afterAll(async () => {
  await stack?.stop();
});

const poison = (...args: string[]) => runTestCli(["--url", stack.runner.url, "poison", ...args]);

describe("owner-changes poison", () => {
  it("lists a job that failed after repeated deliveries and replays it as a new request", async () => {
    const { runner, simulator, azurite } = stack;
    const { id: itwinId } = simulator.state.addItwin({ name: "outage", owners: [] });
    simulator.state.setFaults({
      rules: [{ method: "POST", pathIncludes: itwinId, times: 1000, respond: { status: 503, body: "down" } }],
    });
    const response = await fetch(`${runner.url}/api/owner-changes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ itwinId, email: "kim@corp.example", action: "add" }),
    });
    const { id } = (await response.json()) as { id: string };
    await waitFor(
      async () => (await approximateCount(azurite.connectionString, "owner-change-jobs-poison")) >= 1,
      "job poisoned",
      30_000,
      200,
    );

    const listed = await poison("list", "--queue", "jobs");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^jobs: 1 message\(s\)\nMESSAGE\s+INSERTED\s+REASON\s+CHANGE\n/);
    expect(listed.stdout).toContain(
      `job of ${id} failed after repeated deliveries  add kim@corp.example on ${itwinId}`,
    );
    const json = JSON.parse((await runTestCli(["--url", runner.url, "--json", "poison", "list"])).stdout);
    expect(json.queues.map((q: { queue: string }) => q.queue)).toEqual(["requests", "jobs"]);
    expect(json.queues[1].messages[0]).toMatchObject({
      reason: `job of ${id} failed after repeated deliveries`,
      change: { itwinId, email: "kim@corp.example", action: "add", requestId: id },
    });

    const dry = await poison("replay", "--queue", "jobs", "--all", "--dry-run");
    expect(dry.stdout).toMatch(/1 would replay, 0 skipped \(dry run: nothing changed\)/);
    simulator.state.setFaults({});
    const replayed = await poison("replay", "--queue", "jobs", "--all");
    expect(replayed.code).toBe(0);
    const newId = /→ new request (k-\S+)/.exec(replayed.stdout)?.[1] as string;
    expect(replayed.stdout).toContain("1 replayed, 0 skipped");

    const applied = await waitFor(
      async () => {
        const doc = (await (
          await fetch(`${runner.url}/api/owner-changes/${newId}`)
        ).json()) as StatusDocument;
        return doc.status === "succeeded" ? doc : undefined;
      },
      "replayed change applied",
      20_000,
      100,
    );
    expect(applied).toMatchObject({ source: "poison-replay", email: "kim@corp.example", outcome: "added" });
    expect(simulator.state.owners(itwinId).some((m) => m.email === "kim@corp.example")).toBe(true);
    const original = (await (await fetch(`${runner.url}/api/owner-changes/${id}`)).json()) as StatusDocument;
    expect(original.status).toBe("failed");
    expect(await approximateCount(azurite.connectionString, "owner-change-jobs-poison")).toBe(0);
  });

  it("replays a refused request only when asked, leaves others where they are, and explains mistakes", async () => {
    const { azurite, runner } = stack;
    await sendRaw(azurite.connectionString, "owner-change-requests", "not json at all");
    await sendRaw(azurite.connectionString, "owner-change-requests", '{"email":"x"}');
    await waitFor(
      async () => (await approximateCount(azurite.connectionString, "owner-change-requests-poison")) >= 2,
      "requests poisoned",
      15_000,
      100,
    );
    const listed = await poison("list", "--queue", "requests");
    expect(listed.stdout).toContain("neither JSON nor base64-encoded JSON");
    const refusedId = /^(\S+)\s.*neither JSON/m.exec(listed.stdout)?.[1] as string;
    const dry = await poison("replay", "--queue", "requests", "--id", refusedId, "--dry-run");
    expect(dry).toMatchObject({
      code: 0,
      stdout: `would replay  ${refusedId}\n1 would replay, 0 skipped (dry run: nothing changed)\n`,
    });

    expect(await poison("replay", "--queue", "requests")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("replay needs --id"),
    });
    const missing = await poison("replay", "--queue", "requests", "--id", "no-such-message");
    expect(missing).toMatchObject({
      code: 1,
      stdout: expect.stringContaining("skipped  no-such-message: not found"),
    });
    // The messages the replay received while looking are visible again at once, not after 30 s.
    expect(await approximateCount(azurite.connectionString, "owner-change-requests-poison")).toBe(2);
    expect((await poison("list", "--queue", "requests")).stdout).toMatch(/requests: 2 message\(s\)/);

    const replay = (body: unknown, queue = "requests") =>
      fetch(`${runner.url}/api/poison/${queue}/replay`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const noTarget = await replay({ max: 5 });
    expect(noTarget.status).toBe(400);
    expect(await noTarget.json()).toMatchObject({ errors: [{ path: "ids" }] });
    expect((await replay({ all: true, colour: "red" })).status).toBe(400);
    expect((await replay({ all: true }, "other")).status).toBe(404);
    expect((await fetch(`${runner.url}/api/poison/other`)).status).toBe(404);
  });
});
