import ky, { type KyInstance } from "ky";
import * as z from "zod";
import type { Clock } from "../clock.ts";
import { tryParseJson } from "../json.ts";
import { ApiError } from "./errors/api-error.ts";
import { describeErrorBody } from "./errors/describe-error-body.ts";
import { NetworkError } from "./errors/network-error.ts";
import { OwnersCallError } from "./errors/owners-call-error.ts";
import { PacedWaitError } from "./errors/paced-wait-error.ts";
import { RetryLaterError } from "./errors/retry-later-error.ts";
import { PacingGate } from "./pacing.ts";
import { type BackoffOptions, DEFAULT_BACKOFF, readRateLimit, retryDelay } from "./retry-timing.ts";

/**
 * The iTwin Access Control v2 owners API: add, list (paged), remove. Transport is ky (timeouts,
 * hooks); the retry loop is ours because ky's can neither read `x-rate-limit-reset` nor hand a long
 * wait back to the queue instead of sleeping through it.
 */

/** The owner address under which an iTwin lists a service (client-credentials) application. */
export function serviceClientEmail(clientId: string): string {
  return `${clientId}@apps.imsoidc.bentley.com`.toLowerCase();
}

export const ACCEPT_V2 = "application/vnd.bentley.itwin-platform.v2+json";
const PAGE_SIZE = 100;
/** 1 000 pages of 100 owners: far beyond any real iTwin, and a stop for a server whose `next` never ends. */
const MAX_PAGES = 1_000;

const memberSchema = z.looseObject({
  id: z.string().min(1),
  email: z.string().nullish(),
  givenName: z.string().nullish(),
  /** v2 says `surname`; the older tutorial `surName`. Neither is needed, both are kept. */
  surname: z.string().nullish(),
  surName: z.string().nullish(),
  organization: z.string().nullish(),
});
export type Member = z.output<typeof memberSchema>;

const addResponseSchema = z.looseObject({
  member: memberSchema.nullish(),
  invitation: z.looseObject({ id: z.string().min(1) }).nullish(),
});
const pageSchema = z.looseObject({
  members: z.array(memberSchema),
  _links: z.looseObject({ next: z.looseObject({ href: z.string() }).nullish() }).nullish(),
});

export type AddOwnerResult =
  | { kind: "added"; memberId?: string; correlationId?: string }
  | { kind: "invited"; invitationId: string; correlationId?: string }
  | { kind: "already-owner"; correlationId?: string };

export type RemoveOwnerResult = { kind: "removed" | "not-owner"; correlationId?: string };

export interface OwnersClient {
  addOwner(itwinId: string, email: string): Promise<AddOwnerResult>;
  /** Every owner of the iTwin, all pages. */
  listOwners(itwinId: string): Promise<Member[]>;
  removeOwner(itwinId: string, memberId: string): Promise<RemoveOwnerResult>;
}

export type ClientEvent =
  | {
      type: "retry";
      method: string;
      url: string;
      httpStatus?: number;
      code: string;
      delayMs: number;
      attempt: number;
    }
  | { type: "paced"; delayMs: number };

export interface OwnersClientOptions {
  baseUrl: string;
  getToken: () => Promise<string>;
  invalidateToken: (token: string) => void;
  timeoutMs: number;
  clock: Clock;
  /** Longest total sleep inside one call; beyond it the call throws RetryLaterError. */
  maxInlineWaitMs: number;
  /** Attempts inside one call before a transient failure is thrown as is. */
  maxInlineAttempts?: number;
  gate?: PacingGate;
  random?: () => number;
  backoff?: BackoffOptions;
  onEvent?: (event: ClientEvent) => void;
  /** For tests: another fetch implementation. */
  fetch?: typeof fetch;
}

interface Sent {
  response: Response;
  text: string;
  correlationId?: string;
}

export function createOwnersClient(options: OwnersClientOptions): OwnersClient {
  const base = options.baseUrl.replace(/\/+$/, "");
  const gate = options.gate ?? new PacingGate();
  const random = options.random ?? Math.random;
  const maxAttempts = options.maxInlineAttempts ?? 4;
  const clock = options.clock;
  const api: KyInstance = ky.create({
    timeout: options.timeoutMs,
    retry: 0,
    throwHttpErrors: false,
    headers: { accept: ACCEPT_V2 },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    hooks: {
      afterResponse: [
        (_request, _options, response) => {
          gate.observe(readRateLimit(response.headers, clock.now()), clock.now());
        },
      ],
    },
  });

  const ownersUrl = (itwinId: string) =>
    `${base}/accesscontrol/itwins/${encodeURIComponent(itwinId)}/members/owners`;

  async function send(method: "GET" | "POST" | "DELETE", url: string, json?: unknown): Promise<Sent> {
    let slept = 0;
    let tokenRefreshed = false;
    const waitOrGiveUp = async (delayMs: number, cause: OwnersCallError, attempt: number) => {
      if (slept + delayMs > options.maxInlineWaitMs) throw new RetryLaterError(delayMs, cause);
      options.onEvent?.({
        type: "retry",
        method,
        url,
        code: cause.code,
        delayMs,
        attempt,
        ...(cause.httpStatus === undefined ? {} : { httpStatus: cause.httpStatus }),
      });
      slept += delayMs;
      await clock.sleep(delayMs);
    };

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      // Wait for the gate, re-checking after each sleep: callers woken together by a new window
      // compete for its share, and the losers wait again.
      // The token first: a refresh must not sit between the pacing check and the claim, or every
      // caller waiting on it would pass the check and then all send at once.
      let token: string;
      try {
        token = await options.getToken();
      } catch (error) {
        // A wrong secret fails the change; IMS being unreachable is retried like any network error.
        const cause = error instanceof OwnersCallError ? error : NetworkError.from(error);
        if (!cause.transient || attempt >= maxAttempts) throw cause;
        await waitOrGiveUp(
          retryDelay({ attempt, rateLimit: {}, now: clock.now(), random, ...backoff() }),
          cause,
          attempt,
        );
        continue;
      }
      // Wait for the gate, re-checking after each sleep: callers woken together by a new window
      // compete for its share, and the losers wait again.
      for (let paced = gate.waitTime(clock.now()); paced > 0; paced = gate.waitTime(clock.now())) {
        if (slept + paced > options.maxInlineWaitMs) throw new PacedWaitError(paced);
        options.onEvent?.({ type: "paced", delayMs: paced });
        slept += paced;
        await clock.sleep(paced);
      }
      gate.take(clock.now());
      let response: Response | undefined;
      let text: string;
      try {
        response = await api(url, {
          method,
          headers: { authorization: `Bearer ${token}` },
          // ky's own timeout ends when the headers arrive; this one also bounds reading the body.
          signal: AbortSignal.timeout(options.timeoutMs),
          ...(json === undefined ? {} : { json }),
        });
        text = await response.text();
      } catch (error) {
        // A response that arrived was already counted by the afterResponse hook.
        if (response === undefined) gate.release();
        const cause = NetworkError.from(error);
        if (attempt >= maxAttempts) throw cause;
        await waitOrGiveUp(
          retryDelay({ attempt, rateLimit: {}, now: clock.now(), random, ...backoff() }),
          cause,
          attempt,
        );
        continue;
      }
      const correlationId = response.headers.get("x-correlation-id") ?? undefined;
      if (response.ok) return { response, text, ...(correlationId ? { correlationId } : {}) };
      if (response.status === 401 && !tokenRefreshed) {
        // An expired or revoked token: fetch a new one and try again once, without counting an attempt.
        tokenRefreshed = true;
        options.invalidateToken(token);
        attempt--;
        continue;
      }
      const { code, message } = describeErrorBody(response.status, text);
      const cause = new ApiError(response.status, code, message, correlationId);
      // Permanent answers (404, 409, 422…) go back to the operation, which knows what they mean.
      if (!cause.transient) return { response, text, ...(correlationId ? { correlationId } : {}) };
      const rateLimit = readRateLimit(response.headers, clock.now());
      const delayMs = retryDelay({ attempt, rateLimit, now: clock.now(), random, ...backoff() });
      if (response.status === 429) gate.refused(clock.now() + delayMs);
      if (attempt >= maxAttempts) {
        if (delayMs > options.maxInlineWaitMs) throw new RetryLaterError(delayMs, cause);
        throw cause;
      }
      await waitOrGiveUp(delayMs, cause, attempt);
    }
    throw new NetworkError("NetworkError", "no attempt left");
  }

  function backoff(): { backoff?: BackoffOptions } {
    return { backoff: options.backoff ?? DEFAULT_BACKOFF };
  }

  function fail(sent: Sent): never {
    const { code, message } = describeErrorBody(sent.response.status, sent.text);
    throw new ApiError(sent.response.status, code, message, sent.correlationId);
  }

  return {
    async addOwner(itwinId, email) {
      const sent = await send("POST", ownersUrl(itwinId), { email });
      const correlation = sent.correlationId ? { correlationId: sent.correlationId } : {};
      if (!sent.response.ok) {
        if (isAlreadyOwner(sent)) return { kind: "already-owner", ...correlation };
        fail(sent);
      }
      const body = addResponseSchema.safeParse(jsonOrUndefined(sent.text));
      // The API said yes; a body we cannot read does not undo that, it only hides the member id.
      if (!body.success) return { kind: "added", ...correlation };
      const { member, invitation } = body.data;
      if (member) return { kind: "added", memberId: member.id, ...correlation };
      if (invitation) return { kind: "invited", invitationId: invitation.id, ...correlation };
      return { kind: "added", ...correlation };
    },

    async listOwners(itwinId) {
      const members: Member[] = [];
      let url: string | undefined = `${ownersUrl(itwinId)}?$top=${PAGE_SIZE}&$skip=0`;
      for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
        const sent = await send("GET", url);
        if (!sent.response.ok) fail(sent);
        const body = pageSchema.safeParse(jsonOrUndefined(sent.text));
        if (!body.success) {
          throw new ApiError(
            sent.response.status,
            "UnexpectedResponse",
            "the owners page could not be read",
            sent.correlationId,
          );
        }
        members.push(...body.data.members);
        url = nextPageUrl(
          body.data._links?.next?.href,
          url,
          ownersUrl(itwinId),
          members.length,
          body.data.members.length,
        );
      }
      return members;
    },

    async removeOwner(itwinId, memberId) {
      const sent = await send("DELETE", `${ownersUrl(itwinId)}/${encodeURIComponent(memberId)}`);
      const correlation = sent.correlationId ? { correlationId: sent.correlationId } : {};
      if (sent.response.ok) return { kind: "removed", ...correlation };
      if (sent.response.status === 404 && describeErrorBody(404, sent.text).code !== "ItwinNotFound") {
        return { kind: "not-owner", ...correlation };
      }
      fail(sent);
    },
  };
}

function isAlreadyOwner(sent: Sent): boolean {
  const status = sent.response.status;
  if (status === 409) return true;
  if (status !== 400 && status !== 422) return false;
  // The code may sit in `error.code` or only in `error.details[].code`; free text is not trusted.
  return errorCodes(sent.text).some((code) => /already|exists|duplicate/i.test(code));
}

const errorCodesSchema = z.looseObject({
  error: z.looseObject({
    code: z.string().optional(),
    details: z.array(z.looseObject({ code: z.string().optional() })).optional(),
  }),
});

function errorCodes(text: string): string[] {
  const json = tryParseJson(text);
  const body = json.ok ? errorCodesSchema.safeParse(json.value) : undefined;
  if (!body?.success) return [];
  const { code, details } = body.data.error;
  return [code, ...(details ?? []).map((detail) => detail.code)].filter((c): c is string => c !== undefined);
}

/**
 * Follows `_links.next` only to the API's own origin — the bearer token must never be sent elsewhere —
 * and otherwise pages on with `$skip`. An empty page ends the listing whatever the links say; a full
 * page without links is followed by one more request, for servers that page without linking.
 */
function nextPageUrl(
  href: string | undefined,
  current: string,
  listUrl: string,
  seen: number,
  pageLength: number,
): string | undefined {
  if (pageLength === 0) return undefined;
  // Without a next link, a full page may still have more behind it.
  if (href === undefined)
    return pageLength >= PAGE_SIZE ? `${listUrl}?$top=${PAGE_SIZE}&$skip=${seen}` : undefined;
  try {
    const next = new URL(href, current);
    if (next.origin === new URL(current).origin) return next.toString();
  } catch {
    // an unusable link: page on by offset
  }
  return `${listUrl}?$top=${PAGE_SIZE}&$skip=${seen}`;
}

function jsonOrUndefined(text: string): unknown {
  const json = tryParseJson(text);
  return json.ok ? json.value : undefined;
}
