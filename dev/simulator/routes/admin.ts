/**
 * Admin endpoints under /__admin: no auth, not counted in stats, never rate-limited or faulted.
 * For tests, demos and benchmarks that run the simulator as a separate process.
 */
import * as z from "zod";
import type { Exchange, SimulatorContext } from "../context.ts";
import { FaultConfigError } from "../faults.ts";
import { readBody, sendEmpty, sendJson, tryParseJson } from "../http.ts";

export const ADMIN_PREFIX = "/__admin";

/** One line per endpoint, shared by `GET /__admin` and the CLI's --help. */
export const ADMIN_ENDPOINTS: readonly [string, string][] = [
  ["GET    /__admin/itwins", "list iTwins: id, name, owner and pending-invitation counts"],
  [
    "POST   /__admin/itwins",
    'add an iTwin: {"id"?, "name"?, "owners"?: [{"email": string|null, ...}]} → 201 {id}',
  ],
  ["GET    /__admin/itwins/{id}/owners", "all owners and pending invitations of an iTwin, unpaged"],
  [
    "POST   /__admin/itwins/{id}/invitations/{invitationId}/accept",
    "the invited user accepts: becomes an owner",
  ],
  ["GET    /__admin/faults", "current fault configuration, with uses left per rule"],
  ["PUT    /__admin/faults", "replace the fault configuration (see below); 400 on invalid input"],
  ["DELETE /__admin/faults", "remove all faults"],
  [
    "GET    /__admin/writes[?since=n]",
    "writes the owners API applied (member added, invitation created, member removed), after seq n",
  ],
  ["GET    /__admin/stats", "request counters: requests, byStatus, byRoute, rateLimited, faultsInjected, …"],
  ["POST   /__admin/stats/reset", "zero the counters"],
  ["POST   /__admin/tokens/revoke", "every token issued so far gets 401 from now on (tests token refresh)"],
  [
    "POST   /__admin/reset",
    "fresh start: iTwins re-seeded, faults, rate-limit windows, stats and the write log cleared",
  ],
];

const ownerSeedSchema = z
  .object({
    email: z.string().trim().min(3).nullable(),
    id: z.uuid().optional(),
    givenName: z.string().nullable().optional(),
    surName: z.string().nullable().optional(),
    surname: z.string().nullable().optional(),
    organization: z.string().nullable().optional(),
  })
  .strict();

export const addItwinSchema = z
  .object({
    id: z.uuid().optional(),
    name: z.string().trim().min(1).max(200).optional(),
    owners: z.array(ownerSeedSchema).max(100_000).optional(),
  })
  .strict();

function adminError(ex: Exchange, status: number, code: string, message: string, details?: unknown): void {
  sendJson(ex.res, status, { error: details === undefined ? { code, message } : { code, message, details } });
}

async function jsonBody(ex: Exchange): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const text = await readBody(ex.req);
  if (text.trim() === "") return { ok: true, value: {} };
  const value = tryParseJson(text);
  if (value === undefined) {
    adminError(ex, 400, "InvalidJson", "The request body is not valid JSON.");
    return { ok: false };
  }
  return { ok: true, value };
}

function zodDetails(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

export async function handleAdmin(ctx: SimulatorContext, ex: Exchange): Promise<boolean> {
  const path = ex.url.pathname.replace(/\/+$/, "");
  if (path !== ADMIN_PREFIX && !path.startsWith(`${ADMIN_PREFIX}/`)) return false;
  const method = ex.req.method ?? "GET";
  const key = `${method} ${path.slice(ADMIN_PREFIX.length) || "/"}`;
  ex.route = `${method} ${path}`;
  const { state } = ctx;

  switch (key) {
    case "GET /":
      sendJson(ex.res, 200, {
        endpoints: ADMIN_ENDPOINTS.map(([route, description]) => ({ route, description })),
      });
      return true;
    case "GET /itwins":
      sendJson(ex.res, 200, { itwins: state.itwins() });
      return true;
    case "POST /itwins": {
      const body = await jsonBody(ex);
      if (!body.ok) return true;
      const parsed = addItwinSchema.safeParse(body.value);
      if (!parsed.success) {
        adminError(ex, 400, "InvalidItwin", "The iTwin definition is invalid.", zodDetails(parsed.error));
        return true;
      }
      if (parsed.data.id !== undefined && state.directory.has(parsed.data.id)) {
        adminError(ex, 409, "ItwinAlreadyExists", `iTwin ${parsed.data.id} already exists.`);
        return true;
      }
      sendJson(ex.res, 201, state.addItwin(parsed.data));
      return true;
    }
    case "GET /faults":
      sendJson(ex.res, 200, state.faults.snapshot());
      return true;
    case "PUT /faults": {
      const body = await jsonBody(ex);
      if (!body.ok) return true;
      try {
        sendJson(ex.res, 200, state.faults.configure(body.value));
      } catch (error) {
        if (!(error instanceof FaultConfigError)) throw error;
        adminError(ex, 400, "InvalidFaultConfig", error.message, error.issues);
      }
      return true;
    }
    case "DELETE /faults":
      state.clearFaults();
      sendEmpty(ex.res, 204);
      return true;
    case "GET /stats":
      sendJson(ex.res, 200, state.stats());
      return true;
    case "GET /writes": {
      const since = ex.url.searchParams.get("since") ?? "0";
      if (!/^\d+$/.test(since)) {
        adminError(ex, 400, "InvalidSince", "since must be a whole number (the last seq already read).");
        return true;
      }
      sendJson(ex.res, 200, { writes: state.appliedWrites(Number(since)) });
      return true;
    }
    case "POST /stats/reset":
      state.resetStats();
      sendEmpty(ex.res, 204);
      return true;
    case "POST /tokens/revoke":
      sendJson(ex.res, 200, { revoked: state.revokeTokens() });
      return true;
    case "POST /reset":
      state.reset();
      sendEmpty(ex.res, 204);
      return true;
  }

  const owners = /^GET \/itwins\/([^/]+)\/owners$/.exec(key);
  if (owners?.[1]) {
    const id = decodeURIComponent(owners[1]).toLowerCase();
    if (!state.directory.has(id)) {
      adminError(ex, 404, "ItwinNotFound", `No iTwin ${id}.`);
      return true;
    }
    const summary = state.itwins().find((itwin) => itwin.id === id);
    sendJson(ex.res, 200, {
      id,
      name: summary?.name,
      owners: state.owners(id),
      invitations: state.invitations(id),
    });
    return true;
  }

  const accept = /^POST \/itwins\/([^/]+)\/invitations\/([^/]+)\/accept$/.exec(key);
  if (accept?.[1] && accept[2]) {
    const id = decodeURIComponent(accept[1]).toLowerCase();
    if (!state.directory.has(id)) {
      adminError(ex, 404, "ItwinNotFound", `No iTwin ${id}.`);
      return true;
    }
    const member = state.acceptInvitation(id, decodeURIComponent(accept[2]));
    if (!member) adminError(ex, 404, "InvitationNotFound", "No pending invitation with that id.");
    else sendJson(ex.res, 200, { member });
    return true;
  }

  adminError(
    ex,
    404,
    "ResourceNotFound",
    `No admin endpoint ${method} ${path}. GET ${ADMIN_PREFIX} lists them.`,
  );
  return true;
}
