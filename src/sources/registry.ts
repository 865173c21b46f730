import { ConfigError } from "../config.ts";
import { tryParseJson } from "../json.ts";
import {
  type Jsonata,
  mappingSchema,
  SOURCE_NAME,
  SOURCE_NAME_RULE,
  type SourceMapping,
  type SourceRegistry,
} from "./mapping.ts";
import { sourceVerifier } from "./signature.ts";

/**
 * From mapping documents to the registry of sources (pure): validated with zod, every expression
 * compiled, every signature secret read from the setting its mapping names. Everything wrong is
 * collected and thrown as one ConfigError, each line naming the setting, the source and the field, so
 * that one start-up shows all of it.
 */

/** One mapping document and where it came from, for the messages. */
export interface MappingEntry {
  setting: "SOURCE_MAPPINGS" | "SOURCE_MAPPINGS_DIR";
  name: string;
  /** The file a SOURCE_MAPPINGS_DIR entry was read from. */
  file?: string;
  document: unknown;
}

/** SOURCE_MAPPINGS: a JSON object of source name → mapping document. */
export function entriesFromSetting(text: string | undefined): MappingEntry[] {
  if (text === undefined) return [];
  const json = tryParseJson(text);
  if (!json.ok) throw new ConfigError([`SOURCE_MAPPINGS is invalid: not JSON: ${json.error}`]);
  const { value } = json;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(["SOURCE_MAPPINGS is invalid: must be a JSON object of source name → mapping"]);
  }
  return Object.entries(value).map(([name, document]) => ({ setting: "SOURCE_MAPPINGS", name, document }));
}

export interface BuiltRegistry {
  registry: SourceRegistry;
  /** The settings holding signature secrets, by name, for redaction. */
  secretSettings: Record<string, string>;
}

/** Several secrets in one setting, comma-separated, allow rotation without refused deliveries. */
function splitSecrets(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((secret) => secret.trim())
    .filter((secret) => secret !== "");
}

const STANDARD_WEBHOOKS_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export function buildRegistry(
  entries: readonly MappingEntry[],
  env: Readonly<Record<string, string | undefined>>,
  compile: Jsonata,
): BuiltRegistry {
  const schema = mappingSchema(compile);
  const problems: string[] = [];
  const registry = new Map<string, SourceMapping>();
  const origins = new Map<string, string>();
  const secretSettings: Record<string, string> = {};
  for (const entry of entries) {
    const where = `source ${entry.name}${entry.file === undefined ? "" : ` (${entry.file})`}`;
    const fail = (message: string) => problems.push(`${entry.setting} is invalid: ${where}${message}`);
    if (!SOURCE_NAME.test(entry.name)) {
      fail(`: the name ${SOURCE_NAME_RULE}`);
      continue;
    }
    const other = origins.get(entry.name);
    if (other !== undefined) {
      fail(`: defined twice (also in ${other})`);
      continue;
    }
    origins.set(entry.name, entry.file ?? entry.setting);
    const parsed = schema.safeParse(entry.document);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length === 0 ? "" : `, field ${issue.path.join(".")}`;
        fail(
          `${field}: ${issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : issue.message}`,
        );
      }
      continue;
    }
    const { filter, changes, signature, $comment: _, ...fields } = parsed.data;
    let secrets: string[] = [];
    if (signature.scheme !== "none") {
      const name = signature.secretSetting;
      secrets = splitSecrets(env[name]);
      if (secrets.length === 0) {
        problems.push(`${name} is not set: ${where} checks ${signature.scheme} signatures with it`);
        continue;
      }
      // App Service passes an unresolvable Key Vault reference through as its text, which anyone who
      // knows the vault's address could then sign with: refuse to start instead.
      if (secrets.some((secret) => secret.startsWith("@Microsoft.KeyVault("))) {
        problems.push(
          `${name} is an unresolved Key Vault reference: check that the app's identity may read the vault ` +
            `and that the secret exists (${where})`,
        );
        continue;
      }
      if (
        signature.scheme === "standard-webhooks" &&
        !secrets.every((s) => STANDARD_WEBHOOKS_SECRET.test(s))
      ) {
        problems.push(`${name} is invalid: each secret must look like whsec_<base64> (${where})`);
        continue;
      }
      secretSettings[name] = env[name] as string;
    }
    registry.set(entry.name, {
      name: entry.name,
      ...(filter === undefined ? {} : { filter }),
      ...(changes === undefined ? {} : { changes }),
      fields,
      verify: sourceVerifier(signature, secrets),
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { registry, secretSettings };
}
