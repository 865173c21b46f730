import { randomUUID } from "node:crypto";
import { type Command, Option } from "commander";
import { fieldErrors, httpChangeSchema } from "../../../src/changes/model.ts";
import { EXIT, exitCodeForStatuses } from "../exit-codes.ts";
import type { FileChange } from "../files.ts";
import { table } from "../format.ts";
import { type Context, helpAfter, integer, UsageError } from "../program.ts";
import { ProgressLine } from "../progress.ts";
import {
  applyingText,
  countStatuses,
  type LineState,
  runSubmission,
  type SubmissionReport,
  sendingText,
} from "../submission.ts";
import { FORMAT_CHOICES, readChangesFile } from "./read-file.ts";

/** `submit`: one change from flags, or a file of them; sends in batches, then follows them to the end. */

interface SubmitOptions {
  file?: string;
  format?: string;
  itwin?: string;
  email?: string;
  action?: string;
  id?: string;
  reason?: string;
  requestedBy?: string;
  source: string;
  occurredAt?: string;
  dryRun?: boolean;
  batch: number;
  wait: boolean;
  timeout: number;
  interval: number;
  concurrency: number;
}

/** Flag names for the fields of a change given on the command line, for error messages. */
const FLAG_OF: Record<string, string> = {
  itwinId: "--itwin",
  email: "--email",
  action: "--action",
  id: "--id",
  reason: "--reason",
  requestedBy: "--requested-by",
  source: "--source",
  occurredAt: "--occurred-at",
};

/** Problem lines listed after the summary table; --json lists them all. */
const SHOWN_PROBLEMS = 20;

export function registerSubmit(program: Command, context: Context): void {
  program
    .command("submit")
    .description(
      "submit one change (--itwin, --email, --action) or a file of them (--file), then follow them until each is done",
    )
    .option(
      "--file <path>",
      "a .csv (with a header) or .jsonl file of changes; every line is checked before any is sent",
    )
    .addOption(
      new Option("--format <format>", "the file's format, when its name does not say").choices(
        FORMAT_CHOICES,
      ),
    )
    .option("--itwin <id>", "one change: the iTwin id")
    .option("--email <address>", "one change: whose ownership")
    .addOption(new Option("--action <action>", "one change: add or remove").choices(["add", "remove"]))
    .option("--id <key>", "one change: your idempotency key (default: a new one per run)")
    .option("--reason <text>", "why (for lines without their own)")
    .option("--requested-by <who>", "who asked (for lines without their own)")
    .option("--source <name>", "the sending system; keys are scoped by it", "cli")
    .option("--occurred-at <instant>", "one change: when the decision was made (ISO-8601 with a zone)")
    .option("--dry-run", "plan only: the service checks and records, but changes no owner")
    .option("--batch <n>", "changes per request", integer(1, 100), 100)
    .option("--no-wait", "stop once every change is accepted; do not follow them")
    .option(
      "--timeout <seconds>",
      "stop waiting after this long (exit 5 if some are still pending)",
      integer(1, 86_400),
      900,
    )
    .option("--interval <seconds>", "pause between status rounds", integer(1, 60), 1)
    .option("--concurrency <n>", "status requests in flight at once", integer(1, 32), 8)
    .addHelpText(
      "after",
      helpAfter(
        [
          "owner-changes submit --itwin 5e3b1a7e-8c1d-4f3a-9b2e-000000000003 --email alice@corp.example --action add",
          "owner-changes submit --file examples/reorg.csv",
          "owner-changes submit --file changes.jsonl --reason 'Q3 reorg' --requested-by you@corp.example --json > result.json",
          "owner-changes submit --file changes.csv --no-wait",
        ],
        `
A file's lines are checked with the service's own schema first; if any is bad, all bad lines are listed
with their line numbers and nothing is sent. CSV columns (header, any order): itwinId, email, action,
and optionally id, source, reason, requestedBy, occurredAt, dryRun; JSON Lines: one change object per line.
Each line's idempotency key is its id, else file:<hash of the file>:<line>: run the same file again after
Ctrl-C or a timeout and it resumes, sending nothing twice. Progress goes to stderr; the summary to stdout.
`,
      ),
    )
    .action(async (options: SubmitOptions, command: Command) => {
      const changes = await changesToSend(context, command, options);
      if (changes === undefined) return context.setExit(EXIT.usage);
      const client = await context.client(command);
      const { clock } = context.io;
      const controller = new AbortController();
      const stopListening = context.io.onInterrupt(() => controller.abort());
      const progress = new ProgressLine(context.io.stderr, { now: () => clock.now() });
      let report: SubmissionReport;
      try {
        report = await runSubmission(
          changes,
          { client, clock, progress, signal: controller.signal },
          {
            batchSize: options.batch,
            wait: options.wait,
            deadline: clock.now() + options.timeout * 1000,
            intervalMs: options.interval * 1000,
            concurrency: options.concurrency,
          },
        );
      } catch (error) {
        progress.clear();
        context.err(
          options.file === undefined
            ? "stopped by an error; the change may have reached the service: owner-changes list --email <address> shows it"
            : `stopped by an error; to resume, run again (nothing is sent twice):\n  ${resumeCommand(context.argv)}`,
        );
        throw error;
      } finally {
        stopListening();
      }
      const settledText = options.wait && !report.interrupted ? applyingText : sendingText;
      progress.done(settledText(report.lines, report.elapsedMs));
      const code = report.interrupted
        ? EXIT.interrupted
        : options.wait
          ? exitCodeForStatuses(report.lines.map((line) => line.status))
          : exitCodeForStatuses(
              report.lines.map((line) => (line.status === "refused" ? "refused" : "succeeded")),
            );
      if (context.json(command)) context.out(JSON.stringify(jsonReport(report, options, code)));
      else context.out(summary(report, options.file === undefined));
      if (report.interrupted || report.timedOut) context.err(stopHint(report, options, context.argv));
      context.setExit(code);
    });
}

async function changesToSend(
  context: Context,
  command: Command,
  options: SubmitOptions,
): Promise<FileChange[] | undefined> {
  const single = ["itwin", "email", "action", "id", "occurredAt"].filter(
    (name) => options[name as keyof SubmitOptions] !== undefined,
  );
  const defaults = {
    source: options.source,
    ...(options.requestedBy === undefined ? {} : { requestedBy: options.requestedBy }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(options.dryRun ? { dryRun: true } : {}),
  };
  if (options.file !== undefined) {
    if (single.length > 0) {
      throw new UsageError(
        `--file cannot be combined with ${single.map((name) => `--${kebab(name)}`).join(", ")}`,
      );
    }
    return (await readChangesFile(context, command, options.file, options.format, defaults))?.changes;
  }
  if (options.itwin === undefined && options.email === undefined && options.action === undefined) {
    throw new UsageError("give --file <path>, or one change with --itwin, --email and --action");
  }
  const parsed = httpChangeSchema.safeParse({
    itwinId: options.itwin,
    email: options.email,
    action: options.action,
    // A key per run even without --id, so that the client's own retries cannot make two requests.
    id: options.id ?? `cli:${randomUUID()}`,
    ...defaults,
    ...(options.occurredAt === undefined ? {} : { occurredAt: options.occurredAt }),
  });
  if (!parsed.success) {
    const problems = fieldErrors(parsed.error).map(
      (error) => `${FLAG_OF[error.path] ?? error.path} ${error.message}`,
    );
    throw new UsageError(problems.join("; "));
  }
  return [{ line: 1, change: { ...parsed.data, id: parsed.data.id as string } }];
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/**
 * How to go on after Ctrl-C or `--timeout`. A file's keys derive from its content, so running the same
 * command again resumes; a single change without --id gets a new key per run, so it is followed by id.
 */
function stopHint(report: SubmissionReport, options: SubmitOptions, argv: readonly string[]): string {
  const what = report.interrupted
    ? `interrupted: ${accepted(report)} of ${report.lines.length} accepted.`
    : "--timeout passed with changes still pending.";
  if (options.file !== undefined || options.id !== undefined) {
    return `${what} To resume, run again (nothing is sent twice):\n  ${resumeCommand(argv)}`;
  }
  const id = report.lines[0]?.requestId;
  return id === undefined
    ? `${what} The change may have reached the service: owner-changes list --email ${options.email} shows it`
    : `${what} Follow it with: owner-changes status ${id}`;
}

/** The command line as given, with a --key value left out: hints end up in terminals and logs. */
export function resumeCommand(argv: readonly string[]): string {
  const shown = argv.map((arg, index) =>
    argv[index - 1] === "--key" ? "<key>" : arg.startsWith("--key=") ? "--key=<key>" : arg,
  );
  return `owner-changes ${shown.map(quote).join(" ")}`;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

function accepted(report: SubmissionReport): number {
  return report.lines.filter((line) => line.requestId !== undefined).length;
}

function problemLines(lines: readonly LineState[]): LineState[] {
  return lines.filter((line) => ["failed", "rejected", "held", "refused"].includes(line.status));
}

/** The table at the end: lines per status (succeeded split by outcome), then the lines that need a look. */
export function summary(report: SubmissionReport, single: boolean): string {
  const counts = countStatuses(report.lines);
  const outcomes = new Map<string, number>();
  for (const line of report.lines) {
    if (line.status === "succeeded" && line.outcome)
      outcomes.set(line.outcome, (outcomes.get(line.outcome) ?? 0) + 1);
  }
  const order = [
    "succeeded",
    "failed",
    "rejected",
    "held",
    "refused",
    "queued",
    "processing",
    "unsent",
  ] as const;
  const rows = order
    .filter(
      (status) =>
        (counts.get(status) ?? 0) > 0 || ["succeeded", "failed", "rejected", "held"].includes(status),
    )
    .map((status) => [
      status,
      counts.get(status) ?? 0,
      status === "succeeded" ? [...outcomes].map(([outcome, n]) => `${outcome} ${n}`).join(", ") : "",
    ]);
  const replayed = report.lines.filter((line) => line.replayed).length;
  const parts = [
    table(["STATUS", "CHANGES", "OUTCOMES"], rows),
    `${report.lines.length} change(s), ${accepted(report)} accepted${replayed > 0 ? ` (${replayed} already known from an earlier run)` : ""}, in ${(report.elapsedMs / 1000).toFixed(1)} s`,
  ];
  const problems = single
    ? report.lines.filter((line) => line.requestId !== undefined)
    : problemLines(report.lines);
  if (problems.length > 0) {
    parts.push(
      table(
        single ? ["ID", "STATUS", "DETAIL"] : ["LINE", "ID", "STATUS", "DETAIL"],
        problems
          .slice(0, SHOWN_PROBLEMS)
          .map((line) => [
            ...(single ? [] : [line.line]),
            line.requestId ?? "-",
            line.outcome ? `${line.status}/${line.outcome}` : line.status,
            line.error
              ? `${line.error.code}: ${line.error.message}`
              : `${line.change.action} ${line.change.email} on ${line.change.itwinId}`,
          ]),
      ),
    );
    if (problems.length > SHOWN_PROBLEMS)
      parts.push(`… and ${problems.length - SHOWN_PROBLEMS} more (--json lists every line)`);
  }
  if ((counts.get("held") ?? 0) > 0)
    parts.push("held changes wait for: owner-changes approve|reject <id> --by <you>");
  return parts.join("\n\n");
}

function jsonReport(report: SubmissionReport, options: SubmitOptions, exitCode: number) {
  const counts = Object.fromEntries(countStatuses(report.lines));
  return {
    ...(options.file === undefined ? {} : { file: options.file }),
    changes: report.lines.length,
    accepted: accepted(report),
    counts,
    interrupted: report.interrupted,
    timedOut: report.timedOut,
    elapsedMs: report.elapsedMs,
    exitCode,
    items: report.lines.map((line) => ({
      line: line.line,
      key: line.change.id,
      ...(line.requestId === undefined ? {} : { id: line.requestId }),
      status: line.status,
      ...(line.outcome === undefined ? {} : { outcome: line.outcome }),
      ...(line.error === undefined ? {} : { error: line.error }),
      ...(line.replayed ? { replayed: true } : {}),
    })),
  };
}
