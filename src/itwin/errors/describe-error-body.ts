import { redact } from "../../observability/redact.ts";

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
