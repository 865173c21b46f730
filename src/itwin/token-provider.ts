import ky, { HTTPError, type KyInstance, type Options } from "ky";
import * as z from "zod";
import type { Clock } from "../clock.ts";
import { describeErrorBody } from "./errors/describe-error-body.ts";
import { IdentityError } from "./errors/identity-error.ts";

/**
 * OAuth2 client-credentials tokens from Bentley IMS (or the simulator): the token endpoint comes from
 * OIDC discovery; a token is reused until a minute before it expires; concurrent callers share one
 * refresh (single flight) instead of each asking IMS for its own.
 */

const REFRESH_MARGIN_MS = 60_000;
const DISCOVERY = "OIDC discovery";

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
  const authority = options.authority.replace(/\/+$/, "");
  const http: KyInstance = ky.create({
    timeout: options.timeoutMs,
    // IMS hiccups (408, 429, 5xx) are retried by ky itself, honouring Retry-After: fetching a token is
    // idempotent and not drawn from the owners API's budget.
    // A Retry-After longer than one timeout is not waited for here: the caller gets the error and
    // retries later, without holding the whole call open.
    retry: {
      limit: 2,
      methods: ["get", "post"],
      statusCodes: [408, 429, 500, 502, 503, 504],
      jitter: true,
      maxRetryAfter: options.timeoutMs,
    },
  });
  let tokenEndpoint: Promise<string> | undefined;
  let cached: { token: string; refreshAt: number; expiresAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  /** GET or POST with the body read under the same timeout; an error status becomes an IdentityError. */
  async function call(
    url: string,
    what: string,
    init: Options = {},
  ): Promise<{ status: number; text: string }> {
    try {
      // ky's timeout is per attempt and ends with the headers; this bounds the whole call, bodies and
      // ky's retries (three attempts and two waits, each at most one timeout) included.
      const response = await http(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs * 5) });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      if (!(error instanceof HTTPError)) throw error;
      const text = await error.response.text().catch(() => "");
      if (error.response.status === 404 && what === DISCOVERY) return { status: 404, text };
      throw authError(error.response.status, text, `${what} failed`);
    }
  }

  async function discover(): Promise<string> {
    const { status, text } = await call(`${authority}/.well-known/openid-configuration`, DISCOVERY);
    // IMS's token endpoint has a fixed, documented path; an authority without discovery still has it.
    if (status === 404) return `${authority}/connect/token`;
    const endpoint = discoverySchema.parse(JSON.parse(text)).token_endpoint;
    // The client secret goes to this address: only over https, or to the authority itself.
    if (new URL(endpoint).protocol !== "https:" && new URL(endpoint).origin !== new URL(authority).origin) {
      throw new IdentityError(
        undefined,
        "UntrustedTokenEndpoint",
        `refusing to send credentials to ${endpoint}`,
      );
    }
    return endpoint;
  }

  async function fetchToken(): Promise<string> {
    tokenEndpoint ??= discover().catch((error: unknown) => {
      tokenEndpoint = undefined;
      throw error;
    });
    const endpoint = await tokenEndpoint;
    const { text } = await call(endpoint, "token request", {
      method: "post",
      // A redirect would carry the secret to wherever it points.
      redirect: "error",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: options.clientId,
        client_secret: options.clientSecret,
        scope: options.scope,
      }),
    });
    const body = tokenSchema.parse(JSON.parse(text));
    const now = options.clock.now();
    cached = {
      token: body.access_token,
      refreshAt: now + Math.max(0, body.expires_in * 1000 - REFRESH_MARGIN_MS),
      expiresAt: now + body.expires_in * 1000,
    };
    return body.access_token;
  }

  return {
    getToken() {
      const now = options.clock.now();
      if (cached !== undefined && now < cached.refreshAt) return Promise.resolve(cached.token);
      const stillValid = cached !== undefined && now < cached.expiresAt ? cached.token : undefined;
      inFlight ??= fetchToken().finally(() => {
        inFlight = undefined;
      });
      // An IMS hiccup during the early refresh is no reason to fail while the current token still works.
      return stillValid === undefined ? inFlight : inFlight.catch(() => stillValid);
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

function authError(status: number, bodyText: string, what: string): IdentityError {
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
  return new IdentityError(status, code, `${what}: ${message}`);
}
