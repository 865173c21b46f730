import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createSignatureVerifier } from "../http/webhook-signature.ts";
import type { SignatureRule, SourceVerifier } from "./mapping.ts";

/**
 * A source's signature check, built once from its rule and secrets (docs/sources.md, "Signatures").
 * Pure: the bytes are checked as received, before anything parses them. Several secrets may be given
 * (comma-separated in the setting) so that a sender can rotate without a window of refused deliveries.
 */
export function sourceVerifier(rule: SignatureRule, secrets: readonly string[]): SourceVerifier {
  switch (rule.scheme) {
    case "none":
      return () => ({ ok: true });
    case "standard-webhooks": {
      const verify = createSignatureVerifier(secrets);
      return (body, headers) => verify(Buffer.from(body), headers);
    }
    case "hmac-sha256": {
      const keys = secrets.map((secret) => Buffer.from(secret, "utf8"));
      return (body, headers) => {
        const value = headers.get(rule.header);
        if (value === null) return { ok: false, reason: `the ${rule.header} header is required` };
        const mac = decodeMac(value.trim(), rule.prefix, rule.encoding);
        if (mac === undefined) {
          return {
            ok: false,
            reason: `${rule.header} must be ${rule.prefix}<${rule.encoding} HMAC-SHA256 of the body>`,
          };
        }
        // Every key is tried, match or not, so the time taken says nothing about which key is in use.
        let matched = false;
        for (const key of keys) {
          const expected = createHmac("sha256", key).update(body).digest();
          if (timingSafeEqual(expected, mac)) matched = true;
        }
        return matched ? { ok: true } : { ok: false, reason: `no configured secret matches ${rule.header}` };
      };
    }
  }
}

const SHA256_BYTES = 32;

/** The MAC's bytes, or undefined when the header is not `<prefix><32 bytes, encoded>`. */
function decodeMac(value: string, prefix: string, encoding: "hex" | "base64"): Buffer | undefined {
  // Jira writes `sha256=`; a receiver comparing case-insensitively costs nothing and spares a support call.
  if (value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return undefined;
  const text = value.slice(prefix.length);
  const wellFormed = encoding === "hex" ? /^[0-9a-fA-F]{64}$/ : /^[A-Za-z0-9+/]{43}=$/;
  if (!wellFormed.test(text)) return undefined;
  const mac = Buffer.from(text, encoding);
  return mac.length === SHA256_BYTES ? mac : undefined;
}
