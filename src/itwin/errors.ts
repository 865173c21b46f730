import { redact } from "../observability/redact.ts";

/**
 * A failure the owners API, IMS or a gateway in front of them answered with. Its message is redacted
 * here because it may quote what the other side echoed (a header, the token form), and it travels
 * further than our logger: into status documents and, when thrown, the host's own exception log.
 */
export class OwnersApiError extends Error {
  constructor(
    readonly httpStatus: number | undefined,
    readonly code: string,
    message: string,
    readonly correlationId: string | undefined,
    /** Worth trying again later: 408, 429, 5xx, network errors, timeouts. */
    readonly transient: boolean,
  ) {
    super(redact(message));
    this.name = "OwnersApiError";
  }
}

/** The code of a RetryLaterError that only waits for this process's share of the rate budget. */
export const PACED_CODE = "RateLimitPaced";

/**
 * The next attempt should happen later than one invocation should sleep: the caller re-enqueues the
 * work with this delay instead of holding an instance (and a queue lease) idle.
 */
export class RetryLaterError extends Error {
  constructor(
    readonly delayMs: number,
    override readonly cause: OwnersApiError,
    /** False when nothing was refused — we only waited for our own share or our turn. */
    readonly countsAsAttempt = true,
  ) {
    super(`retry in ${delayMs} ms: ${cause.message}`);
    this.name = "RetryLaterError";
  }
}

const MAX_CODE = 100;
const MAX_MESSAGE = 500;

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/**
 * The API's errors usually read `{ "error": { code, message } }`, but its docs warn clients must not
 * rely on that: a gateway may answer with plain text or HTML. Whatever arrives becomes a code and a
 * short, single-line message.
 */
export function describeErrorBody(httpStatus: number, bodyText: string): { code: string; message: string } {
  try {
    const body = JSON.parse(bodyText) as ErrorBody;
    const code = body?.error?.code;
    const message = body?.error?.message;
    if (typeof code === "string" && code !== "") {
      // Bounded: these land in status documents, whose properties Table Storage caps at 64 KiB.
      const text = typeof message === "string" && message !== "" ? message : code;
      return { code: redact(code).slice(0, MAX_CODE), message: redact(text).slice(0, MAX_MESSAGE) };
    }
  } catch {
    // not JSON: fall through to the text
  }
  // Redacted before it is cut short: a cut secret would no longer be recognised.
  const text = redact(
    bodyText
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
  ).slice(0, MAX_MESSAGE);
  return { code: `Http${httpStatus}`, message: text === "" ? `HTTP ${httpStatus}` : text };
}
