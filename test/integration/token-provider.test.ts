import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../dev/simulator/server.ts";
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from "../../dev/stack/credentials.ts";
import { IdentityError } from "../../src/itwin/errors/identity-error.ts";
import { createTokenProvider } from "../../src/itwin/token-provider.ts";
import { FakeClock } from "../support/fake-clock.ts";

/** The token provider against the simulator's real OIDC discovery and token endpoint, over loopback HTTP. */
let simulator: RunningSimulator;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, tokenTtlSeconds: 3600 });
});
afterAll(async () => {
  await simulator?.close();
});

function provider(clock: FakeClock, secret = DEV_CLIENT_SECRET) {
  return createTokenProvider({
    authority: simulator.url,
    clientId: DEV_CLIENT_ID,
    clientSecret: secret,
    scope: "itwin-platform",
    timeoutMs: 5000,
    clock,
  });
}

describe("token provider", () => {
  it("fetches one token for many concurrent callers and reuses it until a minute before expiry", async () => {
    const clock = new FakeClock();
    const tokens = provider(clock);
    const issued = simulator.state.stats().tokensIssued;
    const all = await Promise.all(Array.from({ length: 10 }, () => tokens.getToken()));
    expect(new Set(all).size).toBe(1);
    expect(simulator.state.stats().tokensIssued).toBe(issued + 1);

    clock.advance(3600_000 - 61_000);
    expect(await tokens.getToken()).toBe(all[0]);
    clock.advance(2_000);
    expect(await tokens.getToken()).not.toBe(all[0]);
    expect(simulator.state.stats().tokensIssued).toBe(issued + 2);
  });

  it("fetches a new token after the old one is invalidated, and only then", async () => {
    const tokens = provider(new FakeClock());
    const first = await tokens.getToken();
    tokens.invalidate("some-other-token");
    expect(await tokens.getToken()).toBe(first);
    tokens.invalidate(first);
    expect(await tokens.getToken()).not.toBe(first);
  });

  it("reports a wrong secret as a permanent OAuth error", async () => {
    const error = await provider(new FakeClock(), "wrong")
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect(error).toMatchObject({ httpStatus: 401, code: "invalid_client", transient: false });
  });

  it("falls back to <authority>/connect/token when the authority has no discovery document", async () => {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      if (request.url === "/connect/token") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          JSON.stringify({ access_token: "plain-token", token_type: "Bearer", expires_in: "3600" }),
        );
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const tokens = createTokenProvider({
        authority: `http://127.0.0.1:${port}/`,
        clientId: "c",
        clientSecret: "s",
        scope: "itwin-platform",
        timeoutMs: 5000,
        clock: new FakeClock(),
      });
      expect(await tokens.getToken()).toBe("plain-token");
      expect(seen).toEqual(["GET /.well-known/openid-configuration", "POST /connect/token"]);
    } finally {
      server.close();
    }
  });
});
