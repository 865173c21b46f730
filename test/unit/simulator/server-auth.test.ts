import { afterEach, describe, expect, it } from "vitest";
import { SEEDED_ITWINS } from "../../../dev/simulator/seed.ts";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  manualClock,
  ownersPath,
  startTestSimulator,
  type TestSimulator,
} from "./helpers.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let sim: TestSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function tokenRequest(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${url}/connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

describe("OIDC discovery and token endpoint", () => {
  it("publishes the discovery document with the simulator as issuer", async () => {
    sim = await startTestSimulator();
    const response = await fetch(`${sim.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      issuer: sim.url,
      token_endpoint: `${sim.url}/connect/token`,
      grant_types_supported: ["client_credentials"],
    });
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("issues a bearer token for credentials in the body", async () => {
    sim = await startTestSimulator({ tokenTtlSeconds: 1234 });
    const response = await tokenRequest(sim.url, {
      grant_type: "client_credentials",
      scope: "itwin-platform",
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 1234, scope: "itwin-platform" });
    expect(typeof body.access_token).toBe("string");
    expect(sim.state.stats().tokensIssued).toBe(1);
  });

  it("issues a token for HTTP Basic credentials", async () => {
    sim = await startTestSimulator();
    const response = await tokenRequest(
      sim.url,
      { grant_type: "client_credentials", scope: "itwin-platform" },
      { authorization: basic(CLIENT_ID, CLIENT_SECRET) },
    );
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    const owners = await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { token: access_token });
    expect(owners.status).toBe(200);
  });

  it("answers a wrong secret with 401 invalid_client", async () => {
    sim = await startTestSimulator();
    const viaBody = await tokenRequest(sim.url, {
      grant_type: "client_credentials",
      scope: "itwin-platform",
      client_id: CLIENT_ID,
      client_secret: "wrong",
    });
    expect(viaBody.status).toBe(401);
    expect(await viaBody.json()).toMatchObject({ error: "invalid_client" });
    const viaBasic = await tokenRequest(
      sim.url,
      { grant_type: "client_credentials", scope: "itwin-platform" },
      { authorization: basic(CLIENT_ID, "wrong") },
    );
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.headers.get("www-authenticate")).toMatch(/^Basic/);
  });

  it("answers a wrong grant type or scope with OAuth2 400 errors", async () => {
    sim = await startTestSimulator();
    const creds = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET };
    const grant = await tokenRequest(sim.url, { ...creds, grant_type: "password", scope: "itwin-platform" });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: "unsupported_grant_type" });
    const scope = await tokenRequest(sim.url, { ...creds, grant_type: "client_credentials", scope: "email" });
    expect(scope.status).toBe(400);
    expect(await scope.json()).toMatchObject({ error: "invalid_scope" });
    const noScope = await tokenRequest(sim.url, { ...creds, grant_type: "client_credentials" });
    expect(await noScope.json()).toMatchObject({ error: "invalid_scope" });
    const noGrant = await tokenRequest(sim.url, { ...creds, scope: "itwin-platform" });
    expect(await noGrant.json()).toMatchObject({ error: "invalid_request" });
    const json = await fetch(`${sim.url}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...creds, grant_type: "client_credentials", scope: "itwin-platform" }),
    });
    expect(json.status).toBe(400);
  });
});

describe("bearer authentication on the owners API", () => {
  it("answers a missing Authorization header with 401 HeaderNotFound and the platform headers", async () => {
    sim = await startTestSimulator();
    const response = await sim.api(ownersPath(SEEDED_ITWINS.bridgeRetrofit), { token: null });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        code: "HeaderNotFound",
        message: "Header Authorization was not found in the request. Access denied.",
      },
    });
    expect(response.headers.get("x-correlation-id")).toMatch(UUID);
    expect(response.headers.get("x-itwinplatform-media-type")).toBe("bentley.itwin-platform.v2");
  });

  it("answers an unknown token with 401", async () => {
    sim = await startTestSimulator();
    const response = await sim.api(ownersPath(SEEDED_ITWINS.bridgeRetrofit), { token: "made-up" });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("Unauthorized");
  });

  it("refuses old tokens after revokeTokens, and a fresh token works", async () => {
    sim = await startTestSimulator();
    const old = await sim.token();
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { token: old })).status).toBe(200);
    sim.state.revokeTokens();
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { token: old })).status).toBe(401);
    const fresh = await sim.token();
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { token: fresh })).status).toBe(200);
  });

  it("expires tokens on the injected clock", async () => {
    const clock = manualClock(Date.UTC(2025, 0, 1));
    sim = await startTestSimulator({ now: clock.now, tokenTtlSeconds: 60 });
    const token = await sim.token();
    clock.advance(59_000);
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { token })).status).toBe(200);
    clock.advance(1_000);
    expect((await sim.api(ownersPath(SEEDED_ITWINS.waterPlant), { token })).status).toBe(401);
  });

  it("tolerates a missing Accept header", async () => {
    sim = await startTestSimulator();
    const token = await sim.token();
    const response = await fetch(`${sim.url}${ownersPath(SEEDED_ITWINS.waterPlant)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
  });
});
