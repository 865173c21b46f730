import { ScimError } from "./scimmy.ts";

/**
 * SCIM error bodies (RFC 7644 §3.12) and what each failure answers (pure). Errors travel as scimmy's
 * SCIMError, because scimmy throws those itself from its filter parser and schemas; the protocol
 * modules wrap every other library error where it is raised, so anything else reaching here is ours
 * (a bug, a storage failure) and answers 500 without detail.
 */

export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  /** A string, as RFC 7644 writes it. */
  status: string;
  scimType?: string;
  detail: string;
}

/** scimType is only defined for 400 and 409 (and 413's tooMany); leave it out elsewhere. */
export function scimError(status: number, scimType: string | undefined, detail: string): ScimError {
  return new ScimError(status, scimType as string, detail);
}

export function errorBody(status: number, scimType: string | undefined, detail: string): ScimErrorBody {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  };
}

export type Failure = { status: number; body: ScimErrorBody; expected: boolean };

export function failureOf(error: unknown): Failure {
  if (error instanceof ScimError) {
    return {
      status: error.status,
      body: errorBody(error.status, error.scimType, error.message),
      expected: true,
    };
  }
  return {
    status: 500,
    body: errorBody(500, undefined, "The request could not be completed; it is safe to repeat"),
    expected: false,
  };
}
