import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ConfigError, type Settings, settings } from "../config.ts";
import { tryParseJson } from "../json.ts";
import { rememberSecret, secretSettings } from "../observability/redact.ts";
import type { SourceRegistry } from "./mapping.ts";
import { buildRegistry, entriesFromSetting, type MappingEntry } from "./registry.ts";

/**
 * Loads the source mappings once per process (I/O shell over ./registry.ts): SOURCE_MAPPINGS and the
 * `<name>.json` files of SOURCE_MAPPINGS_DIR. src/index.ts awaits it at start-up, so a bad mapping stops
 * the app with a ConfigError instead of failing its first delivery.
 *
 * JSONata is imported only when there is a mapping to compile: most deployments have none, and a cold
 * start should not load a compiler it never uses (README, Performance: `bundleBytes`, `importMs`).
 */

let loading: Promise<SourceRegistry> | undefined;

/** The process's sources, loaded on first use from the settings and the environment. */
export function sourceMappings(): Promise<SourceRegistry> {
  loading ??= loadSourceMappings(settings(), process.env);
  return loading;
}

export async function loadSourceMappings(
  config: Pick<Settings, "SOURCE_MAPPINGS" | "SOURCE_MAPPINGS_DIR">,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SourceRegistry> {
  const entries = [
    ...entriesFromSetting(config.SOURCE_MAPPINGS),
    ...(config.SOURCE_MAPPINGS_DIR === undefined ? [] : entriesFromDir(config.SOURCE_MAPPINGS_DIR)),
  ];
  if (entries.length === 0) return new Map();
  const { default: jsonata } = await import("jsonata");
  const built = buildRegistry(entries, env, jsonata);
  // Log lines and status documents are scrubbed of these wherever they turn up (redact.ts).
  for (const secret of secretSettings(built.secretSettings)) rememberSecret(secret);
  return built.registry;
}

/** Every `*.json` file of the folder, the source named after the file. */
function entriesFromDir(dir: string): MappingEntry[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith(".json"));
  } catch (error) {
    throw new ConfigError([
      `SOURCE_MAPPINGS_DIR is invalid: cannot read ${dir}: ${(error as Error).message}`,
    ]);
  }
  return files.sort().map((file) => {
    const json = tryParseJson(readFileSync(join(dir, file), "utf8"));
    if (!json.ok)
      throw new ConfigError([`SOURCE_MAPPINGS_DIR is invalid: ${file} is not JSON: ${json.error}`]);
    return { setting: "SOURCE_MAPPINGS_DIR", name: basename(file, ".json"), file, document: json.value };
  });
}
