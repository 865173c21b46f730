import { redact } from "../../observability/redact.ts";

/**
 * What every failure of a call towards the owners API has in common, whichever layer raised it: a code
 * for the status document, whether trying again later can help, and what the other side said. The
 * message is redacted here because it may quote what the other side echoed (a header, the token form),
 * and it travels further than our logger: into status documents and the host's own exception log.
 */
export abstract class OwnersCallError extends Error {
  abstract readonly transient: boolean;

  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus?: number,
    readonly correlationId?: string,
  ) {
    super(redact(message));
  }
}
