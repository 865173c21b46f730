import { type ParseArgsConfig, parseArgs } from "node:util";

/**
 * The conventions of the project's command-line tools (npm start, the runner, the bench, the chaos run):
 * flags only, an unknown flag is refused, `-h`/`--help` prints the usage and exits 0, and a mistake prints
 * the message and the usage on stderr and exits 2. Each tool's parser stays pure; only
 * `argumentsOrExit` writes and exits.
 */

export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util's parseArgs with the conventions above; a bad flag becomes a UsageError. */
export function parseFlags<T extends Options>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Runs a tool's argument parser: its options, or the exit the conventions ask for. */
export function argumentsOrExit<T>(tool: string, usage: string, parse: () => T | "help"): T {
  try {
    const parsed = parse();
    if (parsed !== "help") return parsed;
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${tool}: ${error.message}\n\n${usage}\n`);
    process.exit(2);
  }
}
