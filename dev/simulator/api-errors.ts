/**
 * Error bodies in the shape Bentley's iTwin Platform APIs use: `{ "error": { code, message, details? } }`.
 * Codes and messages are copied from the Access Control v2 reference pages where they show one; the few
 * the docs do not show are marked below.
 */

export interface ApiErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: ApiErrorDetail[] };
}

export function apiError(code: string, message: string, details?: ApiErrorDetail[]): ApiErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export const errors = {
  /** 401, documented on every v2 operation. */
  headerNotFound: () =>
    apiError("HeaderNotFound", "Header Authorization was not found in the request. Access denied."),
  /** 401 for a bad, expired or revoked token; code and message as the v1 reference documents them. */
  invalidToken: () =>
    apiError(
      "Unauthorized",
      "Access denied due to invalid access_token. Make sure to provide a valid token for this API endpoint.",
    ),
  /** 404, documented on the owner operations. */
  itwinNotFound: () => apiError("ItwinNotFound", "Requested iTwin is not available."),
  /** 404 for an unknown member id. The v2 page only shows ItwinNotFound; this code is the platform's name. */
  teamMemberNotFound: () => apiError("TeamMemberNotFound", "Requested team member is not available."),
  /**
   * 409 when the user already is an owner. The v2 owners page documents no such case; the v1
   * "add iTwin members" page answers an existing member with this code and message, so we mirror it.
   */
  alreadyOwner: (memberId: string, itwinId: string) =>
    apiError("iTwinMemberAlreadyExists", `Member '${memberId}' already exists in iTwin '${itwinId}'.`),
  /** 422, body/query validation, as documented (details carry one entry per problem). */
  invalidRequest: (details: ApiErrorDetail[]) =>
    apiError("InvalidiTwinsMemberRequest", "Request body or query is invalid.", details),
  /** 429, as on the v2 owner operations. */
  rateLimitExceeded: () =>
    apiError(
      "RateLimitExceeded",
      "The client sent more requests than allowed by this API for the current tier of the client.",
    ),
  /** Not a Bentley body: what the gateway would say for a path it does not route. */
  resourceNotFound: (path: string) => apiError("ResourceNotFound", `No resource matches '${path}'.`),
  requestTooLarge: () => apiError("RequestEntityTooLarge", "The request body is too large."),
} as const;

/** A plausible default body for an injected status without an explicit body (e.g. 503 → ServiceUnavailable). */
export function defaultErrorFor(status: number, statusText: string): ApiErrorBody {
  if (status === 429) return errors.rateLimitExceeded();
  const code = statusText.replace(/[^A-Za-z]/g, "") || `Http${status}`;
  return apiError(code, `${statusText || "Error"} (injected by the simulator).`);
}
