import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Bearer tokens for callers that cannot send a function key (identity providers provisioning over SCIM),
 * pure apart from hashing. The setting is a comma list of `name=token` entries; the name says which
 * caller it is (it becomes `requestedBy` of what the caller changes), and two entries with the same name
 * let a caller rotate without downtime.
 *
 * Comparison is constant-time: both sides are hashed first, so `timingSafeEqual` always compares equal
 * lengths and the time taken says nothing about the token's length or how much of it matched; every
 * configured token is compared, without stopping at a match.
 */

export interface NamedToken {
  name: string;
  token: string;
}

/** The shortest token accepted: an identity provider's secret should be random, 32 characters or more. */
export const MIN_TOKEN_LENGTH = 32;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export type TokenParse = { ok: true; tokens: NamedToken[] } | { ok: false; problems: string[] };

/** `name=token,name=token`: the token is everything after the first `=` (base64 padding included). */
export function parseBearerTokens(text: string | undefined): TokenParse {
  const tokens: NamedToken[] = [];
  const problems: string[] = [];
  const entries = (text ?? "").split(",").map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    if (entry === "") return;
    const at = entry.indexOf("=");
    const name = at === -1 ? "" : entry.slice(0, at).trim();
    const token = at === -1 ? "" : entry.slice(at + 1).trim();
    // Problems name the entry by position, never by content: the text is a secret.
    if (!NAME.test(name))
      problems.push(`entry ${index + 1} must be name=token, the name of A-Z a-z 0-9 . _ -`);
    else if (token.length < MIN_TOKEN_LENGTH)
      problems.push(`the token of ${name} must be at least ${MIN_TOKEN_LENGTH} characters`);
    else tokens.push({ name, token });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, tokens };
}

/** The name of the caller an `Authorization` header proves, or undefined. */
export type BearerCheck = (authorization: string | null) => string | undefined;

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

export function createBearerCheck(tokens: readonly NamedToken[]): BearerCheck {
  const known = tokens.map(({ name, token }) => ({ name, digest: digest(token) }));
  return (authorization) => {
    const presented = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
    if (presented === undefined) return undefined;
    const candidate = digest(presented);
    let found: string | undefined;
    for (const entry of known) {
      if (timingSafeEqual(candidate, entry.digest) && found === undefined) found = entry.name;
    }
    return found;
  };
}
