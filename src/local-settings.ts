import { readFile } from "node:fs/promises";

/**
 * local.settings.json, the Functions file that supplies app settings outside Azure (`func start`, the
 * local runner, the ops tools run from a developer's machine): its `Values` fill the environment
 * variables that are unset, before src/config.ts parses them. It lives in src/ because it is part of
 * how the app's settings arrive, and the ops tools, which run against production storage, must not
 * depend on dev/. The deployed app never reads it (src/index.ts does not import this module).
 */

export interface LocalSettings {
  values: Record<string, string>;
  localHttpPort: number | undefined;
}

/** Parses local.settings.json content (`IsEncrypted` files are refused: they can't be read locally). */
export function parseLocalSettings(json: unknown, path = "local.settings.json"): LocalSettings {
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new Error(`${path}: expected a JSON object`);
  }
  const root = json as Record<string, unknown>;
  if (root.IsEncrypted === true) {
    throw new Error(
      `${path}: IsEncrypted is true; decrypt it (func settings decrypt) or set IsEncrypted to false`,
    );
  }
  const raw = root.Values ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${path}: Values must be an object`);
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    values[key] =
      typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  const port = (root.Host as Record<string, unknown> | undefined)?.LocalHttpPort;
  if (port === undefined) return { values, localHttpPort: undefined };
  const localHttpPort = parsePort(String(port), `${path} Host.LocalHttpPort`);
  if (typeof localHttpPort !== "number") throw new Error(localHttpPort.error);
  return { values, localHttpPort };
}

/** Reads and parses `path`; a missing file is `undefined` unless `required`. */
export async function readLocalSettings(path: string, required: boolean): Promise<LocalSettings | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !required) return undefined;
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseLocalSettings(json, path);
}

/** Fills env vars that are unset (undefined) from local settings; returns the names it filled. */
export function applyLocalSettings(
  env: Record<string, string | undefined>,
  values: Record<string, string>,
): string[] {
  const filled: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (env[key] === undefined) {
      env[key] = value;
      filled.push(key);
    }
  }
  return filled;
}

/** A `--port` value: a whole number from `min` (0 = any free port, where the tool allows it) to 65535. */
export function parsePort(text: string, what: string, min = 0): number | { error: string } {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < min || n > 65535) {
    return { error: `${what}: "${text}" is not a port number (${min}-65535)` };
  }
  return n;
}
