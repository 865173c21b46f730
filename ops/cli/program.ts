import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { type ApiClient, ApiError, createApiClient } from "./client.ts";
import { registerDecide } from "./commands/decide.ts";
import { registerList } from "./commands/list.ts";
import { registerPlan } from "./commands/plan.ts";
import { registerPoison } from "./commands/poison.ts";
import { registerStatus } from "./commands/status.ts";
import { registerSubmit } from "./commands/submit.ts";
import { registerWatch } from "./commands/watch.ts";
import { LOCAL_URL, profilesPath, readProfiles, resolveTarget } from "./config.ts";
import { EXIT, EXIT_CODES_HELP, exitCodeForHttpStatus } from "./exit-codes.ts";
import type { Io } from "./io.ts";

/**
 * The `owner-changes` program: global options, the commands (one module each under commands/), and the
 * mapping of every way a run can end to an exit code (exit-codes.ts). `runCli` runs it in-process;
 * commander's own exits are turned into exceptions (`exitOverride`), so nothing here calls process.exit.
 */

/** A mistake in how the CLI was called or fed: reported, exit 2, nothing sent. */
export class UsageError extends Error {}

export interface Context {
  io: Io;
  argv: readonly string[];
  setExit(code: number): void;
  /** The API client for this run's target (--url/--key/--profile, environment, or the local stack). */
  client(command: Command): Promise<ApiClient>;
  json(command: Command): boolean;
  /** A line on stdout. */
  out(text: string): void;
  /** A line on stderr. */
  err(text: string): void;
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const context = buildContext(io, argv, (next) => {
    code = next;
  });
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      context.err(`owner-changes: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      context.err(`owner-changes: ${error.message}`);
      return exitCodeForHttpStatus(error.status);
    }
    context.err(
      `owner-changes: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return EXIT.internal;
  }
  return code;
}

function buildContext(io: Io, argv: readonly string[], setExit: (code: number) => void): Context {
  return {
    io,
    argv,
    setExit,
    json: (command) => command.optsWithGlobals().json === true,
    out: (text) => io.stdout.write(`${text}\n`),
    err: (text) => io.stderr.write(`${text}\n`),
    async client(command) {
      const options = command.optsWithGlobals<{
        url?: string;
        key?: string;
        profile?: string;
        httpTimeout: number;
      }>();
      // Values commander took from the environment keep the environment's rank (config.ts).
      const fromFlag = (name: "url" | "key") =>
        command.getOptionValueSourceWithGlobals(name) === "cli" ? options[name] : undefined;
      const file = profilesPath(io.env, io.home);
      const profiles = await readProfiles(file);
      if (!profiles.ok) throw new UsageError(profiles.message);
      const url = fromFlag("url");
      const key = fromFlag("key");
      const resolved = resolveTarget({
        ...(url === undefined ? {} : { url }),
        ...(key === undefined ? {} : { key }),
        ...(options.profile === undefined ? {} : { profile: options.profile }),
        env: io.env,
        ...(profiles.profiles === undefined ? {} : { profiles: profiles.profiles }),
        profilesPath: file,
      });
      if (!resolved.ok) throw new UsageError(resolved.message);
      return createApiClient({
        target: resolved.target,
        timeoutMs: options.httpTimeout * 1000,
        ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
      });
    },
  };
}

/** A whole number from `min` to `max`, for option values; commander reports the message as a usage error. */
export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

/** Text for the end of a command's `--help`: its examples, then the exit codes. */
export function helpAfter(examples: readonly string[], extra = ""): string {
  return `\nExamples:\n${examples.map((example) => `  $ ${example}`).join("\n")}\n${extra}\n${EXIT_CODES_HELP}\n`;
}

export function buildProgram(context: Context): Command {
  const program = new Command("owner-changes")
    .description("Submit, follow and decide iTwin owner changes through the service's HTTP API.")
    .version(packageJson.version)
    .addOption(
      new Option("--url <url>", `the service's base URL (default: ${LOCAL_URL}, npm start)`).env(
        "OWNER_CHANGES_URL",
      ),
    )
    .addOption(
      new Option(
        "--key <key>",
        "function key (x-functions-key; approve, reject and poison need the master key); prefer the variable or a profile, a flag shows in the process list",
      ).env("OWNER_CHANGES_KEY"),
    )
    .addOption(
      new Option("--profile <name>", "a profile from the profile file (see below)").env(
        "OWNER_CHANGES_PROFILE",
      ),
    )
    .option("--json", "machine output: only JSON on stdout (progress stays on stderr)")
    .option("--http-timeout <seconds>", "timeout of each HTTP call", integer(1, 600), 30)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    })
    .showHelpAfterError(
      "(owner-changes --help shows the commands, owner-changes <command> --help their options)",
    )
    .addHelpText(
      "after",
      helpAfter(
        [
          "owner-changes submit --file examples/reorg.csv",
          "owner-changes list --status held",
          "owner-changes approve k-3LzKhN13RQ0ZnaH_PZT14_5zhd3SRqb4 --by you@corp.example --reason 'planned reorg'",
          "OWNER_CHANGES_URL=https://<app>.azurewebsites.net OWNER_CHANGES_KEY=… owner-changes list --since 24h",
        ],
        `
Where requests go, per value: --url/--key; then the profile named by --profile or OWNER_CHANGES_PROFILE;
then OWNER_CHANGES_URL/OWNER_CHANGES_KEY; then ${LOCAL_URL} without a key. Profiles live in
OWNER_CHANGES_PROFILES, else $XDG_CONFIG_HOME/owner-changes/profiles.json (~/.config/...):
  { "profiles": { "prod": { "url": "https://<app>.azurewebsites.net", "key": "<function key>" } } }
A key is never sent over plain http except to 127.0.0.1/localhost.
`,
      ),
    );
  for (const register of [
    registerSubmit,
    registerPlan,
    registerStatus,
    registerList,
    registerWatch,
    registerDecide,
    registerPoison,
  ]) {
    register(program, context);
  }
  return program;
}
