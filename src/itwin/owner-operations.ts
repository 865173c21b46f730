import * as z from "zod";
import { tryParseJson } from "../json.ts";
import type { Answer } from "./attempt.ts";
import { ApiError } from "./errors/api-error.ts";
import type { Send } from "./send.ts";

/**
 * The three owners-API operations (iTwin Access Control v2): what each sends and what each answer
 * means. Transport, pacing and retries are `send`'s; a refusal arrives here with its error body read
 * once, and only the operation knows whether it is a failure (a 409 on add is `already-owner`).
 */

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

export function ownerOperations(send: Send, baseUrl: string): OwnersClient {
  const base = baseUrl.replace(/\/+$/, "");
  const ownersUrl = (itwinId: string) =>
    `${base}/accesscontrol/itwins/${encodeURIComponent(itwinId)}/members/owners`;

  return {
    async addOwner(itwinId, email) {
      const answer = await send({ method: "POST", url: ownersUrl(itwinId), json: { email } });
      if (!answer.ok) {
        if (isAlreadyOwner(answer)) return { kind: "already-owner", ...correlation(answer) };
        throw answer.refusal;
      }
      const body = addResponseSchema.safeParse(jsonOrUndefined(answer.text));
      // The API said yes; a body we cannot read does not undo that, it only hides the member id.
      if (!body.success) return { kind: "added", ...correlation(answer) };
      const { member, invitation } = body.data;
      if (member) return { kind: "added", memberId: member.id, ...correlation(answer) };
      if (invitation) return { kind: "invited", invitationId: invitation.id, ...correlation(answer) };
      return { kind: "added", ...correlation(answer) };
    },

    async listOwners(itwinId) {
      const members: Member[] = [];
      let url: string | undefined = `${ownersUrl(itwinId)}?$top=${PAGE_SIZE}&$skip=0`;
      for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
        const answer = await send({ method: "GET", url });
        if (!answer.ok) throw answer.refusal;
        const body = pageSchema.safeParse(jsonOrUndefined(answer.text));
        if (!body.success) {
          const { status, correlationId } = answer;
          throw new ApiError(
            status,
            "UnexpectedResponse",
            "the owners page could not be read",
            correlationId,
          );
        }
        members.push(...body.data.members);
        const next = body.data._links?.next?.href;
        url = nextPageUrl(next, url, ownersUrl(itwinId), members.length, body.data.members.length);
      }
      return members;
    },

    async removeOwner(itwinId, memberId) {
      const url = `${ownersUrl(itwinId)}/${encodeURIComponent(memberId)}`;
      const answer = await send({ method: "DELETE", url });
      if (answer.ok) return { kind: "removed", ...correlation(answer) };
      // A 404 for the member, not for the iTwin: nobody to remove.
      if (answer.refusal.httpStatus === 404 && answer.refusal.code !== "ItwinNotFound") {
        return { kind: "not-owner", ...correlation(answer) };
      }
      throw answer.refusal;
    },
  };
}

function correlation(answer: Answer): { correlationId?: string } {
  const correlationId = answer.ok ? answer.correlationId : answer.refusal.correlationId;
  return correlationId ? { correlationId } : {};
}

/**
 * 409, or a 400/422 whose code says so, in `error.code` or only in `error.details[].code`; free text is
 * not trusted.
 */
function isAlreadyOwner(answer: Extract<Answer, { ok: false }>): boolean {
  const { httpStatus, code } = answer.refusal;
  if (httpStatus === 409) return true;
  if (httpStatus !== 400 && httpStatus !== 422) return false;
  return [code, ...answer.detailCodes].some((candidate) => /already|exists|duplicate/i.test(candidate));
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
