import { parsePort } from "../../src/local-settings.ts";
import { parseFlags, UsageError } from "../stack/cli.ts";

/**
 * Pure core: the runner's command line. local.settings.json is read by src/local-settings.ts, which
 * the ops tools share.
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

Environment always wins over local.settings.json. AzureWebJobs.<function>.Disabled=true leaves that
function out, as the Functions host does. Storage: AzureWebJobsStorage (connection string,
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

export function parseRunnerArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): RunnerOptions | "help" {
  const values: Record<string, string | boolean | undefined> = parseFlags(argv, {
    entry: { type: "string" },
    port: { type: "string" },
    "host-json": { type: "string" },
    "local-settings": { type: "string" },
    "no-local-settings": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const portText = (values.port as string | undefined) ?? env.PORT;
  const port =
    portText === undefined || portText === ""
      ? undefined
      : parsePort(portText, values.port ? "--port" : "PORT");
  if (typeof port === "object") throw new UsageError(port.error);
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

/**
 * The host's `AzureWebJobs.<name>.Disabled` app setting ("true" or "1", any case): a disabled function
 * is not run. Azure splits HTTP and queue triggers into separate scale groups, so a runner serving
 * only the HTTP side is how a production HTTP instance looks (the bench measures the intake so).
 */
export function isFunctionDisabled(name: string, env: Record<string, string | undefined>): boolean {
  const wanted = `azurewebjobs.${name}.disabled`.toLowerCase();
  const entry = Object.entries(env).find(([key]) => key.toLowerCase() === wanted);
  const value = entry?.[1]?.trim().toLowerCase();
  return value === "true" || value === "1";
}
