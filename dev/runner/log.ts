import { format } from "node:util";
import { type Clock, systemClock } from "../../src/clock.ts";
import { redact, secretSettings } from "../../src/observability/redact.ts";

/**
 * The runner's log lines: `HH:MM:SS.mmm LEVEL [scope] message`, where scope is the function name
 * (or `runner` / `http` / `queue`). Levels follow host.json `logging.logLevel`. Every line is
 * redacted: the app's secret settings and credential shapes such as `code=…` or `Bearer …` never reach
 * the console. The secrets are read from the environment on the first line and again after
 * `refreshSecrets()` (main.ts calls it once local settings are applied, the only later change to the
 * environment): reading them per line enumerated process.env, about 75 µs a line, 100 lines a batch.
 */

export type LogLevelName = "trace" | "debug" | "information" | "warning" | "error" | "critical" | "none";

const RANK: Record<LogLevelName, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

const LABEL: Record<string, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  information: "INFO ",
  warning: "WARN ",
  error: "ERROR",
  critical: "CRIT ",
};

const ALIASES: Record<string, LogLevelName> = { info: "information", warn: "warning" };

/** A level name as host.json or a log call spells it (any case, `info` / `warn` too); undefined if none. */
export function toLogLevel(text: string): LogLevelName | undefined {
  const lower = text.toLowerCase();
  return ALIASES[lower] ?? (Object.keys(RANK) as LogLevelName[]).find((l) => l === lower);
}

/** The level a line is written at: a level it does not know (or `none`) is written as information. */
export function normaliseLevel(level: string): Exclude<LogLevelName, "none"> {
  const known = toLogLevel(level);
  return known === undefined || known === "none" ? "information" : known;
}

/** Minimum level for one function: `Function.<name>`, then `Function`, then `default`, else information. */
export function logLevelFor(levels: Record<string, LogLevelName>, functionName?: string): LogLevelName {
  const lookup = (key: string): LogLevelName | undefined => {
    const found = Object.entries(levels).find(([k]) => k.toLowerCase() === key.toLowerCase());
    return found?.[1];
  };
  return (
    (functionName ? lookup(`Function.${functionName}`) : undefined) ??
    (functionName ? lookup("Function") : undefined) ??
    lookup("default") ??
    "information"
  );
}

export interface LogWriter {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Lines written once per turn of the event loop, each stream's run of lines in one write. On Linux a
 * write to a pipe (the runner's stdout under `npm start`, the tests and the bench) is synchronous, so a
 * line logged while a request was being answered held the answer up by the write and the reader's
 * wake-up — twice per single POST, a hundred times per batch. Lines keep their order across the two
 * streams; `flush` writes whatever is pending (the console writer does so on exit).
 */
export function batchedWriter(
  sink: LogWriter,
  schedule: (flush: () => void) => void = (flush) => setImmediate(flush),
): LogWriter & { flush(): void } {
  let pending: { stream: keyof LogWriter; line: string }[] = [];
  const flush = () => {
    const lines = pending;
    pending = [];
    let at = 0;
    while (at < lines.length) {
      const stream = (lines[at] as (typeof lines)[number]).stream;
      let end = at;
      while (end < lines.length && (lines[end] as (typeof lines)[number]).stream === stream) end++;
      sink[stream](
        lines
          .slice(at, end)
          .map((entry) => entry.line)
          .join("\n"),
      );
      at = end;
    }
  };
  const add = (stream: keyof LogWriter, line: string) => {
    if (pending.length === 0) schedule(flush);
    pending.push({ stream, line });
  };
  return { out: (line) => add("out", line), err: (line) => add("err", line), flush };
}

let consoleWriter: (LogWriter & { flush(): void }) | undefined;
function consoleOutput(): LogWriter & { flush(): void } {
  if (consoleWriter === undefined) {
    const writer = batchedWriter({
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
    });
    process.once("exit", () => writer.flush());
    consoleWriter = writer;
  }
  return consoleWriter;
}

export class Logger {
  #secrets: string[] | undefined;

  constructor(
    private readonly levels: Record<string, LogLevelName> = {},
    private readonly writer: LogWriter & { flush?(): void } = consoleOutput(),
    private readonly clock: Pick<Clock, "now"> = systemClock,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  /** Writes the lines still waiting for the next turn of the event loop. */
  flush(): void {
    this.writer.flush?.();
  }

  /** Reads the secret settings from the environment again (after it changed). */
  refreshSecrets(): void {
    this.#secrets = undefined;
  }

  enabled(level: string, functionName?: string): boolean {
    return RANK[normaliseLevel(level)] >= RANK[logLevelFor(this.levels, functionName)];
  }

  /** One line; `functionName` selects the `Function.<name>` log level and is the scope shown. */
  write(
    level: string,
    scope: string,
    message: string,
    options: { functionName?: string; invocationId?: string } = {},
  ) {
    const lvl = normaliseLevel(level);
    if (!this.enabled(lvl, options.functionName)) return;
    const time = new Date(this.clock.now()).toISOString().slice(11, 23);
    const inv = options.invocationId ? ` (${options.invocationId.slice(0, 8)})` : "";
    this.#secrets ??= secretSettings(this.env);
    const text = redact(message, this.#secrets).replace(/\n/g, `\n${" ".repeat(time.length + 7)}`);
    const line = `${time} ${LABEL[lvl]} [${scope}]${inv} ${text}`;
    if (RANK[lvl] >= RANK.warning) this.writer.err(line);
    else this.writer.out(line);
  }

  info(scope: string, ...args: unknown[]) {
    this.write("information", scope, format(...args));
  }
  warn(scope: string, ...args: unknown[]) {
    this.write("warning", scope, format(...args));
  }
  error(scope: string, ...args: unknown[]) {
    this.write("error", scope, format(...args));
  }
  debug(scope: string, ...args: unknown[]) {
    this.write("debug", scope, format(...args));
  }
}

/** A short, stack-free description of an error for log lines. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
    return `${error.name === "Error" ? "" : `${error.name}: `}${error.message}${cause}`;
  }
  return String(error);
}
