import { describe, expect, it } from "vitest";
import { authenticateClient, DEFAULT_CLIENTS } from "../../../dev/simulator/clients.ts";
import { TokenStore } from "../../../dev/simulator/tokens.ts";
import { CLIENT_ID, CLIENT_SECRET, manualClock } from "./helpers.ts";

describe("TokenStore", () => {
  it("issues tokens that name their client until they expire", () => {
    const clock = manualClock(1_000_000);
    const store = new TokenStore(clock.now, 60);
    const { accessToken, expiresIn } = store.issue("client-a");
    expect(expiresIn).toBe(60);
    expect(store.verify(accessToken)).toEqual({ ok: true, clientId: "client-a" });
    clock.advance(59_999);
    expect(store.verify(accessToken).ok).toBe(true);
    clock.advance(1);
    expect(store.verify(accessToken)).toMatchObject({ ok: false, reason: "expired" });
  });

  it("revokes every issued token but keeps issuing new ones", () => {
    const clock = manualClock(0);
    const store = new TokenStore(clock.now, 3600);
    const a = store.issue("c").accessToken;
    const b = store.issue("c").accessToken;
    expect(store.revokeAll()).toBe(2);
    expect(store.verify(a)).toMatchObject({ ok: false, reason: "revoked" });
    expect(store.verify(b)).toMatchObject({ ok: false, reason: "revoked" });
    expect(store.verify(store.issue("c").accessToken).ok).toBe(true);
  });

  it("does not know made-up tokens", () => {
    const store = new TokenStore(() => 0, 3600);
    expect(store.verify("made-up")).toEqual({ ok: false, reason: "unknown" });
  });
});

describe("authenticateClient", () => {
  it("checks id and secret", () => {
    expect(authenticateClient(DEFAULT_CLIENTS, CLIENT_ID, CLIENT_SECRET)).toBe(true);
    expect(authenticateClient(DEFAULT_CLIENTS, CLIENT_ID, "wrong")).toBe(false);
    expect(authenticateClient(DEFAULT_CLIENTS, "someone-else", CLIENT_SECRET)).toBe(false);
  });
});
