import { redact } from "../../observability/redact.ts";

const MAX_CODE = 100;
const MAX_MESSAGE = 500;

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

export interface ErrorDescription {
  code: string;
  message: string;
  /** `error.details[].code`: where some answers put the specific reason (`iTwinMemberAlreadyExists`). */
  detailCodes: string[];
}

/**
 * The API's errors usually read `{ "error": { code, message } }`, but its docs warn clients must not
 * rely on that: a gateway may answer with plain text or HTML. Whatever arrives becomes a code and a
 * short, single-line message. Parsed once, so a caller that needs the detail codes too reads them here.
 */
export function describeErrorBody(httpStatus: number, bodyText: string): ErrorDescription {
  const body = parseErrorBody(bodyText);
  const code = body?.error?.code;
  const message = body?.error?.message;
  const detailCodes = codesOf(body?.error?.details);
  if (typeof code === "string" && code !== "") {
    // Bounded: these land in status documents, whose properties Table Storage caps at 64 KiB.
    const text = typeof message === "string" && message !== "" ? message : code;
    return { code: boundedCode(code), message: redact(text).slice(0, MAX_MESSAGE), detailCodes };
  }
  // Redacted before it is cut short: a cut secret would no longer be recognised.
  const text = redact(
    bodyText
      .replace(/<[^>]*>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
  ).slice(0, MAX_MESSAGE);
  return { code: `Http${httpStatus}`, message: text === "" ? `HTTP ${httpStatus}` : text, detailCodes };
}

function parseErrorBody(bodyText: string): ErrorBody | undefined {
  try {
    return JSON.parse(bodyText) as ErrorBody;
  } catch {
    return undefined; // not JSON: the text itself is the message
  }
}

function codesOf(details: unknown): string[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((detail: { code?: unknown } | null) =>
    typeof detail?.code === "string" && detail.code !== "" ? [boundedCode(detail.code)] : [],
  );
}

function boundedCode(code: string): string {
  return redact(code).slice(0, MAX_CODE);
}
