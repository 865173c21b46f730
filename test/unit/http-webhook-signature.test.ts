import standardWebhooks from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { createSignatureVerifier } from "../../src/http/webhook-signature.ts";

const { Webhook } = standardWebhooks;
const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW = "whsec_c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2gtMTIz";
const body = JSON.stringify({
  itwinId: "5e3b1a7e-8c1d-4f3a-9b2e-000000000001",
  email: "a@corp.example",
  action: "add",
});

function signed(secret: string, at = new Date(), id = "msg_1", payload = body) {
  return new Headers({
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, at, payload),
  });
}

describe("webhook signatures", () => {
  const verify = createSignatureVerifier([NEW, OLD]);

  it("accepts a signature by any configured secret (rotation) and names the delivery", () => {
    expect(verify(body, signed(OLD))).toEqual({ ok: true, webhookId: "msg_1" });
    expect(verify(body, signed(NEW, new Date(), "msg_2"))).toEqual({ ok: true, webhookId: "msg_2" });
  });

  it("refuses a tampered body, a foreign secret, missing headers and a stale timestamp", () => {
    expect(verify(`${body} `, signed(OLD)).ok).toBe(false);
    expect(verify(body, signed("whsec_b3RoZXItc2VjcmV0LW5vdC1vdXJz")).ok).toBe(false);
    expect(verify(body, new Headers({ "webhook-id": "x" }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/required/),
    });
    const stale = verify(body, signed(OLD, new Date(Date.now() - 10 * 60 * 1000)));
    expect(stale).toMatchObject({ ok: false, reason: expect.stringMatching(/timestamp/i) });
  });
});
