/**
 * `npm start`: the local stack with prefixed logs — azurite (a child process, data in .azurite/), the
 * iTwin API simulator (in this process, unless ITWIN_API_BASE_URL is set) and the local Functions runner
 * (a child process) — and a clean stop on Ctrl-C: the runner first, then the simulator, then azurite,
 * each child's process group SIGTERMed and SIGKILLed after 5 s, nothing left behind.
 *
 * Importing this module starts nothing: `main()` parses the arguments, installs the signal handlers and
 * runs the stack; it is called only when the file is run as a program. The pieces (argument parsing,
 * the stack, the banner) come from dev/stack/ or are exported here for tests.
 */
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parsePort } from "../src/local-settings.ts";
import { type Colour, colourEnabled, formatPrefix, paint } from "./log-prefix.ts";
import { CLI_DEFAULTS } from "./simulator/cli-args.ts";
import { type RunningSimulator, startSimulator } from "./simulator/server.ts";
import {
  AZURITE_DEFAULT_PORTS,
  type AzuriteInstance,
  probeStoragePorts,
  startAzurite,
} from "./stack/azurite.ts";
import { parseFlags, UsageError } from "./stack/cli.ts";
import { appEnv, DEV_STORAGE } from "./stack/credentials.ts";
import { REPO_ROOT } from "./stack/paths.ts";
import type { Exit, ManagedProcess } from "./stack/process.ts";
import { type RunningRunner, startRunner } from "./stack/runner.ts";

export const USAGE = `Usage: npm start [-- options]

Starts azurite (127.0.0.1:10000-10002, data in .azurite/), the iTwin API simulator (unless
ITWIN_API_BASE_URL is set in the environment) and the local Functions runner, with prefixed logs.
Ctrl-C stops all of them.

Options:
  --port <n>             runner HTTP port (default 7071)
  --simulator-port <n>   simulator port (default ${CLI_DEFAULTS.port})
  --entry <file>         module that registers the functions (default src/index.ts)
  -h, --help             show this help

With ITWIN_API_BASE_URL set, also set ITWIN_AUTHORITY, ITWIN_CLIENT_ID and ITWIN_CLIENT_SECRET; they are
passed to the runner as they are.`;

const STOP_GRACE_MS = 5000;
/** Signals this soon after the first are relayed copies of it, not a second Ctrl-C. */
const RELAYED_SIGNAL_MS = 1000;
const WIDTH = "[simulator]".length;

export interface StartOptions {
  port: number;
  simulatorPort: number;
  entry: string;
}

/** Pure: what the command line asks for. */
export function parseStartArgs(
  argv: readonly string[],
): { kind: "run"; options: StartOptions } | { kind: "help" } | { kind: "usage-error"; message: string } {
  let values: { port?: string; "simulator-port"?: string; entry?: string; help?: boolean };
  try {
    values = parseFlags(argv, {
      port: { type: "string" },
      "simulator-port": { type: "string" },
      entry: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { kind: "usage-error", message: error.message };
  }
  if (values.help) return { kind: "help" };
  const port = parsePort(values.port ?? "7071", "--port", 1);
  if (typeof port !== "number") return { kind: "usage-error", message: port.error };
  const simulatorPort = parsePort(
    values["simulator-port"] ?? String(CLI_DEFAULTS.port),
    "--simulator-port",
    1,
  );
  if (typeof simulatorPort !== "number") return { kind: "usage-error", message: simulatorPort.error };
  return { kind: "run", options: { port, simulatorPort, entry: values.entry ?? "src/index.ts" } };
}

/** Where `npm start` writes: one prefixed line per message. */
export interface StackOutput {
  line(name: string, tone: Colour, text: string, stream?: "stdout" | "stderr"): void;
}

/** One started part of the stack, stopped in reverse start order. */
interface Part {
  name: string;
  stop(): Promise<unknown>;
}

export interface ReadyStack {
  azurite: "started" | "reused";
  simulator: RunningSimulator | undefined;
  runner: RunningRunner;
}

/**
 * The stack's parts, started in order by `start()` and stopped in reverse by `stop()`, which may come at
 * any time (a Ctrl-C during start-up stops what is up; a child still starting is killed when this
 * process exits). `onExit` hears of a child process that ends on its own while nothing is stopping.
 */
export class DevStack {
  readonly #parts: Part[] = [];
  #stopping: Promise<void> | undefined;

  constructor(
    private readonly options: StartOptions,
    private readonly env: NodeJS.ProcessEnv,
    private readonly out: StackOutput,
    private readonly onExit: (name: string, exit: Exit, lastOutput: string) => void,
  ) {}

  async start(): Promise<ReadyStack> {
    this.#say("starting azurite…");
    const azurite = await startLocalAzurite(this.out);
    if (azurite !== "reused") await this.#add("azurite", () => azurite.close(), azurite.process);

    let simulator: RunningSimulator | undefined;
    if (this.env.ITWIN_API_BASE_URL) {
      this.#say(`ITWIN_API_BASE_URL is set (${this.env.ITWIN_API_BASE_URL}): not starting the simulator`);
    } else {
      this.#say("starting the iTwin API simulator…");
      const started = await startSimulator({
        port: this.options.simulatorPort,
        log: (line) => this.out.line("simulator", "magenta", `${new Date().toISOString()} ${line}`),
      });
      await this.#add("simulator", () => started.close());
      simulator = started;
    }

    this.#say("starting the Functions runner…");
    const storage = { connectionString: DEV_STORAGE };
    const runner = await startRunner({
      entry: this.options.entry,
      port: this.options.port,
      // A developer's local.settings.json may add settings; the environment and these win over it.
      localSettings: "project",
      env: {
        // Without the simulator, the ITWIN_* settings come from the environment as they are.
        ...(simulator ? appEnv(storage, simulator) : { AzureWebJobsStorage: storage.connectionString }),
        // Colour as the developer's terminal asks (spawnRunner turns it off, for tests).
        NO_COLOR: this.env.NO_COLOR,
        FORCE_COLOR: this.env.FORCE_COLOR,
      },
      timeoutMs: 60_000,
      detached: true,
      onLine: (line, stream) => this.out.line("runner", "green", line, stream),
    });
    await this.#add("runner", () => runner.stop("SIGTERM", STOP_GRACE_MS), runner.process);
    return { azurite: azurite === "reused" ? "reused" : "started", simulator, runner };
  }

  /** Stops every part that started, the last started first. Safe to call more than once. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const part of [...this.#parts].reverse()) {
        this.#say(`stopping ${part.name}…`);
        await part.stop();
      }
    })();
    return this.#stopping;
  }

  /** Records a started part; one that finished starting after `stop()` is stopped at once. */
  async #add(name: string, stop: () => Promise<unknown>, child?: ManagedProcess): Promise<void> {
    if (this.#stopping) {
      await stop();
      throw new Error(`stopped while ${name} was starting`);
    }
    this.#parts.push({ name, stop });
    void child?.exited.then((exit) => {
      if (!this.#stopping) this.onExit(name, exit, child.logs().split("\n").slice(-15).join("\n"));
    });
  }

  #say(text: string): void {
    this.out.line("start", "yellow", text);
  }
}

/** azurite on its default ports with its data in .azurite/, or the one already running there. */
async function startLocalAzurite(out: StackOutput): Promise<AzuriteInstance | "reused"> {
  const ports = AZURITE_DEFAULT_PORTS;
  const probe = await probeStoragePorts(ports);
  if (probe.kind === "taken") throw new Error(`${probe.detail}; free them and retry`);
  if (probe.kind === "azurite") {
    out.line("start", "yellow", `azurite is already running on 127.0.0.1 (${probe.server}); reusing it`);
    return "reused";
  }
  return startAzurite({
    ports,
    location: resolve(REPO_ROOT, ".azurite"),
    detached: true,
    onLine: (line, stream) => out.line("azurite", "cyan", line, stream),
  });
}

/** Pure: what `npm start` prints once everything is up. */
export function readyLines(stack: ReadyStack, itwinApi: string | undefined, colour: boolean): string[] {
  const { blobPort, tablePort } = AZURITE_DEFAULT_PORTS;
  const runnerUrl = stack.runner.url;
  const itwins = stack.simulator?.state.itwins() ?? [];
  const lines = [
    paint("ready", "green", colour),
    `  azurite    127.0.0.1:${blobPort}-${tablePort}${stack.azurite === "reused" ? " (already running)" : " (data in .azurite/)"}`,
    stack.simulator
      ? `  simulator  ${stack.simulator.url}  (admin: ${stack.simulator.url}/__admin)`
      : `  iTwin API  ${itwinApi}`,
    `  runner     ${runnerUrl}`,
    `  ops page   ${runnerUrl}/api/ops  (sign in with any key: the local runner checks none)`,
  ];
  if (itwins.length > 0) {
    lines.push("  seeded iTwins:");
    for (const itwin of itwins) lines.push(`    ${itwin.id}  ${itwin.name}`);
  }
  lines.push(
    "  try:",
    `    curl -X POST ${runnerUrl}/api/owner-changes -H 'content-type: application/json' -d '{"itwinId":"${itwins[0]?.id ?? "<itwin id>"}","email":"alice@corp.example","action":"add"}'`,
    `    curl ${runnerUrl}/api/owner-changes/<id from the response>`,
    "  Ctrl-C stops everything.",
  );
  return lines;
}

/** The program: arguments, signal handlers, the stack, the banner; exits when the stack has stopped. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const parsed = parseStartArgs(argv);
  if (parsed.kind === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (parsed.kind === "usage-error") {
    process.stderr.write(`${parsed.message}\n\n${USAGE}\n`);
    process.exit(2);
  }

  const colour = colourEnabled(process.stdout);
  const out: StackOutput = {
    line(name, tone, text, stream = "stdout") {
      (stream === "stdout" ? process.stdout : process.stderr).write(
        `${formatPrefix(name, tone, colour, WIDTH)}${text}\n`,
      );
    },
  };
  const say = (text: string, tone: Colour = "yellow") => out.line("start", tone, text);

  let stack: DevStack | undefined;
  let shutdownPromise: Promise<never> | undefined;
  const shutdown = (code: number): Promise<never> => {
    shutdownPromise ??= (async () => {
      await stack?.stop();
      say(code === 0 ? "all stopped" : "stopped");
      process.exit(code);
    })();
    return shutdownPromise;
  };

  let firstSignalAt: number | undefined;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      const now = Date.now();
      if (firstSignalAt === undefined) {
        firstSignalAt = now;
        process.stdout.write("\n");
        void shutdown(0);
        return;
      }
      // npm, tsx and `timeout` pass the terminal's Ctrl-C on to this process as well: those copies
      // arrive within moments of the original and are not a second Ctrl-C.
      if (now - firstSignalAt < RELAYED_SIGNAL_MS) return;
      // Each child is SIGKILLed by its own exit handler (dev/stack/process.ts).
      say("stopping now (second signal)", "red");
      process.exit(130);
    });
  }
  process.on("uncaughtException", (error) => {
    say(`unexpected error: ${error.stack ?? error.message}`, "red");
    void shutdown(1);
  });

  stack = new DevStack(parsed.options, process.env, out, (name, exit, lastOutput) => {
    say(
      paint(
        `${name} exited unexpectedly (code ${exit.code}, signal ${exit.signal}); stopping everything. Last output:\n${lastOutput}`,
        "red",
        colour,
      ),
      "red",
    );
    void shutdown(1);
  });
  let ready: ReadyStack;
  try {
    ready = await stack.start();
  } catch (error) {
    // After a signal, start-up failing is the expected consequence, not news.
    if (!shutdownPromise)
      say(paint(error instanceof Error ? error.message : String(error), "red", colour), "red");
    await shutdown(1);
    return;
  }
  for (const line of readyLines(ready, process.env.ITWIN_API_BASE_URL, colour)) say(line);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  await main();
}
