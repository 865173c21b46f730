/**
 * `npm run chaos -- [--seed n] [--changes n] [--kills n] [--runners n]`: one chaos run (run.ts), a table
 * and the JSON line on stdout, progress on stderr. Ctrl-C stops every child process before exiting.
 */
import { argumentsOrExit } from "../../dev/stack/cli.ts";
import { CHAOS_USAGE, type ChaosArgs, parseChaosArgs } from "./args.ts";
import { failed, formatReport } from "./report.ts";
import { runChaos } from "./run.ts";

const args: ChaosArgs = argumentsOrExit("chaos", CHAOS_USAGE, () => parseChaosArgs(process.argv.slice(2)));

const started = Date.now();
const log = (line: string) =>
  process.stderr.write(`[chaos ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);

// The first Ctrl-C aborts the run, whose clean-up stops the stack; a second one exits at once.
const abort = new AbortController();
const interrupt = (signal: NodeJS.Signals) => {
  if (abort.signal.aborted) process.exit(130);
  log(`${signal}: stopping every child process (again to exit at once)`);
  abort.abort(new Error(`interrupted by ${signal}`));
};
process.on("SIGINT", interrupt);
process.on("SIGTERM", interrupt);

try {
  const result = await runChaos({
    seed: args.seed,
    changes: args.changes,
    kills: args.kills,
    runners: args.runners,
    deadlineMs: args.deadlineMinutes * 60_000,
    clientTimeoutMs: args.timeoutMs,
    ...(args.keepLogs === undefined ? {} : { keepLogs: args.keepLogs }),
    log,
    signal: abort.signal,
  });
  const title = `itwin-owner-automation chaos run: seed ${args.seed}, ${args.changes} changes, ${args.kills} kill(s), ${args.runners} runners`;
  process.stdout.write(`${formatReport(result, title)}\n${JSON.stringify(result.summary)}\n`);
  process.exit(failed(result) ? 1 : 0);
} catch (error) {
  if (abort.signal.aborted) {
    log("interrupted: every child process is stopped and azurite's data folder removed");
    process.exit(130);
  }
  log(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
}
