import ky, { type KyInstance } from "ky";
import * as z from "zod";
import type { Clock } from "../clock.ts";
import { describeErrorBody, OwnersApiError } from "./errors.ts";

/**
 * OAuth2 client-credentials tokens from Bentley IMS (or the simulator): the token endpoint comes from
 * OIDC discovery; a token is reused until a minute before it expires; concurrent callers share one
 * refresh (single flight) instead of each asking IMS for its own.
 */

const REFRESH_MARGIN_MS = 60_000;

const discoverySchema = z.object({ token_endpoint: z.url() });
const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
});

export interface TokenProviderOptions {
  authority: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  timeoutMs: number;
  clock: Clock;
}

export interface TokenProvider {
  getToken(): Promise<string>;
  /** Drops the cached token, e.g. after the API answered 401 to it. */
  invalidate(token: string): void;
}

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const http: KyInstance = ky.create({
    timeout: options.timeoutMs,
    throwHttpErrors: false,
    // IMS hiccups are retried by ky itself: the token call is idempotent and never rate-limited by us.
    retry: { limit: 2, methods: ["get", "post"], statusCodes: [408, 429, 500, 502, 503, 504], jitter: true },
  });
  let tokenEndpoint: Promise<string> | undefined;
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function discover(): Promise<string> {
    const url = `${options.authority.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const response = await http.get(url);
    const text = await response.text();
    // IMS's token endpoint has a fixed, documented path; an authority without discovery still has it.
    if (response.status === 404) return `${options.authority.replace(/\/+$/, "")}/connect/token`;
    if (!response.ok) throw authError(response.status, text, "OIDC discovery failed");
    return discoverySchema.parse(JSON.parse(text)).token_endpoint;
  }

  async function fetchToken(): Promise<string> {
    tokenEndpoint ??= discover().catch((error: unknown) => {
      tokenEndpoint = undefined;
      throw error;
    });
    const endpoint = await tokenEndpoint;
    const response = await http.post(endpoint, {
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: options.clientId,
        client_secret: options.clientSecret,
        scope: options.scope,
      }),
    });
    const text = await response.text();
    if (!response.ok) throw authError(response.status, text, "token request failed");
    const body = tokenSchema.parse(JSON.parse(text));
    cached = {
      token: body.access_token,
      refreshAt: options.clock.now() + Math.max(0, body.expires_in * 1000 - REFRESH_MARGIN_MS),
    };
    return body.access_token;
  }

  return {
    getToken() {
      if (cached !== undefined && options.clock.now() < cached.refreshAt)
        return Promise.resolve(cached.token);
      inFlight ??= fetchToken().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

function authError(status: number, bodyText: string, what: string): OwnersApiError {
  // OAuth errors read { error, error_description }; anything else is described as the API's would be.
  let code: string;
  let message: string;
  try {
    const body = JSON.parse(bodyText) as { error?: unknown; error_description?: unknown };
    if (typeof body.error !== "string") throw new Error("not an OAuth error");
    code = body.error;
    message = typeof body.error_description === "string" ? body.error_description : body.error;
  } catch {
    ({ code, message } = describeErrorBody(status, bodyText));
  }
  const transient = status === 408 || status === 429 || status >= 500;
  return new OwnersApiError(status, code, `${what}: ${message}`, undefined, transient);
}
