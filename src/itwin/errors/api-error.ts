import { isTransientStatus } from "../retry-timing.ts";
import { OwnersCallError } from "./owners-call-error.ts";

/** The owners API, or a gateway in front of it, answered with an error status. */
export class ApiError extends OwnersCallError {
  override readonly name = "ApiError";
  readonly transient: boolean;

  constructor(httpStatus: number, code: string, message: string, correlationId?: string) {
    super(code, message, httpStatus, correlationId);
    this.transient = isTransientStatus(httpStatus);
  }
}
