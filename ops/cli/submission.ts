import pMap from "p-map";
import type { Status } from "../../src/changes/model.ts";
import type { Clock } from "../../src/clock.ts";
import type { ApiClient } from "./client.ts";
import type { FileChange } from "./files.ts";
import { bar, type ProgressLine, seconds } from "./progress.ts";

/**
 * Sending changes in batches and following them until each is settled: the engine behind `submit`.
 * Everything it touches is injected (client, clock, progress line, abort signal), so tests drive it
 * with fakes. A change is settled when it is succeeded, failed, rejected or held (held waits for a
 * person, not for time); `refused` is a batch item the service turned down (its key was used for
 * another change), `unsent` a line an interruption left behind.
 */

export type LineStatus = Status | "refused" | "unsent";

export interface LineState extends FileChange {
  status: LineStatus;
  requestId?: string;
  outcome?: string;
  error?: { code: string; message: string };
  /** The service already had this change (a re-run): nothing new was created. */
  replayed?: boolean;
  /** Its status document has been read: the outcome or error, if any, is known. */
  read?: boolean;
}

export interface SubmissionDeps {
  client: Pick<ApiClient, "submit" | "get">;
  clock: Clock;
  progress: ProgressLine;
  signal: AbortSignal;
}

export interface SubmissionOptions {
  batchSize: number;
  /** false: stop once every line is accepted. */
  wait: boolean;
  /** Clock time after which waiting stops (the run then ends with changes pending). */
  deadline: number;
  intervalMs: number;
  concurrency: number;
}

export interface SubmissionReport {
  lines: LineState[];
  interrupted: boolean;
  timedOut: boolean;
  elapsedMs: number;
}

const PENDING: ReadonlySet<LineStatus> = new Set(["queued", "processing"]);
const FINISHED: ReadonlySet<LineStatus> = new Set(["succeeded", "failed", "rejected"]);
export const SHOWN_STATUSES = ["succeeded", "failed", "rejected", "held"] as const;

export async function runSubmission(
  changes: readonly FileChange[],
  deps: SubmissionDeps,
  options: SubmissionOptions,
): Promise<SubmissionReport> {
  const { client, clock, progress, signal } = deps;
  const started = clock.now();
  const lines: LineState[] = changes.map((change) => ({ ...change, status: "unsent" }));
  const report = (flags: { interrupted?: boolean; timedOut?: boolean } = {}): SubmissionReport => ({
    lines,
    interrupted: flags.interrupted ?? false,
    timedOut: flags.timedOut ?? false,
    elapsedMs: clock.now() - started,
  });

  try {
    for (let from = 0; from < lines.length; from += options.batchSize) {
      signal.throwIfAborted();
      const batch = lines.slice(from, from + options.batchSize);
      const items = await client.submit(
        batch.map((line) => line.change),
        signal,
      );
      for (const item of items) {
        const line = batch[item.index];
        if (line === undefined) continue;
        if ("error" in item) {
          line.status = "refused";
          line.error = {
            code: item.error.type?.split(":").pop() ?? "refused",
            message: item.error.detail ?? "",
          };
        } else {
          line.requestId = item.id;
          line.status = item.status;
          if (item.replayed) line.replayed = true;
        }
      }
      progress.update(sendingText(lines, clock.now() - started));
    }
    if (!options.wait) return report();

    for (;;) {
      // A change a re-run finds already finished is read once, for its outcome or error.
      const pending = lines.filter(
        (line) => PENDING.has(line.status) || (!line.read && FINISHED.has(line.status)),
      );
      progress.update(applyingText(lines, clock.now() - started));
      if (pending.length === 0) return report();
      if (clock.now() >= options.deadline) return report({ timedOut: true });
      await pMap(
        pending,
        async (line) => {
          const doc = await client.get(line.requestId as string, signal);
          line.status = doc.status;
          line.read = true;
          if (doc.outcome !== undefined) line.outcome = doc.outcome;
          if (doc.error !== undefined) line.error = { code: doc.error.code, message: doc.error.message };
          progress.update(applyingText(lines, clock.now() - started));
        },
        { concurrency: options.concurrency, signal },
      );
      if (lines.some((line) => PENDING.has(line.status))) {
        await clock.sleep(Math.max(0, Math.min(options.intervalMs, options.deadline - clock.now())), signal);
      }
    }
  } catch (error) {
    if (signal.aborted) return report({ interrupted: true });
    throw error;
  }
}

export function countStatuses(lines: readonly LineState[]): Map<LineStatus, number> {
  const counts = new Map<LineStatus, number>();
  for (const line of lines) counts.set(line.status, (counts.get(line.status) ?? 0) + 1);
  return counts;
}

function accepted(lines: readonly LineState[]): number {
  return lines.filter((line) => line.requestId !== undefined).length;
}

export function sendingText(lines: readonly LineState[], elapsedMs: number): string {
  const done = lines.length - (countStatuses(lines).get("unsent") ?? 0);
  return `sending   ${bar(done, lines.length)} ${accepted(lines)}/${lines.length} accepted · ${seconds(elapsedMs)}`;
}

export function applyingText(lines: readonly LineState[], elapsedMs: number): string {
  const counts = countStatuses(lines);
  const pending = (counts.get("queued") ?? 0) + (counts.get("processing") ?? 0);
  const settled = lines.length - pending - (counts.get("unsent") ?? 0);
  const parts = SHOWN_STATUSES.map((status) => `${counts.get(status) ?? 0} ${status}`);
  const refused = counts.get("refused") ?? 0;
  return [
    `applying  ${bar(settled, lines.length)} ${settled}/${lines.length}`,
    ...parts,
    ...(refused > 0 ? [`${refused} refused`] : []),
    `${pending} pending`,
    seconds(elapsedMs),
  ].join(" · ");
}
