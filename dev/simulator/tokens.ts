/**
 * Opaque bearer tokens issued by the simulated IMS token endpoint. Each remembers its OAuth client (the
 * rate-limit key), expires after the configured lifetime on the injected clock, and can be revoked in bulk
 * so tests can force the client's "401 → refresh once" path.
 */
import { randomBytes } from "node:crypto";

interface TokenRecord {
  clientId: string;
  expiresAtMs: number;
  revoked: boolean;
}

export type TokenCheck =
  | { ok: true; clientId: string }
  | { ok: false; reason: "unknown" | "expired" | "revoked"; clientId?: string };

export class TokenStore {
  readonly #tokens = new Map<string, TokenRecord>();

  constructor(
    private readonly now: () => number,
    readonly ttlSeconds: number,
  ) {}

  issue(clientId: string): { accessToken: string; expiresIn: number } {
    this.#prune();
    const accessToken = randomBytes(32).toString("base64url");
    this.#tokens.set(accessToken, {
      clientId,
      expiresAtMs: this.now() + this.ttlSeconds * 1000,
      revoked: false,
    });
    return { accessToken, expiresIn: this.ttlSeconds };
  }

  verify(accessToken: string): TokenCheck {
    const record = this.#tokens.get(accessToken);
    if (!record) return { ok: false, reason: "unknown" };
    if (record.revoked) return { ok: false, reason: "revoked", clientId: record.clientId };
    if (this.now() >= record.expiresAtMs) return { ok: false, reason: "expired", clientId: record.clientId };
    return { ok: true, clientId: record.clientId };
  }

  /** Every token issued so far stops working; new ones can be requested as usual. */
  revokeAll(): number {
    let count = 0;
    for (const record of this.#tokens.values()) {
      if (!record.revoked) count += 1;
      record.revoked = true;
    }
    return count;
  }

  clear(): void {
    this.#tokens.clear();
  }

  /** Forgets tokens that expired more than a lifetime ago, so a long benchmark cannot grow the map forever. */
  #prune(): void {
    const horizon = this.now() - this.ttlSeconds * 1000;
    for (const [token, record] of this.#tokens) {
      if (record.expiresAtMs < horizon) this.#tokens.delete(token);
    }
  }
}
