/**
 * Keeps secrets out of log lines, error messages and status documents. Pure text functions, plus one
 * process-wide set of the secret values this process holds (filled by the composition root from the
 * settings and with each bearer token it obtains), as metrics.ts keeps one active sink.
 *
 * Two nets, because neither catches everything alone:
 * - known values: the client secret, the webhook secrets, the storage account key, our bearer tokens —
 *   caught however they are framed, e.g. an IMS or gateway error page that echoes the request;
 * - shapes: `Authorization: Bearer …`, `?code=…`, `AccountKey=…`, `whsec_…`, `v1,<signature>`, JWTs —
 *   for secrets this process never held: a caller's function key, a sender's signature.
 */

export const REDACTED = "[redacted]";

/** Shorter values are not treated as known secrets: replacing them everywhere would garble the logs. */
const MIN_KNOWN_LENGTH = 8;
/** Tokens are renewed about hourly; only the newest few can still turn up. */
const MAX_TOKENS = 8;

const settingSecrets = new Set<string>();
const recentTokens: string[] = [];
let knownLongestFirst: string[] = [];

/** A value travels raw or percent-encoded (in a form body, a query string). */
function forms(value: string): string[] {
  const encoded = encodeURIComponent(value);
  return encoded === value ? [value] : [value, encoded];
}

function refresh(): void {
  knownLongestFirst = [...settingSecrets, ...recentTokens.flatMap(forms)].sort((a, b) => b.length - a.length);
}

/** Remembers a secret from the settings: every later log line and document is scrubbed of it. */
export function rememberSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_KNOWN_LENGTH || settingSecrets.has(value)) return;
  for (const form of forms(value)) settingSecrets.add(form);
  refresh();
}

/** Remembers a bearer token this process obtained; the oldest is forgotten once it cannot be in use. */
export function rememberToken(token: string): void {
  if (token.length < MIN_KNOWN_LENGTH || recentTokens.includes(token)) return;
  recentTokens.push(token);
  if (recentTokens.length > MAX_TOKENS) recentTokens.shift();
  refresh();
}

/**
 * The secret values among the app's settings (raw environment or parsed settings): the IMS client
 * secret, each webhook secret (with and without its `whsec_` prefix, which libraries strip), each
 * SOURCE_SECRET_* value, each SCIM bearer token, and the account key or SAS signature inside a
 * storage connection string.
 */
export function secretSettings(settings: Readonly<Record<string, unknown>>): string[] {
  const values: string[] = [];
  const text = (name: string) => (typeof settings[name] === "string" ? (settings[name] as string) : "");
  if (text("ITWIN_CLIENT_SECRET") !== "") values.push(text("ITWIN_CLIENT_SECRET"));
  const webhook = settings.WEBHOOK_SECRETS;
  const webhookSecrets = Array.isArray(webhook) ? webhook : text("WEBHOOK_SECRETS").split(",");
  // The signature secrets of mapped webhooks (docs/sources.md): their settings are named SOURCE_SECRET_*.
  const sourceSecrets = Object.keys(settings)
    .filter((name) => name.startsWith("SOURCE_SECRET_"))
    .flatMap((name) => text(name).split(","));
  for (const secret of [...webhookSecrets, ...sourceSecrets]) {
    if (typeof secret !== "string" || secret.trim() === "") continue;
    values.push(secret.trim(), secret.trim().replace(/^whsec_/, ""));
  }
  // SCIM bearer tokens: parsed, [{ name, token }]; raw, `name=token,…` with the token after the first `=`.
  const scim = settings.SCIM_BEARER_TOKENS;
  const scimTokens = Array.isArray(scim)
    ? scim.map((entry) => (entry as { token?: unknown }).token)
    : text("SCIM_BEARER_TOKENS")
        .split(",")
        .map((entry) => entry.slice(entry.indexOf("=") + 1));
  for (const token of scimTokens) {
    if (typeof token === "string" && token.trim() !== "") values.push(token.trim());
  }
  for (const match of text("AzureWebJobsStorage").matchAll(
    /(?:AccountKey|SharedAccessSignature)=([^;]+)/gi,
  )) {
    values.push(match[1] as string);
  }
  return values;
}

/** Header and field names whose value is a credential whatever it looks like. */
const SENSITIVE_NAMES =
  "authorization|proxy-authorization|x-functions-key|webhook-signature|ocp-apim-subscription-key|client_secret|access_token|refresh_token|id_token|password";
const SENSITIVE_KEY = new RegExp(`^(?:${SENSITIVE_NAMES})$`, "i");

const SHAPES: readonly [RegExp, string][] = [
  // `authorization: Bearer …`, `"x-functions-key":"…"`, `webhook-signature=…`: the value after the name
  // (commas included: a signature header reads `v1,<base64>`).
  [
    new RegExp(`\\b(${SENSITIVE_NAMES})("?\\s*[:=]\\s*"?)((?:bearer|basic)\\s+)?[^\\s;"'&<>]+`, "gi"),
    `$1$2$3${REDACTED}`,
  ],
  // A credential after its scheme, wherever it stands (a gateway page echoing the request).
  [/\b([Bb]earer|Basic|SharedKey)(\s+)[A-Za-z0-9\-._~+/:%]+=*/g, `$1$2${REDACTED}`],
  // Query strings, form bodies and connection strings: function keys (`code=`), OAuth values, SAS
  // signatures, storage account keys.
  [
    /(^|[?&;,\s"'(])(code|client_secret|client_assertion|access_token|refresh_token|id_token|sig|AccountKey|SharedAccessKey|password)=([^&;\s"'<>,]+)/gi,
    `$1$2=${REDACTED}`,
  ],
  // Standard Webhooks secrets and signatures.
  [/\bwhsec_[A-Za-z0-9+/]+=*/g, `whsec_${REDACTED}`],
  [/\b(v1a?),[A-Za-z0-9+/]{20,}={0,2}/g, `$1,${REDACTED}`],
  // JSON Web Tokens (IMS issues them), however they got into the text.
  [/\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
];

/** The text with every known secret and every credential-shaped value replaced by `[redacted]`. */
export function redact(text: string, alsoKnown: readonly string[] = []): string {
  let result = text;
  const extra = alsoKnown.filter((value) => value.length >= MIN_KNOWN_LENGTH);
  for (const value of extra.length === 0 ? knownLongestFirst : [...extra, ...knownLongestFirst]) {
    if (result.includes(value)) result = result.split(value).join(REDACTED);
  }
  for (const [pattern, replacement] of SHAPES) result = result.replace(pattern, replacement);
  return result;
}

const MAX_DEPTH = 20;

/**
 * A copy of a log record or document with every string redacted, and the whole value of any field
 * named like a credential (`authorization`, `x-functions-key`, …) replaced. Objects that are not plain
 * data (errors, dates) are kept as they are: JSON.stringify shows them as it would have.
 */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redact(value) as T;
  if (depth >= MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1)) as T;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    copy[key] =
      SENSITIVE_KEY.test(key) && field !== undefined && field !== null
        ? REDACTED
        : redactDeep(field, depth + 1);
  }
  return copy as T;
}
