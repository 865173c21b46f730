import { TimeoutError } from "ky";
import { OwnersCallError } from "./owners-call-error.ts";

/** No complete answer arrived: a timeout, a reset connection, a refused one. Always worth another try. */
export class NetworkError extends OwnersCallError {
  override readonly name = "NetworkError";
  readonly transient = true;

  constructor(code: "Timeout" | "NetworkError", message: string) {
    super(code, message);
  }

  /** Describes what fetch or ky threw, with the underlying cause (ECONNRESET and the like). */
  static from(error: unknown): NetworkError {
    if (error instanceof TimeoutError || (error instanceof Error && error.name === "TimeoutError")) {
      return new NetworkError("Timeout", "no complete answer within the timeout");
    }
    const message =
      error instanceof Error
        ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}`
        : String(error);
    return new NetworkError("NetworkError", message);
  }
}
