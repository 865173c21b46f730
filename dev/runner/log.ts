import { format } from "node:util";
import { type Clock, systemClock } from "../../src/clock.ts";
import { redact, secretSettings } from "../../src/observability/redact.ts";

/**
 * The runner's log lines: `HH:MM:SS.mmm LEVEL [scope] message`, where scope is the function name
 * (or `runner` / `http` / `queue`). Levels follow host.json `logging.logLevel`. Every line is
 * redacted: the app's secret settings (read from the environment on each line, since local settings
 * arrive after the logger) and credential shapes such as `code=…` or `Bearer …` never reach the console.
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

const consoleWriter: LogWriter = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export class Logger {
  constructor(
    private readonly levels: Record<string, LogLevelName> = {},
    private readonly writer: LogWriter = consoleWriter,
    private readonly clock: Pick<Clock, "now"> = systemClock,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

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
    const text = redact(message, secretSettings(this.env)).replace(/\n/g, `\n${" ".repeat(time.length + 7)}`);
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
