import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { sendRaw } from "../../dev/stack/queues.ts";
import { requestIdFor } from "../../src/changes/ids.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { SERVICE_CLIENT_EMAIL } from "../support/fixtures.ts";

/**
 * The service must not lock itself out: the seeded Bridge Retrofit lists the service client beside
 * carol, so the last-owner rule alone would let a removal of the service client through.
 */
let stack: AppStack;
const SERVICE = SERVICE_CLIENT_EMAIL;
const itwinId = SEEDED_ITWINS.bridgeRetrofit;

beforeAll(async () => {
  stack = await startAppStack();
});
afterAll(async () => {
  await stack?.stop();
});

function settled(id: string): Promise<StatusDocument> {
  return waitFor(
    async () => {
      const response = await fetch(`${stack.runner.url}/api/owner-changes/${id}`);
      if (response.status !== 200) return undefined;
      const doc = (await response.json()) as StatusDocument;
      return ["succeeded", "failed", "rejected", "held"].includes(doc.status) ? doc : undefined;
    },
    `request ${id} settled`,
    20_000,
    100,
  );
}

const owners = () => stack.simulator.state.owners(itwinId).map((member) => member.email?.toLowerCase());

describe("removing the service client's own owner address", () => {
  it("over HTTP, in any case, ends rejected with ServiceClientRemoval and the API is not called", async () => {
    const before = stack.simulator.state.stats();
    const response = await fetch(`${stack.runner.url}/api/owner-changes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ itwinId, email: SERVICE.toUpperCase(), action: "remove" }),
    });
    expect(response.status).toBe(202);
    const doc = await settled(((await response.json()) as { id: string }).id);
    expect(doc).toMatchObject({ status: "rejected", error: { code: "ServiceClientRemoval" } });
    expect(owners()).toContain(SERVICE);
    expect(stack.simulator.state.stats()).toEqual(before);
  });

  it("from the requests queue, and as a dry run, ends rejected the same way", async () => {
    const queue = "owner-change-requests";
    const change = { itwinId, email: SERVICE, action: "remove", source: "hr" };
    await sendRaw(stack.azurite.connectionString, queue, JSON.stringify({ ...change, id: "SC-1" }));
    await sendRaw(
      stack.azurite.connectionString,
      queue,
      JSON.stringify({ ...change, id: "SC-2", dryRun: true }),
    );
    for (const id of ["SC-1", "SC-2"]) {
      expect(await settled(requestIdFor(id, "hr"))).toMatchObject({
        status: "rejected",
        error: { code: "ServiceClientRemoval" },
      });
    }
    expect(owners()).toContain(SERVICE);
  });
});
