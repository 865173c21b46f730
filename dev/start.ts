/**
 * `npm start`: the local stack as child processes with prefixed logs — azurite, the iTwin API
 * simulator (unless ITWIN_API_BASE_URL is set) and the local Functions runner — and a clean stop on
 * Ctrl-C (SIGTERM to each child's process group, SIGKILL after 5 s; nothing left behind).
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Colour } from "./log-prefix.ts";
import { colourEnabled, formatPrefix, paint, pipeWithPrefix } from "./log-prefix.ts";

const USAGE = `Usage: npm start [-- options]

Starts azurite (127.0.0.1:10000-10002, data in .azurite/), the iTwin API simulator (unless
ITWIN_API_BASE_URL is set in the environment) and the local Functions runner, with prefixed logs.
Ctrl-C stops all of them.

Options:
  --port <n>             runner HTTP port (default 7071)
  --simulator-port <n>   simulator port (default 7080)
  --entry <file>         module that registers the functions (default src/index.ts)
  -h, --help             show this help

With ITWIN_API_BASE_URL set, also set ITWIN_AUTHORITY, ITWIN_CLIENT_ID and ITWIN_CLIENT_SECRET; they are
passed to the runner as they are.`;

const AZURITE_PORTS = { blob: 10000, queue: 10001, table: 10002 } as const;
const DEV_CLIENT_ID = "itwin-owner-automation-dev";
const DEV_CLIENT_SECRET = "dev-secret";
const STOP_GRACE_MS = 5000;

const root = process.cwd();
const requireHere = createRequire(import.meta.url);
const colour = colourEnabled(process.stdout);
const WIDTH = "[simulator]".length;

function say(message: string, tone: Colour = "yellow") {
  process.stdout.write(`${formatPrefix("start", tone, colour, WIDTH)}${message}\n`);
}

function failAndExit(message: string): never {
  say(paint(message, "red", colour), "red");
  process.exit(1);
}

function parsePort(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535)
    failAndExit(`${flag}: "${value}" is not a port`);
  return Number(value);
}

let args: { port: number; simulatorPort: number; entry: string };
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: "string" },
      "simulator-port": { type: "string" },
      entry: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  args = {
    port: parsePort(values.port, 7071, "--port"),
    simulatorPort: parsePort(values["simulator-port"], 7080, "--simulator-port"),
    entry: values.entry ?? "src/index.ts",
  };
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------
// child processes

interface Managed {
  name: string;
  child: ChildProcess;
  /** Recent output lines (for error messages). */
  tail: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done: boolean;
  onLine(listener: (line: string) => void): void;
}

const managed: Managed[] = [];
let shuttingDown = false;
/** Until everything is ready, a dying child is reported by the readiness wait (with its output). */
let stackReady = false;

function tsxLoader(): string {
  const pkg = requireHere.resolve("tsx/package.json");
  return pathToFileURL(join(dirname(pkg), "dist", "loader.mjs")).href;
}

function startChild(name: string, tone: Colour, argv: string[], env: NodeJS.ProcessEnv): Managed {
  // The project's own node runs each child directly (no npx, no shell, no wrapper process), in its
  // own process group so a stop reaches everything it may have started.
  const child = spawn(process.execPath, argv, {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const prefix = formatPrefix(name, tone, colour, WIDTH);
  const tail: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const handle = (stream: "out" | "err") => (line: string) => {
    (stream === "out" ? process.stdout : process.stderr).write(`${line}\n`);
    const text = line.slice(prefix.length);
    tail.push(text);
    if (tail.length > 30) tail.shift();
    for (const l of listeners) l(text);
  };
  if (child.stdout) pipeWithPrefix(child.stdout, prefix, handle("out"));
  if (child.stderr) pipeWithPrefix(child.stderr, prefix, handle("err"));
  const entry: Managed = {
    name,
    child,
    tail,
    done: false,
    exited: new Promise((resolveExit) => {
      child.once("exit", (code, signal) => {
        entry.done = true;
        resolveExit({ code, signal });
      });
      child.once("error", (error) => {
        say(`${name} could not be started: ${error.message}`, "red");
        entry.done = true;
        resolveExit({ code: null, signal: null });
      });
    }),
    onLine: (l) => listeners.add(l),
  };
  managed.push(entry);
  void entry.exited.then(({ code, signal }) => {
    if (!shuttingDown && stackReady) {
      say(
        paint(
          `${name} exited unexpectedly (code ${code}, signal ${signal}); stopping everything`,
          "red",
          colour,
        ),
        "red",
      );
      void shutdown(1);
    }
  });
  return entry;
}

function signalGroup(m: Managed, signal: NodeJS.Signals) {
  if (m.done || m.child.pid === undefined) return;
  try {
    process.kill(-m.child.pid, signal);
  } catch {
    try {
      m.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

async function stopChild(m: Managed): Promise<void> {
  if (m.done) return;
  signalGroup(m, "SIGTERM");
  const timer = setTimeout(() => {
    say(`${m.name} did not stop within ${STOP_GRACE_MS / 1000}s; killing it`);
    signalGroup(m, "SIGKILL");
  }, STOP_GRACE_MS);
  await m.exited;
  clearTimeout(timer);
  // Anything the child left in its group goes too.
  if (m.child.pid !== undefined) {
    try {
      process.kill(-m.child.pid, "SIGKILL");
    } catch {
      // the group is empty
    }
  }
}

let shutdownPromise: Promise<never> | undefined;
function shutdown(code: number): Promise<never> {
  shutdownPromise ??= (async () => {
    shuttingDown = true;
    // Runner first (it may still be finishing invocations that need storage), then the rest.
    const order = ["runner", "simulator", "azurite"];
    for (const name of order) {
      const m = managed.find((x) => x.name === name);
      if (m && !m.done) {
        say(`stopping ${name}…`);
        await stopChild(m);
      }
    }
    for (const m of managed) await stopChild(m);
    say(code === 0 ? "all stopped" : "stopped");
    process.exit(code);
  })();
  return shutdownPromise;
}

let interrupts = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    interrupts++;
    if (interrupts > 1) {
      say("stopping now (second signal)", "red");
      for (const m of managed) signalGroup(m, "SIGKILL");
      process.exit(130);
    }
    process.stdout.write("\n");
    void shutdown(0);
  });
}
// Last resort, e.g. on an uncaught error: never leave children behind.
process.on("exit", () => {
  for (const m of managed) signalGroup(m, "SIGKILL");
});
process.on("uncaughtException", (error) => {
  say(`unexpected error: ${error.stack ?? error.message}`, "red");
  void shutdown(1);
});

// ---------------------------------------------------------------------------------------------------
// readiness helpers

function canConnect(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolveConnect(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.connect(port, host);
  });
}

/** Polls `check` every 100 ms until it yields a value; fails if the process dies or time runs out. */
async function waitUntil<T>(
  m: Managed,
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    // Any child dying while we wait is fatal (e.g. azurite going away while the runner starts).
    const dead = m.done ? m : managed.find((x) => x.done);
    if (dead) {
      const { code } = await dead.exited;
      const before = dead === m ? what : `${m.name}'s ${what}`;
      throw new Error(
        `${dead.name} exited (code ${code}) before ${before}. Last output:\n  ${dead.tail.slice(-15).join("\n  ")}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${m.name}: no ${what} within ${timeoutMs / 1000}s. Last output:\n  ${m.tail.slice(-15).join("\n  ")}`,
      );
    }
    await delay(100);
  }
}

function waitForLine(m: Managed, pattern: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> {
  let found: RegExpExecArray | undefined;
  for (const line of m.tail) found ??= pattern.exec(line) ?? undefined;
  m.onLine((line) => {
    found ??= pattern.exec(line) ?? undefined;
  });
  return waitUntil(m, what, timeoutMs, () => found);
}

// ---------------------------------------------------------------------------------------------------
// the stack

async function startAzurite(): Promise<string> {
  const ports = Object.values(AZURITE_PORTS);
  const open = await Promise.all(ports.map((p) => canConnect(p)));
  if (open.every(Boolean)) {
    const server = await fetch(`http://127.0.0.1:${AZURITE_PORTS.queue}/devstoreaccount1?comp=list`, {
      signal: AbortSignal.timeout(3000),
    })
      .then((r) => r.headers.get("server") ?? "")
      .catch(() => "");
    if (!/azurite/i.test(server)) {
      throw new Error(
        `ports ${ports.join(", ")} are in use, but not by azurite (server: ${server || "unknown"}); free them and retry`,
      );
    }
    say(`azurite is already running on 127.0.0.1:${ports.join("/")} (${server}); reusing it`);
    return "reused";
  }
  if (open.some(Boolean)) {
    const busy = ports.filter((_, i) => open[i]);
    throw new Error(
      `port(s) ${busy.join(", ")} already in use (azurite needs ${ports.join(", ")}); free them and retry`,
    );
  }
  const location = resolve(root, ".azurite");
  mkdirSync(location, { recursive: true });
  const cli = join(dirname(requireHere.resolve("azurite/package.json")), "dist", "src", "azurite.js");
  const m = startChild(
    "azurite",
    "cyan",
    [
      cli,
      "--silent",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--location",
      location,
      "--blobHost",
      "127.0.0.1",
      "--queueHost",
      "127.0.0.1",
      "--tableHost",
      "127.0.0.1",
    ],
    process.env,
  );
  await waitUntil(m, "listening ports", 30_000, async () =>
    (await Promise.all(ports.map((p) => canConnect(p)))).every(Boolean) ? true : undefined,
  );
  return "started";
}

interface SeededItwin {
  id: string;
  name?: string;
}

async function startSimulator(): Promise<{ url: string; itwins: SeededItwin[] }> {
  const m = startChild(
    "simulator",
    "magenta",
    ["--import", tsxLoader(), "dev/simulator/main.ts", "--port", String(args.simulatorPort)],
    process.env,
  );
  const match = await waitForLine(m, /simulator ready (\S+)/, '"simulator ready"', 30_000);
  const url = (match[1] as string).replace(/\/$/, "");
  let itwins: SeededItwin[] = [];
  try {
    const response = await fetch(`${url}/__admin/itwins`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as unknown;
    const list = Array.isArray(body) ? body : ((body as { itwins?: unknown[] }).itwins ?? []);
    itwins = list.filter((x): x is SeededItwin => typeof (x as SeededItwin)?.id === "string");
  } catch (error) {
    say(`could not list the seeded iTwins (${(error as Error).message})`);
  }
  return { url, itwins };
}

async function startRunner(itwinEnv: Record<string, string | undefined>): Promise<string> {
  const m = startChild(
    "runner",
    "green",
    ["--import", tsxLoader(), "dev/runner/main.ts", "--port", String(args.port), "--entry", args.entry],
    {
      ...process.env,
      ...itwinEnv,
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
      PORT: String(args.port),
    },
  );
  const match = await waitForLine(m, /runner ready (\S+)/, '"runner ready"', 60_000);
  const url = match[1] as string;
  await waitUntil(m, "readiness", 10_000, async () => {
    const ok = await fetch(`${url}/admin/host/status`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
    return ok ? true : undefined;
  });
  return url;
}

async function main() {
  say("starting azurite…");
  const azurite = await startAzurite();

  let itwins: SeededItwin[] = [];
  let simulatorUrl: string | undefined;
  let itwinEnv: Record<string, string | undefined>;
  if (process.env.ITWIN_API_BASE_URL) {
    say(`ITWIN_API_BASE_URL is set (${process.env.ITWIN_API_BASE_URL}): not starting the simulator`);
    itwinEnv = {};
  } else {
    say("starting the iTwin API simulator…");
    const simulator = await startSimulator();
    simulatorUrl = simulator.url;
    itwins = simulator.itwins;
    itwinEnv = {
      ITWIN_API_BASE_URL: simulator.url,
      ITWIN_AUTHORITY: simulator.url,
      ITWIN_CLIENT_ID: DEV_CLIENT_ID,
      ITWIN_CLIENT_SECRET: DEV_CLIENT_SECRET,
    };
  }

  say("starting the Functions runner…");
  const runnerUrl = await startRunner(itwinEnv);

  const itwinId = itwins[0]?.id ?? "<itwin id>";
  const lines = [
    paint("ready", "green", colour),
    `  azurite    127.0.0.1:${AZURITE_PORTS.blob}-${AZURITE_PORTS.table}${azurite === "reused" ? " (already running)" : " (data in .azurite/)"}`,
    simulatorUrl
      ? `  simulator  ${simulatorUrl}  (admin: ${simulatorUrl}/__admin)`
      : `  iTwin API  ${process.env.ITWIN_API_BASE_URL}`,
    `  runner     ${runnerUrl}`,
  ];
  if (itwins.length > 0) {
    lines.push("  seeded iTwins:");
    for (const itwin of itwins) lines.push(`    ${itwin.id}  ${itwin.name ?? ""}`);
  }
  lines.push(
    "  try:",
    `    curl -X POST ${runnerUrl}/api/owner-changes -H 'content-type: application/json' -d '{"itwinId":"${itwinId}","email":"alice@corp.example","action":"add"}'`,
    `    curl ${runnerUrl}/api/owner-changes/<id from the response>`,
    "  Ctrl-C stops everything.",
  );
  for (const line of lines) say(line);
  stackReady = true;
}

main().catch((error: unknown) => {
  say(paint(error instanceof Error ? error.message : String(error), "red", colour), "red");
  void shutdown(1);
});
