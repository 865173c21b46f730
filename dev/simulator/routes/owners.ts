/**
 * The three owner operations of Access Control v2, after the gateway has authenticated, rate-limited and
 * fault-checked the request. Bodies and codes follow the v2 reference (see api-errors.ts, paging.ts).
 */
import { errors } from "../api-errors.ts";
import { serviceClientEmail } from "../clients.ts";
import type { Exchange, SimulatorContext } from "../context.ts";
import { readBody, requestOrigin, sendEmpty, sendJson, tryParseJson } from "../http.ts";
import { pageLinks, parsePageQuery, slicePage } from "../paging.ts";

export const OWNERS_ROUTE = "/accesscontrol/itwins/{id}/members/owners";
export const OWNER_ROUTE = "/accesscontrol/itwins/{id}/members/owners/{memberId}";

export interface OwnersTarget {
  itwinId: string;
  memberId?: string;
}

/** Recognises an owners-API path; undefined for anything else. */
export function matchOwnersPath(pathname: string): OwnersTarget | undefined {
  const match = /^\/accesscontrol\/itwins\/([^/]+)\/members\/owners(?:\/([^/]+))?\/?$/i.exec(pathname);
  if (!match?.[1]) return undefined;
  const itwinId = decodeURIComponent(match[1]).toLowerCase();
  return match[2] === undefined
    ? { itwinId }
    : { itwinId, memberId: decodeURIComponent(match[2]).toLowerCase() };
}

/** Methods each route answers. */
export function allowedMethods(target: OwnersTarget): string[] {
  return target.memberId === undefined ? ["GET", "POST"] : ["DELETE"];
}

export async function handleOwners(ctx: SimulatorContext, ex: Exchange, target: OwnersTarget): Promise<void> {
  const method = ex.req.method ?? "GET";
  if (target.memberId !== undefined) return removeOwner(ctx, ex, target.itwinId, target.memberId);
  if (method === "POST") return addOwner(ctx, ex, target.itwinId);
  return listOwners(ctx, ex, target.itwinId);
}

function listOwners(ctx: SimulatorContext, ex: Exchange, itwinId: string): void {
  const owners = ctx.state.directory.ownersView(itwinId);
  if (!owners) {
    sendJson(ex.res, 404, errors.itwinNotFound());
    return;
  }
  const parsed = parsePageQuery(ex.url.searchParams, ctx.state.options.maxPageSize);
  if (!parsed.ok) {
    sendJson(
      ex.res,
      422,
      errors.invalidRequest(
        parsed.problems.map((problem) => ({
          code: "InvalidValue",
          message: problem.message,
          target: problem.target,
        })),
      ),
    );
    return;
  }
  const base = `${requestOrigin(ex.req, ctx.url)}/accesscontrol/itwins/${itwinId}/members/owners`;
  sendJson(ex.res, 200, {
    members: slicePage(owners, parsed.page),
    _links: pageLinks(base, parsed.page, owners.length),
  });
}

/** Loose on purpose: the real service accepts any address IMS could know; we only refuse the obviously wrong. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

async function addOwner(ctx: SimulatorContext, ex: Exchange, itwinId: string): Promise<void> {
  const text = await readBody(ex.req);
  if (!ctx.state.directory.has(itwinId)) {
    sendJson(ex.res, 404, errors.itwinNotFound());
    return;
  }
  const body = tryParseJson(text);
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    sendJson(
      ex.res,
      422,
      errors.invalidRequest([
        { code: "MissingRequiredProperty", message: "Required property is missing.", target: "email" },
        { code: "InvalidRequestBody", message: "Failed to parse request body or collection is empty." },
      ]),
    );
    return;
  }
  const email = (body as { email?: unknown }).email;
  if (email === undefined || email === null || (typeof email === "string" && email.trim() === "")) {
    sendJson(
      ex.res,
      422,
      errors.invalidRequest([
        { code: "MissingRequiredProperty", message: "Required property is missing.", target: "email" },
      ]),
    );
    return;
  }
  // The reference shows no example for a malformed address; InvalidValue mirrors the $top example.
  if (typeof email !== "string" || !EMAIL_PATTERN.test(email.trim())) {
    sendJson(
      ex.res,
      422,
      errors.invalidRequest([
        { code: "InvalidValue", message: "Provided email value is not valid.", target: "email" },
      ]),
    );
    return;
  }

  const invitedBy = serviceClientEmail(ex.clientId ?? "unknown-client");
  const outcome = ctx.state.directory.addOwner(itwinId, email, invitedBy);
  switch (outcome.kind) {
    case "itwin-not-found":
      sendJson(ex.res, 404, errors.itwinNotFound());
      return;
    case "already-owner":
      ex.notes.push("already-owner");
      sendJson(ex.res, 409, errors.alreadyOwner(outcome.member.id, itwinId));
      return;
    case "member":
      ctx.state.writeLog.record({
        itwinId,
        email: outcome.member.email,
        kind: "member-added",
        memberId: outcome.member.id,
      });
      sendJson(ex.res, 201, { member: outcome.member, invitation: null });
      return;
    case "invitation":
      ex.notes.push(outcome.existing ? "invitation=existing" : "invitation=new");
      if (!outcome.existing) {
        ctx.state.writeLog.record({
          itwinId,
          email: outcome.invitation.email,
          kind: "invitation-created",
          invitationId: outcome.invitation.id,
        });
      }
      sendJson(ex.res, 201, { member: null, invitation: outcome.invitation });
      return;
  }
}

function removeOwner(ctx: SimulatorContext, ex: Exchange, itwinId: string, memberId: string): void {
  // Looked up first: the log names who was removed, which the DELETE itself only knows by id.
  const email = ctx.state.directory.ownersView(itwinId)?.find((member) => member.id === memberId)?.email;
  switch (ctx.state.directory.removeOwner(itwinId, memberId)) {
    case "itwin-not-found":
      sendJson(ex.res, 404, errors.itwinNotFound());
      return;
    case "member-not-found":
      sendJson(ex.res, 404, errors.teamMemberNotFound());
      return;
    case "removed":
      ctx.state.writeLog.record({ itwinId, email: email ?? null, kind: "member-removed", memberId });
      sendEmpty(ex.res, 204);
      return;
  }
}
