import * as z from "zod";
import { normaliseDomain, normaliseEmail } from "./changes/email.ts";
import { parseBearerTokens } from "./http/bearer-tokens.ts";
import { bundleQueueName, isValidQueueName, poisonQueueName } from "./storage/queue-rules.ts";

/**
 * Every setting the app reads, parsed once at start-up. A wrong or missing value stops the process
 * with a message naming the setting, instead of failing on the first request that needs it.
 *
 * Names are contracts (design §8): the Bicep app settings and README's configuration table list the
 * same names, and tests keep them in step (test/unit/infra/consistency.test.ts checks the Bicep settings
 * and defaults, test/unit/docs/ the README table). local.settings.example.json is kept by hand.
 */

/** An empty value means "not set": infra passes optional parameters through as empty strings. */
const blankAsUnset = (value: unknown) => (value === "" ? undefined : value);
const positiveInt = (fallback: number) =>
  z.preprocess(blankAsUnset, z.coerce.number().int().positive().default(fallback));
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();
const splitList = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
/** Comma-separated names compared case-insensitively (domains, emails, ids). */
const commaList = z
  .string()
  .optional()
  .transform((value) => splitList(value).map((item) => item.toLowerCase()));
/**
 * Mail domains and addresses in the one spelling the intake gives them (src/changes/email.ts), so that
 * `bücher.example` here matches `bob@xn--bcher-kva.example`; an entry that could never match stops start-up.
 */
const spelledList = (spell: (item: string) => string | undefined, what: string) =>
  commaList.transform((items, ctx) =>
    items.map((item) => {
      const spelled = spell(item);
      if (spelled === undefined)
        ctx.issues.push({ code: "custom", message: `${item} is not ${what}`, input: item });
      return spelled ?? item;
    }),
  );
const flag = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((value) => value === "true" || value === "1");

/** Queue names: 3–63 chars, lower-case letters, digits and single hyphens (Azure's rule). */
const queueName = z.string().refine(isValidQueueName, "must be a valid Azure queue name (3-63 of a-z 0-9 -)");
/** Table names: 3–63 alphanumeric chars, starting with a letter. */
const tableName = z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, "must be a valid Azure table name");

export const settingsSchema = z.object({
  AzureWebJobsStorage: optionalText,
  AzureWebJobsStorage__queueServiceUri: z.url().optional(),
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__credential: z.enum(["managedidentity"]).optional(),
  AzureWebJobsStorage__clientId: optionalText,

  OWNER_CHANGE_REQUESTS_QUEUE: queueName.default("owner-change-requests"),
  OWNER_CHANGE_JOBS_QUEUE: queueName
    .refine(
      (name) => isValidQueueName(poisonQueueName(bundleQueueName(name))),
      "must leave room for its bundles queue and that queue's poison queue (at most 48 characters)",
    )
    .default("owner-change-jobs"),
  OWNER_CHANGE_STATUS_TABLE: tableName.default("OwnerChanges"),

  ITWIN_API_BASE_URL: z.url({ protocol: /^https?$/ }),
  ITWIN_AUTHORITY: z.url({ protocol: /^https?$/ }),
  ITWIN_CLIENT_ID: z.string().trim().min(1),
  ITWIN_CLIENT_SECRET: z.string().min(1),
  ITWIN_SCOPE: z.string().trim().min(1).default("itwin-platform"),

  /** Timeout for every single call to the owners API and the token endpoint. */
  ITWIN_HTTP_TIMEOUT_MS: positiveInt(10_000),
  /** Longest wait slept inside one invocation; a longer one re-enqueues the job with a visibility delay. */
  RETRY_MAX_INLINE_WAIT_MS: positiveInt(5_000),
  /**
   * Counted attempts across re-enqueues before a change ends as failed: a reschedule after a refused or
   * unanswered call counts, waiting for our rate share or another change's turn does not.
   */
  RETRY_MAX_ATTEMPTS: positiveInt(8),
  /** How long a listing of an iTwin's owners may be reused to find a member to remove. */
  OWNER_LIST_CACHE_TTL_MS: positiveInt(60_000),
  /** Must equal host.json extensions.queues.maxDequeueCount: the last delivery records `failed` before poison. */
  QUEUE_MAX_DEQUEUE_COUNT: positiveInt(5),

  /**
   * When the crash-recovery timer runs (six-field NCRONTAB, UTC). With RECOVERY_AFTER_SECONDS it sets
   * the bound on how long a dead instance's work waits (docs/reliability.md).
   */
  RECOVERY_SCHEDULE: z
    .string()
    .trim()
    .regex(
      /^\S+(\s+\S+){5}$/,
      'must be a six-field NCRONTAB expression: {second} {minute} {hour} {day} {month} {day-of-week}, e.g. "*/30 * * * * *"',
    )
    .default("*/30 * * * * *"),
  /** A change is re-driven once its worker has been silent, or its job missing, this long. */
  RECOVERY_AFTER_SECONDS: positiveInt(60),

  /** Turns on Application Insights (traces, logs, counters); unset locally. */
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalText,
  /** `ClientId=<managed identity client id>;Authorization=AAD` for Entra-authenticated ingestion. */
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: optionalText,

  /** Comma-separated `whsec_…` secrets; when set, POST /api/owner-changes needs a valid signature. */
  WEBHOOK_SECRETS: z
    .string()
    .optional()
    .transform(splitList)
    .pipe(
      z.array(z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, "each secret must look like whsec_<base64>")),
    ),
  /**
   * `name=token` entries, comma-separated (two with one name to rotate): the bearer tokens identity
   * providers present to /api/scim/v2 (docs/scim.md). Not set: every SCIM route answers 404.
   */
  SCIM_BEARER_TOKENS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const parsed = parseBearerTokens(text);
      if (parsed.ok) return parsed.tokens;
      for (const message of parsed.problems) ctx.issues.push({ code: "custom", message, input: "" });
      return z.NEVER;
    }),

  /**
   * Mapped webhooks (docs/sources.md): a JSON object of source name → mapping, and/or a folder of
   * `<source>.json` mappings. Validated, compiled and given their SOURCE_SECRET_* settings at start-up
   * by src/sources/load.ts, which loads the expression language only when a mapping exists.
   */
  SOURCE_MAPPINGS: optionalText,
  SOURCE_MAPPINGS_DIR: optionalText,

  POLICY_ALLOWED_EMAIL_DOMAINS: spelledList(normaliseDomain, "a domain name"),
  POLICY_ALLOWED_ITWIN_IDS: commaList,
  POLICY_PROTECTED_OWNERS: spelledList((item) => {
    const checked = normaliseEmail(item);
    return checked.ok ? checked.email : undefined;
  }, "an email address"),
  POLICY_ALLOW_REMOVING_LAST_OWNER: flag,
  /** Off: a removal of the service client's own owner address is rejected (it would lock the service out). */
  POLICY_ALLOW_REMOVING_SERVICE_CLIENT: flag,
  /** More removals than this from one iTwin within the window are held for approval; 0 = never. */
  // At most 500: the ids counted in a window are kept in one table property (64 KiB).
  POLICY_MASS_REMOVAL_THRESHOLD: z.preprocess(
    blankAsUnset,
    z.coerce.number().int().min(0).max(500).default(0),
  ),
  POLICY_MASS_REMOVAL_WINDOW_MINUTES: positiveInt(60),
  POLICY_DRY_RUN: flag,
});

export type Settings = z.output<typeof settingsSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The settings that say where the queues and the status table are: all an operations tool needs. */
export const storageSettingsSchema = settingsSchema.pick({
  AzureWebJobsStorage: true,
  AzureWebJobsStorage__queueServiceUri: true,
  AzureWebJobsStorage__tableServiceUri: true,
  AzureWebJobsStorage__credential: true,
  AzureWebJobsStorage__clientId: true,
  OWNER_CHANGE_REQUESTS_QUEUE: true,
  OWNER_CHANGE_JOBS_QUEUE: true,
  OWNER_CHANGE_STATUS_TABLE: true,
});
export type StorageSettings = z.output<typeof storageSettingsSchema>;

/** Parses the environment; throws ConfigError naming every wrong setting. */
export function parseSettings(env: Record<string, string | undefined>): Settings {
  return checkStorage(parseWith(settingsSchema, env));
}

/** Parses only the storage settings (for tools that do not call the iTwin API). */
export function parseStorageSettings(env: Record<string, string | undefined>): StorageSettings {
  return checkStorage(parseWith(storageSettingsSchema, env));
}

function parseWith<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  // App Service hands an unresolvable Key Vault reference to the app as its literal text.
  const unresolved = Object.keys(schema.shape)
    .filter((name) => env[name]?.trim().startsWith("@Microsoft.KeyVault("))
    .map(
      (name) =>
        `${name} is an unresolved Key Vault reference: check that the app's identity has Key Vault Secrets User ` +
        "and is set as keyVaultReferenceIdentity, and that the secret exists",
    );
  if (unresolved.length > 0) throw new ConfigError(unresolved);
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join(".");
        const given = env[name] === undefined ? "is not set" : "is invalid";
        return `${name} ${given}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

/** Storage is a connection string, or identity-based with both service URIs. */
function checkStorage<T extends StorageSettings>(settings: T): T {
  const hasIdentityStorage =
    settings.AzureWebJobsStorage__queueServiceUri !== undefined ||
    settings.AzureWebJobsStorage__tableServiceUri !== undefined;
  if (settings.AzureWebJobsStorage === undefined && !hasIdentityStorage) {
    throw new ConfigError([
      "AzureWebJobsStorage is not set: give a connection string (UseDevelopmentStorage=true locally) " +
        "or AzureWebJobsStorage__queueServiceUri and AzureWebJobsStorage__tableServiceUri for identity-based access",
    ]);
  }
  if (settings.AzureWebJobsStorage === undefined) {
    const missing = (
      ["AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri"] as const
    )
      .filter((name) => settings[name] === undefined)
      .map((name) => `${name} is not set: identity-based storage needs both the queue and the table URI`);
    if (missing.length > 0) throw new ConfigError(missing);
  }
  return settings;
}

let cached: Settings | undefined;

/** The process-wide settings, parsed on first use from process.env. */
export function settings(): Settings {
  cached ??= parseSettings(process.env);
  return cached;
}
