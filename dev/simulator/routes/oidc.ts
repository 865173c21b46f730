/**
 * The slice of Bentley IMS the service uses: OIDC discovery and the OAuth2 client-credentials token
 * endpoint, with RFC 6749 error bodies (`{ error, error_description }`). Not rate-limited, no faults.
 */
import { authenticateClient } from "../clients.ts";
import type { Exchange, SimulatorContext } from "../context.ts";
import { parseBasicAuth, readBody, sendJson } from "../http.ts";

export const SUPPORTED_SCOPES = ["itwin-platform"] as const;
export const DISCOVERY_PATH = "/.well-known/openid-configuration";
export const TOKEN_PATH = "/connect/token";

export function discoveryDocument(baseUrl: string): Record<string, unknown> {
  return {
    issuer: baseUrl,
    token_endpoint: `${baseUrl}${TOKEN_PATH}`,
    grant_types_supported: ["client_credentials"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    scopes_supported: [...SUPPORTED_SCOPES],
    response_types_supported: ["token"],
  };
}

/** Handles the two IMS paths; returns false when the path is not one of them. */
export async function handleOidc(ctx: SimulatorContext, ex: Exchange): Promise<boolean> {
  const method = ex.req.method ?? "GET";
  const path = ex.url.pathname;
  if (path === DISCOVERY_PATH) {
    ex.route = `${method} ${DISCOVERY_PATH}`;
    if (method !== "GET" && method !== "HEAD") {
      sendJson(ex.res, 405, { error: "invalid_request", error_description: "use GET" }, { allow: "GET" });
    } else {
      sendJson(ex.res, 200, discoveryDocument(ctx.url));
    }
    return true;
  }
  if (path === TOKEN_PATH) {
    ex.route = `${method} ${TOKEN_PATH}`;
    await issueToken(ctx, ex);
    return true;
  }
  return false;
}

function oauthError(ex: Exchange, status: number, error: string, description: string, extra = {}): void {
  sendJson(
    ex.res,
    status,
    { error, error_description: description },
    { "cache-control": "no-store", pragma: "no-cache", ...extra },
  );
}

async function issueToken(ctx: SimulatorContext, ex: Exchange): Promise<void> {
  if (ex.req.method !== "POST") {
    oauthError(ex, 405, "invalid_request", "The token endpoint only accepts POST.", { allow: "POST" });
    return;
  }
  const contentType = (ex.req.headers["content-type"] ?? "").toLowerCase();
  if (!contentType.startsWith("application/x-www-form-urlencoded")) {
    oauthError(ex, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.");
    return;
  }
  const form = new URLSearchParams(await readBody(ex.req, 64 * 1024));

  const basic = parseBasicAuth(ex.req.headers.authorization);
  const bodyId = form.get("client_id");
  const bodySecret = form.get("client_secret");
  if (basic && (bodySecret !== null || (bodyId !== null && bodyId !== basic.id))) {
    oauthError(ex, 400, "invalid_request", "Use one client authentication method, not both.");
    return;
  }
  const grantType = form.get("grant_type");
  if (!grantType) {
    oauthError(ex, 400, "invalid_request", "grant_type is required.");
    return;
  }
  const clientId = basic?.id ?? bodyId ?? "";
  const clientSecret = basic?.secret ?? bodySecret ?? "";
  if (!authenticateClient(ctx.state.options.clients, clientId, clientSecret)) {
    oauthError(
      ex,
      401,
      "invalid_client",
      "Client authentication failed.",
      basic ? { "www-authenticate": 'Basic realm="simulator"' } : {},
    );
    return;
  }
  ex.clientId = clientId;
  if (grantType !== "client_credentials") {
    oauthError(ex, 400, "unsupported_grant_type", `grant_type '${grantType}' is not supported.`);
    return;
  }
  const scopes = (form.get("scope") ?? "").split(/\s+/).filter(Boolean);
  const unknown = scopes.filter((scope) => !(SUPPORTED_SCOPES as readonly string[]).includes(scope));
  if (!scopes.includes("itwin-platform") || unknown.length > 0) {
    oauthError(
      ex,
      400,
      "invalid_scope",
      unknown.length > 0 ? `Unknown scope(s): ${unknown.join(" ")}.` : "scope must include itwin-platform.",
    );
    return;
  }
  const { accessToken, expiresIn } = ctx.state.tokens.issue(clientId);
  ctx.state.recorder.tokenIssued();
  sendJson(
    ex.res,
    200,
    { access_token: accessToken, token_type: "Bearer", expires_in: expiresIn, scope: scopes.join(" ") },
    { "cache-control": "no-store", pragma: "no-cache" },
  );
}
