import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/itwin/errors/api-error.ts";
import { IdentityError } from "../../../src/itwin/errors/identity-error.ts";
import { PacedWaitError } from "../../../src/itwin/errors/paced-wait-error.ts";
import { RetryLaterError } from "../../../src/itwin/errors/retry-later-error.ts";
import { createOwnersClient } from "../../../src/itwin/owners-client.ts";
import { PacingGate } from "../../../src/itwin/pacing.ts";
import { countingRateLimitRetries, rateLimitRetriesSoFar } from "../../../src/itwin/rate-limit-retries.ts";
import { FakeClock } from "../../support/fake-clock.ts";

/**
 * The owners client against a scripted fetch: every request is recorded and answered by the next
 * scripted response, so retry decisions can be checked exactly and without waiting.
 */
type Script = (request: Request) => Response;

function harness(
  script: Script[],
  options: {
    maxInlineWaitMs?: number;
    tokens?: string[];
    getToken?: () => Promise<string>;
    gate?: PacingGate;
  } = {},
) {
  const clock = new FakeClock();
  const requests: Request[] = [];
  const tokens = options.tokens ?? ["t1", "t2", "t3"];
  const invalidated: string[] = [];
  let tokenIndex = 0;
  const fetchStub = (async (input: Request) => {
    requests.push(input.clone());
    const next = script.shift();
    if (next === undefined) throw new Error(`unscripted request ${input.method} ${input.url}`);
    return next(input);
  }) as unknown as typeof fetch;
  const gate = options.gate ?? new PacingGate();
  const client = createOwnersClient({
    baseUrl: "https://api.test",
    getToken: options.getToken ?? (async () => tokens[Math.min(tokenIndex, tokens.length - 1)] as string),
    invalidateToken: (token) => {
      invalidated.push(token);
      tokenIndex++;
    },
    timeoutMs: 1000,
    clock,
    maxInlineWaitMs: options.maxInlineWaitMs ?? 5000,
    gate,
    random: () => 0,
    fetch: fetchStub,
  });
  return { client, clock, requests, invalidated, gate };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });
const text =
  (status: number, body: string, headers: Record<string, string> = {}) =>
  () =>
    new Response(body, { status, headers });
const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";

describe("addOwner", () => {
  it("sends the v2 Accept header and a bearer token, and reads a member as added", async () => {
    const { client, requests } = harness([
      json(201, { member: { id: "m1", email: "a@corp.example" }, invitation: null }),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({
      kind: "added",
      memberId: "m1",
    });
    const [request] = requests;
    expect(request?.url).toBe(`https://api.test/accesscontrol/itwins/${ITWIN}/members/owners`);
    expect(request?.headers.get("accept")).toBe("application/vnd.bentley.itwin-platform.v2+json");
    expect(request?.headers.get("authorization")).toBe("Bearer t1");
    expect(await request?.json()).toEqual({ email: "a@corp.example" });
  });

  it("reads an invitation and the older { member } shape", async () => {
    const { client } = harness([
      json(201, { member: null, invitation: { id: "inv1", email: "x@other.example" } }),
      json(201, { member: { id: "m2", email: "b@corp.example" } }),
    ]);
    await expect(client.addOwner(ITWIN, "x@other.example")).resolves.toMatchObject({
      kind: "invited",
      invitationId: "inv1",
    });
    await expect(client.addOwner(ITWIN, "b@corp.example")).resolves.toMatchObject({
      kind: "added",
      memberId: "m2",
    });
  });

  it("treats a conflict as already-owner, not as a failure", async () => {
    const { client } = harness([json(409, { error: { code: "MemberAlreadyExists", message: "already" } })]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "already-owner" });
  });

  it("reads already-owner from an error's details as well", async () => {
    const { client } = harness([
      json(422, {
        error: {
          code: "InvalidiTwinsMemberRequest",
          message: "Request body or query is invalid.",
          details: [{ code: "iTwinMemberAlreadyExists", message: "Member already exists in iTwin." }],
        },
      }),
      json(422, { error: { details: [{ code: "iTwinMemberAlreadyExists" }] } }),
      json(422, { error: { code: "InvalidiTwinsMemberRequest", message: "Required property is missing." } }),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "already-owner" });
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "already-owner" });
    await expect(client.addOwner(ITWIN, "a@corp.example")).rejects.toMatchObject({
      code: "InvalidiTwinsMemberRequest",
    });
  });

  it("waits for the rate-limit reset after a 429 and then succeeds", async () => {
    const { client, clock, requests } = harness([
      (_request) =>
        new Response(JSON.stringify({ error: { code: "RateLimitExceeded", message: "slow down" } }), {
          status: 429,
          headers: {
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": new Date(clock.now() + 800).toISOString(),
          },
        }),
      json(201, { member: { id: "m1", email: "a@corp.example" } }),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "added" });
    expect(requests).toHaveLength(2);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(800);
  });

  it("counts, for the job it runs in, each 429 it retries inline or hands back, and nothing else", async () => {
    const { client } = harness(
      [
        json(429, { error: { code: "TooManyRequests", message: "x" } }, { "retry-after": "1" }),
        text(503, "busy"),
        json(201, { member: { id: "m1", email: "a@corp.example" } }),
        json(429, { error: { code: "TooManyRequests", message: "x" } }, { "retry-after": "30" }),
      ],
      { maxInlineWaitMs: 5000 },
    );
    const counted = await countingRateLimitRetries(async () => {
      await client.addOwner(ITWIN, "a@corp.example");
      await client.addOwner(ITWIN, "a@corp.example").catch((e: unknown) => e);
      return rateLimitRetriesSoFar();
    });
    expect(counted).toBe(2);
    expect(rateLimitRetriesSoFar()).toBe(0);
  });

  it("retries a 503 with backoff, then succeeds", async () => {
    const { client, requests } = harness([
      text(503, "<html><body>Service Unavailable</body></html>", { "content-type": "text/html" }),
      json(201, { member: { id: "m1", email: "a@corp.example" } }),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "added" });
    expect(requests).toHaveLength(2);
  });

  it("refreshes the token once after a 401 and retries", async () => {
    const { client, requests, invalidated } = harness([
      json(401, { error: { code: "InvalidToken", message: "expired" } }),
      json(201, { member: { id: "m1", email: "a@corp.example" } }),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "added" });
    expect(invalidated).toEqual(["t1"]);
    expect(requests.map((r) => r.headers.get("authorization"))).toEqual(["Bearer t1", "Bearer t2"]);
  });

  it("fails permanently on a second 401 and on a 404, keeping the API's code and correlation id", async () => {
    const { client } = harness([
      json(401, { error: { code: "InvalidToken", message: "expired" } }),
      json(401, { error: { code: "InvalidToken", message: "still" } }),
      json(
        404,
        { error: { code: "ItwinNotFound", message: "Requested iTwin is not available." } },
        { "x-correlation-id": "c-404" },
      ),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).rejects.toMatchObject({
      httpStatus: 401,
      transient: false,
    });
    const error = await client.addOwner(ITWIN, "a@corp.example").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      httpStatus: 404,
      code: "ItwinNotFound",
      correlationId: "c-404",
      transient: false,
    });
  });

  it("hands a wait longer than the inline budget back to the caller instead of sleeping", async () => {
    const { client, clock } = harness(
      [json(429, { error: { code: "TooManyRequests", message: "x" } }, { "retry-after": "30" })],
      {
        maxInlineWaitMs: 5000,
      },
    );
    const error = await client.addOwner(ITWIN, "a@corp.example").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).delayMs).toBeGreaterThanOrEqual(30_000);
    expect(clock.sleeps).toEqual([]);
  });

  it("throws the transient error when the inline attempts are used up", async () => {
    const { client, requests } = harness([
      text(503, "busy"),
      text(503, "busy"),
      text(503, "busy"),
      text(503, "busy"),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).rejects.toMatchObject({
      httpStatus: 503,
      code: "Http503",
      transient: true,
    });
    expect(requests).toHaveLength(4);
  });

  it("retries when the token service is unreachable, and fails at once on a wrong secret", async () => {
    let calls = 0;
    const flaky = harness([json(201, { member: { id: "m1", email: "a@corp.example" } })], {
      getToken: async () => {
        calls += 1;
        if (calls === 1) throw new IdentityError(503, "Http503", "token request failed: busy");
        return "t-ok";
      },
    });
    await expect(flaky.client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "added" });
    expect(flaky.requests[0]?.headers.get("authorization")).toBe("Bearer t-ok");

    const wrong = harness([], {
      getToken: async () => {
        throw new IdentityError(401, "invalid_client", "token request failed: invalid_client");
      },
    });
    await expect(wrong.client.addOwner(ITWIN, "a@corp.example")).rejects.toMatchObject({
      code: "invalid_client",
      transient: false,
    });
  });

  it("retries network errors", async () => {
    const { client } = harness([
      () => {
        throw new TypeError("fetch failed");
      },
      json(201, { member: { id: "m1", email: "a@corp.example" } }),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "added" });
  });
});

describe("retries, pacing and the token", () => {
  it("refreshes the token once per request: a 401 after a retry fails", async () => {
    const { client, requests, invalidated } = harness([
      json(401, { error: { code: "InvalidToken", message: "expired" } }),
      text(503, "busy"),
      json(401, { error: { code: "InvalidToken", message: "revoked" } }),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).rejects.toMatchObject({
      httpStatus: 401,
      code: "InvalidToken",
      transient: false,
    });
    expect(invalidated).toEqual(["t1"]);
    expect(requests.map((r) => r.headers.get("authorization"))).toEqual([
      "Bearer t1",
      "Bearer t2",
      "Bearer t2",
    ]);
  });

  it("sends the request after a token refresh through the pacing gate, like any other", async () => {
    const { client, clock, requests } = harness([
      (_request) =>
        new Response(JSON.stringify({ error: { code: "InvalidToken", message: "expired" } }), {
          status: 401,
          headers: {
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": new Date(clock.now() + 1000).toISOString(),
          },
        }),
      json(201, { member: { id: "m1", email: "a@corp.example" } }),
    ]);
    await expect(client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "added" });
    expect(requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([1000]);
  });

  it("closes the gate for every caller after the owners API's 429, not after one from IMS", async () => {
    let refusals = 0;
    const gate = () => new PacingGate({ onRefused: () => refusals++ });
    const api = harness([text(429, "slow down"), json(201, { member: { id: "m1" } })], { gate: gate() });
    await expect(api.client.addOwner(ITWIN, "a@corp.example")).resolves.toMatchObject({ kind: "added" });
    expect(refusals).toBe(1);

    let calls = 0;
    const ims = harness([json(201, { member: { id: "m2" } })], {
      gate: gate(),
      getToken: async () => {
        calls += 1;
        if (calls === 1) throw new IdentityError(429, "Http429", "token request failed: slow down");
        return "t-ok";
      },
    });
    await expect(ims.client.addOwner(ITWIN, "b@corp.example")).resolves.toMatchObject({ kind: "added" });
    expect(refusals).toBe(1);
  });

  it("hands a pacing wait longer than the budget back without sending, as a wait that is no attempt", async () => {
    const gate = new PacingGate();
    const { client, clock, requests } = harness([], { gate, maxInlineWaitMs: 5000 });
    gate.refused(clock.now() + 10_000);
    const error = await client.addOwner(ITWIN, "a@corp.example").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PacedWaitError);
    expect(error).toMatchObject({ delayMs: 10_000, countsAsAttempt: false });
    expect(requests).toHaveLength(0);
    expect(clock.sleeps).toEqual([]);
  });

  it("draws pacing and retry waits from one allowance per call", async () => {
    const gate = new PacingGate();
    const { client, clock, requests } = harness([text(503, "busy", { "retry-after": "3" })], {
      gate,
      maxInlineWaitMs: 5000,
    });
    gate.refused(clock.now() + 3000);
    const error = await client.addOwner(ITWIN, "a@corp.example").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(error).toMatchObject({ delayMs: 3000, countsAsAttempt: true, failure: { httpStatus: 503 } });
    expect(requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([3000]);
  });
});

describe("findOwner and removeOwner", () => {
  const page = (members: unknown[], next?: string) =>
    json(200, { members, _links: { self: { href: "x" }, ...(next ? { next: { href: next } } : {}) } });

  it("lists every page, following next links on the API's origin", async () => {
    const { client, requests } = harness([
      page(
        [
          { id: "1", email: null },
          { id: "2", email: "x@corp.example" },
        ],
        `https://api.test/accesscontrol/itwins/${ITWIN}/members/owners?$top=2&$skip=2`,
      ),
      page([{ id: "3", email: "Bob@Corp.example", surname: "Builder" }]),
    ]);
    const members = await client.listOwners(ITWIN);
    expect(members.map((m) => m.id)).toEqual(["1", "2", "3"]);
    expect(members[2]?.surname).toBe("Builder");
    expect(requests[1]?.url).toContain("$skip=2");
  });

  it("asks for one more page after a full page without links, and stops at a short one", async () => {
    const full = Array.from({ length: 100 }, (_, i) => ({ id: `m${i}`, email: `o${i}@corp.example` }));
    const { client, requests } = harness([
      json(200, { members: full }),
      json(200, { members: [{ id: "last", email: null }] }),
    ]);
    expect(await client.listOwners(ITWIN)).toHaveLength(101);
    expect(requests.map((r) => new URL(r.url).searchParams.get("$skip"))).toEqual(["0", "100"]);
  });

  it("never follows a next link to another origin", async () => {
    const { client, requests } = harness([
      page([{ id: "1", email: "a@corp.example" }], "https://evil.test/steal?$skip=1"),
      page([]),
    ]);
    await client.listOwners(ITWIN);
    expect(requests[1]?.url.startsWith("https://api.test/")).toBe(true);
  });

  it("reports removed, not-owner for an unknown member, and fails for an unknown iTwin", async () => {
    const { client } = harness([
      () => new Response(null, { status: 204 }),
      json(404, { error: { code: "TeamMemberNotFound", message: "no" } }),
      json(404, { error: { code: "ItwinNotFound", message: "no" } }),
    ]);
    await expect(client.removeOwner(ITWIN, "m1")).resolves.toMatchObject({ kind: "removed" });
    await expect(client.removeOwner(ITWIN, "m1")).resolves.toMatchObject({ kind: "not-owner" });
    await expect(client.removeOwner(ITWIN, "m1")).rejects.toMatchObject({ code: "ItwinNotFound" });
  });
});
