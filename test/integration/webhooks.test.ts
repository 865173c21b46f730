import standardWebhooks from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import type { RunningRunner } from "../../dev/stack/runner.ts";

/** With WEBHOOK_SECRETS set, the HTTP intake takes only Standard Webhooks-signed deliveries. */
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let stack: AppStack;
let runner: RunningRunner;

beforeAll(async () => {
  stack = await startAppStack({
    env: { WEBHOOK_SECRETS: `whsec_b2xkLXNlY3JldC1zdGlsbC12YWxpZA==,${SECRET}` },
  });
  ({ runner } = stack);
});
afterAll(async () => {
  await stack?.stop();
});

const body = JSON.stringify({
  itwinId: SEEDED_ITWINS.waterPlant,
  email: "signed@corp.example",
  action: "add",
});

function deliver(headers: Record<string, string>): Promise<Response> {
  return fetch(`${runner.url}/api/owner-changes`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

function signature(id: string): Record<string, string> {
  const at = new Date();
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new standardWebhooks.Webhook(SECRET).sign(id, at, body),
  };
}

describe("signed webhooks", () => {
  it("refuses an unsigned delivery with 401 problem+json", async () => {
    const response = await deliver({});
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(((await response.json()) as { detail: string }).detail).toMatch(/webhook-signature/);
  });

  it("accepts a signed delivery and treats a redelivery of the same webhook id as the same request", async () => {
    const first = await deliver(signature("msg_2Tz0"));
    expect(first.status).toBe(202);
    const again = await deliver(signature("msg_2Tz0"));
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const [a, b] = (await Promise.all([first.json(), again.json()])) as [{ id: string }, { id: string }];
    expect(b.id).toBe(a.id);
  });
});
