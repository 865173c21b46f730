import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { listResponseSchema, summaryResponseSchema } from "../../src/changes/query/schema.ts";

/**
 * The query API over HTTP through the local runner: changes submitted as a batch and applied by the
 * worker, then listed page by page and counted, with the answers checked against the published schemas.
 */

let stack: AppStack;
const ITWIN = SEEDED_ITWINS.bridgeRetrofit;
const PEOPLE = ["q1@corp.example", "q2@corp.example", "q3@corp.example", "q4@corp.example"];
let submitted: string[];

const get = (path: string) => fetch(`${stack.runner.url}${path}`);
async function json(path: string): Promise<{ status: number; body: unknown }> {
  const response = await get(path);
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  stack = await startAppStack({ hostJson: "test/integration/host.json" });
  // Two adds are refused with a 429 once: the summary must count both retries.
  const faults = await fetch(`${stack.simulator.url}/__admin/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      rules: [{ method: "POST", times: 2, respond: { status: 429, headers: { "retry-after": "1" } } }],
    }),
  });
  expect(faults.ok).toBe(true);
  const response = await fetch(`${stack.runner.url}/api/owner-changes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ changes: PEOPLE.map((email) => ({ itwinId: ITWIN, email, action: "add" })) }),
  });
  expect(response.status).toBe(202);
  submitted = ((await response.json()) as { items: { id: string }[] }).items.map((item) => item.id);
  await waitFor(
    async () => {
      const { body } = await json("/api/owner-changes?status=queued,processing");
      return listResponseSchema.parse(body).items.length === 0 ? true : undefined;
    },
    "the batch applied",
    30_000,
    200,
  );
});
afterAll(async () => {
  await stack?.stop();
});

describe("GET /api/owner-changes over HTTP", () => {
  it("pages an iTwin's changes newest first through the next links, each with its status URL", async () => {
    const seen: string[] = [];
    let path: string | undefined = `/api/owner-changes?itwinId=${ITWIN}&limit=3`;
    for (let page = 0; path !== undefined && page < 10; page++) {
      const response = await get(path);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const body = listResponseSchema.parse(await response.json());
      for (const item of body.items) {
        expect(item).toMatchObject({ status: "succeeded", outcome: "added", itwinId: ITWIN, via: "http" });
        expect(item.statusUrl).toBe(`${stack.runner.url}/api/owner-changes/${item.id}`);
      }
      seen.push(...body.items.map((item) => item.id));
      path = body.next;
    }
    expect(new Set(seen)).toEqual(new Set(submitted));
    expect(seen).toHaveLength(4);
    const created = await Promise.all(
      seen.map(
        async (id) => ((await json(`/api/owner-changes/${id}`)).body as { createdAt: string }).createdAt,
      ),
    );
    expect([...created].sort().reverse()).toEqual(created);
  });

  it("answers 400 naming the field for a bad filter and for a cursor replayed with other filters", async () => {
    const first = listResponseSchema.parse((await json(`/api/owner-changes?itwinId=${ITWIN}&limit=1`)).body);
    expect(first.cursor).toBeDefined();
    const replayed = await get(`/api/owner-changes?email=q1@corp.example&limit=1&cursor=${first.cursor}`);
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get("content-type")).toBe("application/problem+json");
    expect(await replayed.json()).toMatchObject({ errors: [{ path: "cursor" }] });
    expect((await json("/api/owner-changes?since=last-week")).body).toMatchObject({
      status: 400,
      errors: [{ path: "since" }],
    });
  });

  it("finds one person's change by any spelling of the address", async () => {
    const body = listResponseSchema.parse((await json("/api/owner-changes?email=Q2@CORP.example")).body);
    expect(body.items.map((item) => item.email)).toEqual(["q2@corp.example"]);
  });
});

describe("GET /api/owner-changes/summary over HTTP", () => {
  it("is routed before owner-changes/{id} and counts the last day, 429 retries too, in hourly buckets", async () => {
    const { status, body } = await json("/api/owner-changes/summary?bucket=hour");
    expect(status).toBe(200);
    const summary = summaryResponseSchema.parse(body);
    expect(summary).toMatchObject({
      total: 4,
      byStatus: { succeeded: 4 },
      byOutcome: { added: 4 },
      rateLimitRetries: 2,
    });
    expect(summary.buckets?.length).toBeGreaterThanOrEqual(24);
    expect(summary.buckets?.reduce((sum, bucket) => sum + bucket.total, 0)).toBe(4);
    expect((await json("/api/owner-changes/summary?since=2026-01-01T00:00:00Z")).status).toBe(400);
  });
});
