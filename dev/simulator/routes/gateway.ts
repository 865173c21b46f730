/**
 * What sits in front of the owners API in the real platform (API management): bearer-token check,
 * per-client fixed-window rate limit with `x-rate-limit-*` headers, and here also fault injection.
 * Order: route match → 401 → 429 → faults → operation.
 */
import { STATUS_CODES } from "node:http";
import { defaultErrorFor, errors } from "../api-errors.ts";
import type { Exchange, SimulatorContext } from "../context.ts";
import type { FaultAction } from "../faults.ts";
import { delay, loseReply, sendJson, sendText } from "../http.ts";
import { rateLimitHeaders } from "../rate-limit.ts";
import { allowedMethods, handleOwners, matchOwnersPath, OWNER_ROUTE, OWNERS_ROUTE } from "./owners.ts";

export const MEDIA_TYPE_HEADER = "bentley.itwin-platform.v2";

/** Handles owners-API paths; returns false for any other path. */
export async function handleApi(ctx: SimulatorContext, ex: Exchange): Promise<boolean> {
  const target = matchOwnersPath(ex.url.pathname);
  if (!target) return false;
  const method = (ex.req.method ?? "GET").toUpperCase();
  ex.route = `${method} ${target.memberId === undefined ? OWNERS_ROUTE : OWNER_ROUTE}`;
  ex.res.setHeader("x-itwinplatform-media-type", MEDIA_TYPE_HEADER);

  const allowed = allowedMethods(target);
  if (!allowed.includes(method)) {
    sendJson(
      ex.res,
      405,
      { error: { code: "MethodNotAllowed", message: `Use ${allowed.join(" or ")} on this resource.` } },
      { allow: allowed.join(", ") },
    );
    return true;
  }

  const clientId = authenticate(ctx, ex);
  if (clientId === undefined) return true;
  ex.clientId = clientId;

  const now = ctx.state.now();
  const decision = ctx.state.rateLimiter.take(clientId, now);
  for (const [name, value] of Object.entries(rateLimitHeaders(decision))) ex.res.setHeader(name, value);
  if (!decision.allowed) {
    ctx.state.recorder.rateLimited();
    sendJson(ex.res, 429, errors.rateLimitExceeded(), { "retry-after": String(decision.retryAfterSeconds) });
    return true;
  }

  const fault = ctx.state.faults.next(method, `${ex.url.pathname}${ex.url.search}`);
  if (fault.latencyMs > 0) await delay(fault.latencyMs, ctx.closing);
  if (fault.action) {
    ctx.state.recorder.faultInjected(fault.action.kind);
    ex.notes.push(`fault=${fault.source}:${describe(fault.action)}`);
    const handled = await applyFault(ctx, ex, fault.action);
    if (handled) return true;
  }
  if (ctx.closing.aborted) {
    ex.req.socket.destroy();
    return true;
  }
  await handleOwners(ctx, ex, target);
  return true;
}

function authenticate(ctx: SimulatorContext, ex: Exchange): string | undefined {
  const header = ex.req.headers.authorization;
  if (!header) {
    sendJson(ex.res, 401, errors.headerNotFound());
    return undefined;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const check = match?.[1] ? ctx.state.tokens.verify(match[1]) : undefined;
  if (!check?.ok) {
    ex.notes.push(`token=${check?.reason ?? "malformed"}`);
    sendJson(ex.res, 401, errors.invalidToken(), { "www-authenticate": 'Bearer error="invalid_token"' });
    return undefined;
  }
  return check.clientId;
}

/** Returns true when the fault answered (or killed) the request, false when handling should go on. */
async function applyFault(ctx: SimulatorContext, ex: Exchange, action: FaultAction): Promise<boolean> {
  switch (action.kind) {
    case "reset":
      ex.req.socket.destroy();
      return true;
    case "lose-reply":
      // Handled (and applied) below; only the answer is lost, as when a proxy or the network fails on
      // the way back. The client cannot tell this from a reset, and must not apply the change twice.
      loseReply(ex.res);
      return false;
    case "stall":
      // The request is handled afterwards even if the client gave up meanwhile: like the real service,
      // a timed-out POST may still have taken effect, and clients must cope with that.
      await delay(action.stallMs, ctx.closing);
      return false;
    case "respond": {
      if (action.status === 429) {
        // An injected 429 looks like a real one: window exhausted, unless the rule's headers say otherwise.
        ex.res.setHeader("x-rate-limit-remaining", "0");
      }
      const headers = { ...action.headers };
      if (action.body !== undefined) {
        const contentType = headers["content-type"] ?? guessContentType(action.body);
        delete headers["content-type"];
        sendText(ex.res, action.status, action.body, headers, contentType);
      } else if (action.json !== undefined) {
        sendJson(ex.res, action.status, action.json, headers);
      } else if (action.status === 204 || action.status === 304 || action.status < 200) {
        ex.res.writeHead(action.status, headers).end();
      } else {
        sendJson(
          ex.res,
          action.status,
          defaultErrorFor(action.status, STATUS_CODES[action.status] ?? ""),
          headers,
        );
      }
      return true;
    }
  }
}

function guessContentType(body: string): string {
  return /^\s*</.test(body) ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
}

function describe(action: FaultAction): string {
  if (action.kind === "respond") return String(action.status);
  if (action.kind === "stall") return `stall${action.stallMs}ms`;
  return action.kind;
}
