import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { REPO_ROOT, tsxLoaderUrl } from "../../dev/stack/paths.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { approximateCount, sendRaw } from "../../dev/stack/queues.ts";
import type { StatusDocument } from "../../src/changes/model.ts";

/** `npm run poison` as a user runs it (a child process), against a stack whose jobs poison fast. */
const run = promisify(execFile);
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

async function poisonCli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", tsxLoaderUrl(), "ops/poison.ts", ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, AzureWebJobsStorage: stack.azurite.connectionString },
    timeout: 30_000,
  });
  return stdout;
}

describe("npm run poison", () => {
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

    const listed = await poisonCli("list", "--queue", "jobs");
    expect(listed).toContain(`job of ${id} failed after repeated deliveries`);
    expect(listed).toContain(`add kim@corp.example on ${itwinId}`);

    expect(await poisonCli("replay", "--queue", "jobs", "--all", "--dry-run")).toContain(
      "nothing changed; 1 would be replayed",
    );
    simulator.state.setFaults({});
    expect(await poisonCli("replay", "--queue", "jobs", "--all")).toContain(
      "1 replayed onto owner-change-requests",
    );

    await waitFor(
      () => simulator.state.owners(itwinId).some((m) => m.email === "kim@corp.example"),
      "replayed change applied",
      20_000,
      100,
    );
    const original = (await (await fetch(`${runner.url}/api/owner-changes/${id}`)).json()) as StatusDocument;
    expect(original.status).toBe("failed");
    expect(await approximateCount(azurite.connectionString, "owner-change-jobs-poison")).toBe(0);
  });

  it("replays a refused request only when asked, and explains usage mistakes", async () => {
    const { azurite } = stack;
    await sendRaw(azurite.connectionString, "owner-change-requests", "not json at all");
    await waitFor(
      async () => (await approximateCount(azurite.connectionString, "owner-change-requests-poison")) >= 1,
      "request poisoned",
      15_000,
      100,
    );
    expect(await poisonCli("list")).toContain("neither JSON nor base64-encoded JSON");
    await expect(poisonCli("replay")).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("replay needs --id"),
    });
    await expect(poisonCli("list", "--queue", "other")).rejects.toMatchObject({ code: 2 });
    expect(await poisonCli("--help")).toContain("Usage: npm run poison");
  });
});
