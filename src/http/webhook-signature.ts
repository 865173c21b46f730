import type { Buffer } from "node:buffer";
import standardWebhooks from "standardwebhooks";

const { Webhook } = standardWebhooks;

/**
 * Signed webhooks per the Standard Webhooks spec (design §7): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256>` over `id.timestamp.body`, five minutes' tolerance.
 * Several secrets (`whsec_…`) may be configured at once so a sender can rotate without downtime.
 */
export type SignatureCheck = { ok: true; webhookId: string } | { ok: false; reason: string };

export interface SignatureHeaders {
  get(name: string): string | null;
}

/** The body as received: bytes are verified as they are, not after a decode that could alter them. */
export type SignatureVerifier = (body: string | Buffer, headers: SignatureHeaders) => SignatureCheck;

export function createSignatureVerifier(secrets: readonly string[]): SignatureVerifier {
  const verifiers = secrets.map((secret) => new Webhook(secret));
  return (body, headers) => {
    const id = headers.get("webhook-id");
    const timestamp = headers.get("webhook-timestamp");
    const signature = headers.get("webhook-signature");
    if (!id || !timestamp || !signature) {
      return {
        ok: false,
        reason: "webhook-id, webhook-timestamp and webhook-signature headers are required",
      };
    }
    const signed = { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
    let reason = "no configured secret matches the signature";
    for (const verifier of verifiers) {
      try {
        verifier.verify(body, signed, { jsonParse: false });
        return { ok: true, webhookId: id };
      } catch (error) {
        // A stale or future timestamp fails for every secret alike; say so rather than "no match".
        if (error instanceof Error && /timestamp/i.test(error.message)) reason = error.message;
      }
    }
    return { ok: false, reason };
  };
}
