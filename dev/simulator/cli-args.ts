/** Parses the simulator CLI's flags. Pure, so the parsing is unit-tested without starting anything. */
import { parsePort } from "../../src/local-settings.ts";
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from "../stack/credentials.ts";
import { serviceClientEmail } from "./clients.ts";
import { ADMIN_ENDPOINTS } from "./routes/admin.ts";
import { SEEDED_ITWIN_NAMES } from "./seed.ts";

export interface CliOptions {
  port: number;
  rateLimit: { limit: number; windowMs: number };
  orgDomain: string;
  tokenTtlSeconds: number;
  maxPageSize: number;
  seed: boolean;
  quiet: boolean;
  help: boolean;
}

export const CLI_DEFAULTS: CliOptions = {
  port: 7080,
  rateLimit: { limit: 50, windowMs: 1000 },
  orgDomain: "corp.example",
  tokenTtlSeconds: 3600,
  maxPageSize: 100,
  seed: true,
  quiet: false,
  help: false,
};

export class CliError extends Error {
  override name = "CliError";
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "50/1s", "500/1m", "10/250ms", "50/s" → { limit, windowMs }. */
export function parseRateLimit(text: string): { limit: number; windowMs: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d*)\s*(ms|s|m|h)\s*$/i.exec(text);
  if (!match?.[1] || !match[3]) {
    throw new CliError(`--rate-limit wants <requests>/<window>, e.g. 50/1s or 500/1m; got '${text}'`);
  }
  const limit = Number(match[1]);
  const windowMs = Number(match[2] || "1") * (UNIT_MS[match[3].toLowerCase()] ?? 1000);
  if (limit < 1 || windowMs < 1)
    throw new CliError(`--rate-limit needs a positive limit and window; got '${text}'`);
  return { limit, windowMs };
}

function positiveInt(flag: string, text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text))
    throw new CliError(`${flag} wants a whole number; got '${text ?? ""}'`);
  const value = Number(text);
  if (value === 0) throw new CliError(`${flag} must be greater than 0`);
  return value;
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { ...CLI_DEFAULTS, rateLimit: { ...CLI_DEFAULTS.rateLimit } };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[index + 1];
      if (next === undefined || next.startsWith("--")) throw new CliError(`${flag} needs a value`);
      index += 1;
      return next;
    };
    switch (flag) {
      case "--help":
      case "-h":
        options.help = true;
        break;
      case "--port": {
        const port = parsePort(value(), "--port");
        if (typeof port !== "number") throw new CliError(port.error);
        options.port = port;
        break;
      }
      case "--rate-limit":
        options.rateLimit = parseRateLimit(value());
        break;
      case "--org-domain": {
        const domain = value().trim().toLowerCase();
        if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain))
          throw new CliError(`--org-domain wants a domain; got '${domain}'`);
        options.orgDomain = domain;
        break;
      }
      case "--token-ttl":
        options.tokenTtlSeconds = positiveInt(flag, value());
        break;
      case "--max-page-size":
        options.maxPageSize = positiveInt(flag, value());
        break;
      case "--no-seed":
        options.seed = false;
        break;
      case "--quiet":
        options.quiet = true;
        break;
      default:
        throw new CliError(`unknown argument '${arg}' (try --help)`);
    }
  }
  return options;
}

export function helpText(): string {
  const seeded = Object.entries(SEEDED_ITWIN_NAMES)
    .map(([id, name]) => `  ${id}  ${name}`)
    .join("\n");
  const admin = ADMIN_ENDPOINTS.map(([route, description]) => `  ${route.padEnd(62)} ${description}`).join(
    "\n",
  );
  return `iTwin API simulator: a local stand-in for Bentley IMS (client-credentials tokens) and the
Access Control v2 owners API, so the app can run without Bentley credentials.

Usage: npm run simulator -- [options]

Options:
  --port <n>            port on 127.0.0.1 (default ${CLI_DEFAULTS.port}; 0 = any free port)
  --rate-limit <n/win>  per-client fixed window, e.g. 50/1s (default), 500/1m, 10/250ms
  --org-domain <domain> users of this domain are added at once, others invited (default ${CLI_DEFAULTS.orgDomain})
  --token-ttl <s>       access token lifetime in seconds (default ${CLI_DEFAULTS.tokenTtlSeconds})
  --max-page-size <n>   default and largest $top for GET owners (default ${CLI_DEFAULTS.maxPageSize})
  --no-seed             start without the demo iTwins
  --quiet               no per-request log lines
  -h, --help            this text

Prints "simulator ready <url>" when listening, then the seeded iTwin ids. Ctrl-C / SIGTERM stops it.

Point the app at it:
  ITWIN_API_BASE_URL=<url>  ITWIN_AUTHORITY=<url>
  ITWIN_CLIENT_ID=${DEV_CLIENT_ID}  ITWIN_CLIENT_SECRET=${DEV_CLIENT_SECRET}  ITWIN_SCOPE=itwin-platform

Bentley-shaped endpoints:
  GET    /.well-known/openid-configuration
  POST   /connect/token                      grant_type=client_credentials, scope=itwin-platform,
                                             client_id/client_secret in the form or HTTP Basic
  GET    /accesscontrol/itwins/{id}/members/owners[?$top=&$skip=]   { members, _links }
  POST   /accesscontrol/itwins/{id}/members/owners {"email"}        201 { member, invitation } | 409
  DELETE /accesscontrol/itwins/{id}/members/owners/{memberId}       204 | 404
  (Bearer token required; x-rate-limit-* headers on every answer; 429 + Retry-After when exceeded)

Seeded iTwins (owners include ${serviceClientEmail(DEV_CLIENT_ID)}):
${seeded}

Admin endpoints (no auth, not rate-limited, not counted in stats):
${admin}

Fault config for PUT /__admin/faults (rules are tried in order on owners-API requests; a matching rule
with uses left is consumed):
  { "rules": [ { "method"?: "GET"|"POST"|"DELETE", "pathIncludes"?: "...", "times"?: 1,
                 "respond": { "status": 503, "headers"?: {...}, "body"?: "raw text" | "json"?: {...} }
                   or "respond": { "reset": true }        (destroy the connection, no answer)
                   or "respond": { "stallMs": 5000 }      (hold, then handle normally)
                   or "respond": { "loseReply": true } } ], (handle, apply, then cut the connection)
    "errorRate"?: 0.1, "seed"?: 42,   (random 503s, repeatable with a seed)
    "latencyMs"?: 200 }               (added to every owners-API request)
  Example: curl -X PUT <url>/__admin/faults -H 'content-type: application/json' \\
             -d '{"rules":[{"method":"POST","respond":{"status":503}}]}'
`;
}
