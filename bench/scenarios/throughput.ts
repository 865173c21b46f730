/**
 * throughputRatio1 / throughputRatio4: N add-changes through the real app — HTTP intake, the jobs queue,
 * the worker in 1 or 4 runner processes that share one OAuth client and therefore one simulator budget —
 * and completed changes per second ÷ the configured ceiling.
 *
 * N = ceiling × 20 s (quick: × 8 s), distinct emails of the organisation's domain over 20 fresh iTwins,
 * submitted as HTTP batches of 100 to the first runner. Completion: every request terminal in the status
 * table. Throughput = succeeded ÷ (last terminal `updatedAt` − first POST).
 */
import { ownersApiCounts, windowUse } from "../lib/api-stats.ts";
import { progress, tail } from "../lib/log.ts";
import type { ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { namesFor, ORG_DOMAIN, SERVICE_OWNER, stack, startRunners } from "../lib/stack.ts";
import {
  countBy,
  formatCounts,
  parseDocs,
  readStatusRows,
  statusTable,
  waitAllTerminal,
} from "../lib/status.ts";
import { type Change, submitBatches } from "../lib/submit.ts";
import { round } from "../lib/util.ts";

const ITWINS = 20;
/** Batches in flight at once: enough that the intake, which accepts a batch one change at a time, keeps ahead of the worker. */
const SUBMIT_CONCURRENCY = 4;
const POST_OWNERS = "POST /accesscontrol/itwins/{id}/members/owners";

export function throughputScenario(workers: 1 | 4) {
  return async ({ args }: ScenarioContext): Promise<ScenarioOutcome> => {
    const s = await stack(args.ceiling);
    const tag = `tp${workers}`;
    const seconds = args.quick ? 8 : 20;
    const n = Math.max(1, Math.round(args.ceiling.rps * seconds));

    const itwins = Array.from({ length: ITWINS }, (_, i) =>
      s.simulator.state.addItwin({ name: `bench ${tag} ${i}`, owners: [{ email: SERVICE_OWNER }] }),
    );
    const changes: Change[] = Array.from({ length: n }, (_, i) => ({
      itwinId: (itwins[i % ITWINS] as { id: string }).id,
      email: `${tag}-user${String(i).padStart(5, "0")}@${ORG_DOMAIN}`,
      action: "add",
    }));

    const group = await startRunners(s, tag, workers);
    try {
      const table = statusTable(s.azurite.connectionString, namesFor(tag).statusTable);
      const created = () => s.simulator.state.stats().byRoute[POST_OWNERS]?.byStatus[201] ?? 0;

      s.simulator.state.resetStats();
      s.telemetry.start();
      progress(
        `${tag}: submitting ${n} add-changes (${n / args.ceiling.rps} s of budget) to ${workers} worker(s)`,
      );
      const submitted = await submitBatches(group.front.url, changes, { concurrency: SUBMIT_CONCURRENCY });
      progress(`${tag}: intake took ${submitted.lastAt - submitted.firstAt} ms; waiting for the worker(s)`);
      const expectedMs = (n / args.ceiling.rps) * 1000;
      const wait = await waitAllTerminal({
        table,
        expected: n,
        probablyDone: () => created() >= n,
        timeoutMs: Math.max(60_000, 4 * expectedMs),
        what: tag,
      });
      const events = s.telemetry.stop();
      const api = ownersApiCounts(s.simulator.state.stats());

      const ours = new Set(submitted.ids);
      const docs = parseDocs(await readStatusRows(table, true)).filter((doc) => ours.has(doc.id));
      const succeeded = docs.filter((doc) => doc.status === "succeeded");
      const terminalTimes = docs
        .filter((doc) => doc.status !== "queued" && doc.status !== "processing")
        .map((doc) => Date.parse(doc.updatedAt));
      const doneAt = wait.done && terminalTimes.length > 0 ? Math.max(...terminalTimes) : Date.now();
      const elapsedS = (doneAt - submitted.firstAt) / 1000;
      const rate = succeeded.length / elapsedS;
      const ratio = rate / args.ceiling.rps;
      const firstDone = terminalTimes.length > 0 ? Math.min(...terminalTimes) : doneAt;
      const steady = succeeded.length > 1 ? (succeeded.length - 1) / ((doneAt - firstDone) / 1000) : 0;
      const use = windowUse(events, args.ceiling.limit, args.ceiling.windowMs);
      const reschedules = docs.filter((doc) => doc.attempts > 1).length;
      const ownersAdded = itwins.reduce(
        (sum, itwin) => sum + s.simulator.state.owners(itwin.id).length - 1,
        0,
      );

      // A sample confirmed through the app's own status route.
      const sample = submitted.ids.filter((_, i) => i % Math.max(1, Math.floor(n / 10)) === 0).slice(0, 10);
      let sampleOk = 0;
      for (const id of sample) {
        const response = await fetch(`${group.front.url}/api/owner-changes/${id}`);
        const doc = (await response.json()) as { status?: string };
        if (response.status === 200 && doc.status === "succeeded") sampleOk += 1;
      }

      // A fixed window admits `limit` calls anywhere inside it, so N calls can finish just after the start
      // of their k-th window: the best possible ratio for this N is N / ((k − 1) windows × ceiling).
      const windowsNeeded = Math.ceil(n / args.ceiling.limit);
      const bestRatio =
        windowsNeeded > 1
          ? n / (((windowsNeeded - 1) * args.ceiling.windowMs) / 1000) / args.ceiling.rps
          : Number.POSITIVE_INFINITY;
      const notes: string[] = [];
      if (!wait.done) {
        notes.push(`${tag}: only ${wait.terminal}/${n} terminal after ${wait.waitedMs} ms (timed out)`);
        progress(`${tag}: timed out; front runner log tail:\n${tail(group.front.logs())}`);
      }
      const label = `${workers} worker${workers > 1 ? "s" : ""}`;
      return {
        metrics: { [workers === 1 ? "throughputRatio1" : "throughputRatio4"]: round(ratio, 4) },
        rate429Parts: { requests: api.requests, tooMany: api.tooMany },
        notes,
        details: [
          {
            label: `${label}: changes`,
            value: `${n} adds over ${ITWINS} iTwins; ${succeeded.length} succeeded (${formatCounts(countBy(docs, (d) => d.outcome ?? d.status))}); ${ownersAdded} owners added in the simulator; status route sample ${sampleOk}/${sample.length} succeeded`,
          },
          {
            label: `${label}: throughput`,
            value: `${round(rate, 2)}/s over ${round(elapsedS, 2)} s (first POST → last terminal) vs ceiling ${args.ceiling.rps}/s (ratio can reach ${round(bestRatio, 3)} for this N under fixed windows); steady ${round(steady, 2)}/s from first to last completion`,
          },
          {
            label: `${label}: where time went`,
            value: `intake ${submitted.lastAt - submitted.firstAt} ms; first POST → first owners call ${use.firstAt === undefined ? "-" : use.firstAt - submitted.firstAt} ms; → first completion ${firstDone - submitted.firstAt} ms; last owners call → last terminal ${use.lastAt === undefined ? "-" : doneAt - use.lastAt} ms`,
          },
          {
            label: `${label}: budget use`,
            value: `${use.fullWindows} full windows, mean ${round(use.meanUse * 100, 1)}% of ${args.ceiling.limit} used, ${use.underused} under 90%; ${use.windowsWith429} window(s) with 429s${use.where429 ? ` (window from the first call: 429s — ${use.where429})` : ""}`,
          },
          {
            label: `${label}: owners API`,
            value: `${api.requests} requests (${formatCounts(api.byStatus)}), 429 share ${round(api.tooMany / Math.max(1, api.requests), 4)}; ${reschedules} change(s) re-enqueued (attempts > 1); ${api.tokensIssued} token(s) issued`,
          },
        ],
      };
    } finally {
      await group.stop();
    }
  };
}
