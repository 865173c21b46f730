import { isTransientStatus } from "../retry-timing.ts";
import { OwnersCallError } from "./owners-call-error.ts";

/**
 * IMS did not issue a token: it answered with an error status (a wrong secret is permanent, an outage
 * is not), or we refused to send it the credentials. Raised by the token provider.
 */
export class IdentityError extends OwnersCallError {
  override readonly name = "IdentityError";
  readonly transient: boolean;

  constructor(httpStatus: number | undefined, code: string, message: string) {
    super(code, message, httpStatus);
    this.transient = httpStatus !== undefined && isTransientStatus(httpStatus);
  }
}
