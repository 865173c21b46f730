import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

/**
 * Runner command line and local.settings.json handling (pure where possible, for tests).
 */

export const RUNNER_USAGE = `Usage: npm run runner -- [options]
       tsx dev/runner/main.ts [options]

Serves the app's real @azure/functions registrations locally (HTTP + storage queue triggers).

Options:
  --entry <file>            module that registers the functions (default: src/index.ts;
                            a built dist/index.js works too)
  --port <n>                HTTP port (default: $PORT, else local.settings.json Host.LocalHttpPort, else 7071)
  --host-json <path>        host.json to use (default: $RUNNER_HOST_JSON, else ./host.json)
  --local-settings <path>   local.settings.json whose Values fill unset environment variables
                            (default: ./local.settings.json if it exists)
  --no-local-settings       do not read local.settings.json
  -h, --help                show this help

Environment always wins over local.settings.json. Storage: AzureWebJobsStorage (connection string,
e.g. UseDevelopmentStorage=true for azurite) or AzureWebJobsStorage__queueServiceUri (identity).
Readiness: GET /admin/host/status -> {"state":"Running"}.`;

export interface RunnerOptions {
  entry: string;
  /** Undefined: decide after local settings are read (PORT, Host.LocalHttpPort, 7071). */
  port: number | undefined;
  hostJson: string;
  /** Undefined: don't read any. `explicit` means a missing file is an error. */
  localSettings: { path: string; explicit: boolean } | undefined;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export function parsePort(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${what}: "${value}" is not a port number (0-65535)`);
  }
  return n;
}

export function parseRunnerArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): RunnerOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        entry: { type: "string" },
        port: { type: "string" },
        "host-json": { type: "string" },
        "local-settings": { type: "string" },
        "no-local-settings": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  const portText = (values.port as string | undefined) ?? env.PORT;
  const port =
    portText === undefined || portText === ""
      ? undefined
      : parsePort(portText, values.port ? "--port" : "PORT");
  const explicitSettings = values["local-settings"] as string | undefined;
  if (explicitSettings && values["no-local-settings"]) {
    throw new UsageError("--local-settings and --no-local-settings exclude each other");
  }
  return {
    entry: (values.entry as string | undefined) ?? "src/index.ts",
    port,
    hostJson: (values["host-json"] as string | undefined) ?? env.RUNNER_HOST_JSON ?? "host.json",
    localSettings: values["no-local-settings"]
      ? undefined
      : { path: explicitSettings ?? "local.settings.json", explicit: explicitSettings !== undefined },
  };
}

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
  const values: Record<string, string> = {};
  const raw = root.Values ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${path}: Values must be an object`);
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    values[key] =
      typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  const host = root.Host as Record<string, unknown> | undefined;
  const portRaw = host?.LocalHttpPort;
  const localHttpPort =
    portRaw === undefined ? undefined : parsePort(String(portRaw), `${path} Host.LocalHttpPort`);
  return { values, localHttpPort };
}

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
