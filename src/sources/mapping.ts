import type jsonata from "jsonata";
import * as z from "zod";

/**
 * What a source mapping is (docs/sources.md): JSONata expressions that read one system's own webhook
 * payload as owner changes, and how that system signs its deliveries. Pure: the schema is built around
 * the JSONata compiler handed in, so that every expression is compiled once, while the configuration
 * is parsed, and a syntax error is reported with the path of the field that holds it.
 */

export type Jsonata = typeof jsonata;
export type Expression = jsonata.Expression;

/** The owner-change fields a mapping reads, each with one expression, evaluated per change. */
export const CHANGE_FIELDS = [
  "itwinId",
  "email",
  "action",
  "id",
  "occurredAt",
  "reason",
  "requestedBy",
] as const;
export type ChangeField = (typeof CHANGE_FIELDS)[number];

/** Names travel in the route (`/api/sources/{name}`) and in file names, so they stay plain. */
export const SOURCE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const SOURCE_NAME_RULE =
  "must be 1-63 lower-case letters, digits or hyphens, not starting with a hyphen";

/**
 * Secrets live in their own settings, never in the mapping, so a mapping can sit in a repository. The
 * prefix lets redaction recognise such a setting by its name alone (src/observability/redact.ts).
 */
const SECRET_SETTING = /^SOURCE_SECRET_[A-Z0-9_]+$/;

const secretSetting = z
  .string()
  .regex(SECRET_SETTING, "must name a setting called SOURCE_SECRET_<NAME> (A-Z, 0-9, _)");

const signatureSchema = z.discriminatedUnion("scheme", [
  // Allowed, but said out loud: the function key is then the only guard (docs/security.md).
  z.strictObject({ scheme: z.literal("none") }),
  z.strictObject({ scheme: z.literal("standard-webhooks"), secretSetting }),
  z.strictObject({
    scheme: z.literal("hmac-sha256"),
    /** The header carrying the MAC, e.g. Jira's `X-Hub-Signature`. */
    header: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "must be an HTTP header name"),
    /** Text before the MAC in that header, e.g. Jira's `sha256=`. */
    prefix: z.string().max(50).default(""),
    encoding: z.enum(["hex", "base64"]).default("hex"),
    secretSetting,
  }),
]);
export type SignatureRule = z.output<typeof signatureSchema>;

/** A mapping document (one entry of SOURCE_MAPPINGS, or one file of SOURCE_MAPPINGS_DIR) with its expressions compiled. */
export function mappingSchema(compile: Jsonata) {
  const expression = z
    .string()
    .trim()
    .min(1, "must be a JSONata expression")
    .transform((text, ctx) => {
      try {
        return compile(text);
      } catch (error) {
        // jsonata throws plain objects with `position` and `message`, not Error instances.
        const { position, message } = error as { position?: number; message?: string };
        ctx.issues.push({
          code: "custom",
          input: text,
          message: `JSONata syntax error${position === undefined ? "" : ` at position ${position}`}: ${message ?? String(error)}`,
        });
        return z.NEVER;
      }
    });
  return z.strictObject({
    /** JSON has no comments: this field holds the author's (where the example payload came from, and so on). */
    $comment: z.string().optional(),
    /** Skips deliveries that are not owner changes: anything but `true` is a skip. */
    filter: expression.optional(),
    /** Several changes from one delivery: each item it yields is the context of the field expressions. */
    changes: expression.optional(),
    itwinId: expression.optional(),
    email: expression,
    action: expression,
    id: expression.optional(),
    occurredAt: expression.optional(),
    reason: expression.optional(),
    requestedBy: expression.optional(),
    signature: signatureSchema,
  });
}

interface SourceSignatureHeaders {
  get(name: string): string | null;
}

/** A Standard Webhooks delivery names itself (`webhook-id`); the other schemes give no id. */
export type SourceSignatureCheck = { ok: true; webhookId?: string } | { ok: false; reason: string };
export type SourceVerifier = (body: Uint8Array, headers: SourceSignatureHeaders) => SourceSignatureCheck;

/** One source, ready to use: its compiled expressions and its signature check with the secrets resolved. */
export interface SourceMapping {
  name: string;
  filter?: Expression;
  changes?: Expression;
  fields: { [F in ChangeField]?: Expression } & { email: Expression; action: Expression };
  verify: SourceVerifier;
}

export type SourceRegistry = ReadonlyMap<string, SourceMapping>;
