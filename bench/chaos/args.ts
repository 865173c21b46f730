/** `npm run chaos` flags. Pure, so the parsing is tested without starting anything. */

import { parseFlags, UsageError } from "../../dev/stack/cli.ts";
import { MIN_CHANGES } from "./workload.ts";

export interface ChaosArgs {
  seed: number;
  changes: number;
  kills: number;
  runners: number;
  deadlineMinutes: number;
  timeoutMs: number;
  keepLogs?: string;
}

export const CHAOS_DEFAULTS: ChaosArgs = {
  seed: 1,
  changes: 400,
  kills: 2,
  runners: 2,
  deadlineMinutes: 12,
  timeoutMs: 2_000,
};

export const CHAOS_USAGE = `Usage: npm run chaos -- [options]

Runs the real app on 127.0.0.1 — azurite (data on disk), the iTwin API simulator, runner processes on
one storage account — pushes a seeded random workload through both intakes while injecting faults,
waits until every change is terminal, and checks the end against a model of the contract.

Options:
  --seed <n>          PRNG seed: the same seed gives the same workload, fault phases and kill points
                      (default ${CHAOS_DEFAULTS.seed})
  --changes <n>       owner-change requests, at least ${MIN_CHANGES} (default ${CHAOS_DEFAULTS.changes}); duplicates and
                      garbage come on top
  --kills <n>         runner processes SIGKILLed at random moments and replaced (default ${CHAOS_DEFAULTS.kills})
  --runners <n>       runner processes serving the app at once, at least 2 (default ${CHAOS_DEFAULTS.runners})
  --deadline <min>    the whole run; what is not terminal by then is reported (default ${CHAOS_DEFAULTS.deadlineMinutes})
  --timeout <ms>      ITWIN_HTTP_TIMEOUT_MS for the run; stalls last a second longer (default ${CHAOS_DEFAULTS.timeoutMs})
  --keep-logs <dir>   write to <dir> at the end: every runner's output, requests.jsonl (each request with
                      its status documents) and writes.jsonl (the simulator's applied-write log)
  -h, --help          this text

Workload: adds (organisation users: added; outside addresses: invited), removals (owners: removed;
others: not-owner), adds of owners (already-owner), the protected owner's removal (rejected),
ordered groups of conflicting changes for one person with occurredAt, sent newest first half the time
(newest wins; older ones superseded or applied first), mass removals past POLICY_MASS_REMOVAL_THRESHOLD
(the excess is held; the run approves or rejects each), over HTTP batches, keyed single POSTs and queue
messages (with and without an id). Repeats: keyed POSTs sent twice, queue messages sent twice, copies of
accepted jobs on the jobs queue, and garbage messages (which must land in the poison queue with a reason).

Faults: owners-API phases of 5xx with JSON and with HTML bodies, 429 storms with Retry-After, stalls
longer than the client timeout, connection resets and replies lost after the write was applied; runner
processes SIGKILLed and replaced; azurite stopped for two seconds and restarted with its data.

Checks: exact final owner sets and invitations (wrongFinalState); every request terminal with an outcome
the model allows (nonTerminal); at most one applied write per request in the simulator's write log
(doubleEffects); requests in = status documents out, garbage in poison with a reason (lost); the longest
time any change took to become terminal after the last fault (recoverySeconds).

Progress goes to stderr. stdout gets a table and, as its last line, one JSON object:
  {"changes":…,"kills":…,"lost":0,"doubleEffects":0,"wrongFinalState":0,"nonTerminal":0,"recoverySeconds":…,"faults":{…},"seconds":…}
The exit code is 1 when lost, doubleEffects, wrongFinalState or nonTerminal is not 0, 2 on bad flags.`;

export function parseChaosArgs(argv: readonly string[]): ChaosArgs | "help" {
  const values: Record<string, string | boolean | undefined> = parseFlags(argv, {
    seed: { type: "string" },
    changes: { type: "string" },
    kills: { type: "string" },
    runners: { type: "string" },
    deadline: { type: "string" },
    timeout: { type: "string" },
    "keep-logs": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const whole = (name: string, fallback: number, min: number, max: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    if (typeof text !== "string" || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new UsageError(`--${name} wants a whole number from ${min} to ${max}; got '${String(text)}'`);
    }
    return Number(text);
  };
  const keepLogs = values["keep-logs"];
  return {
    seed: whole("seed", CHAOS_DEFAULTS.seed, 0, 2 ** 32 - 1),
    changes: whole("changes", CHAOS_DEFAULTS.changes, MIN_CHANGES, 100_000),
    kills: whole("kills", CHAOS_DEFAULTS.kills, 0, 100),
    runners: whole("runners", CHAOS_DEFAULTS.runners, 2, 16),
    deadlineMinutes: whole("deadline", CHAOS_DEFAULTS.deadlineMinutes, 1, 120),
    timeoutMs: whole("timeout", CHAOS_DEFAULTS.timeoutMs, 100, 60_000),
    ...(typeof keepLogs === "string" ? { keepLogs } : {}),
  };
}
