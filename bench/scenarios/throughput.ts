/**
 * throughputRatio1 / throughputRatio4 (and coldStart429): N add-changes through the real app — HTTP
 * intake, the jobs queue, the worker in 1 or 4 runner processes that share one OAuth client and therefore
 * one simulator budget — and completed changes per rate window used ÷ the window's limit.
 *
 * N = ceiling × 20 s (quick: × 8 s), distinct emails of the organisation's domain over 20 fresh iTwins,
 * submitted as HTTP batches of 100 to the first runner. Completion: every request terminal in the status
 * table.
 *
 * Throughput = succeeded ÷ (windows spanned × window length), where the windows spanned are every rate
 * window from the one in which the simulator counted the first owners-API request to the one in which it
 * counted the last, both included (the budget the run occupied). Ratio = that ÷ the ceiling, i.e.
 * succeeded ÷ (windows spanned × limit): 1.0 when every window of the run was filled. It cannot exceed 1
 * unless a window admitted more than the limit. The earlier estimator, succeeded ÷ (last terminal −
 * first POST), is printed beside it for comparison: it ends the clock at the last window's burst, not at
 * the window's end, so it read up to k/(k−1) of the truth for k windows.
 *
 * Steady state (`throughput1`, `throughput4`): after the runners are healthy the bench waits until every
 * process is in the instance registry and has counted the others (bench/lib/registry.ts), then submits.
 * Cold start (`throughput4cold`, reported as coldStart429): the same with 4 fresh runners, submitted the
 * moment they are healthy: each joins with a part of zero until the others count it, and the first
 * call is one probe (docs/rate-limits.md), so its target is no 429 at all.
 */

import { windowStart } from "../../dev/simulator/rate-limit.ts";
import { DEV_CLIENT_ID } from "../../dev/stack/credentials.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { budgetUse, formatPerWindow, ownersApiCounts } from "../lib/api-stats.ts";
import { progress, tail } from "../lib/log.ts";
import { HEARTBEAT_MARGIN_MS, registryTiming, waitForSettledRegistry } from "../lib/registry.ts";
import type { Detail, ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { namesFor, ORG_DOMAIN, SERVICE_OWNER, stack, startRunners } from "../lib/stack.ts";
import { countBy, formatCounts, readStatusDocs, statusTable, waitAllTerminal } from "../lib/status.ts";
import { type Change, submitBatches } from "../lib/submit.ts";
import { round } from "../lib/util.ts";

const ITWINS = 20;
/** Batches in flight at once: enough that the intake, which accepts a batch one change at a time, keeps ahead of the worker. */
const SUBMIT_CONCURRENCY = 4;
const POST_OWNERS = "POST /accesscontrol/itwins/{id}/members/owners";

/** `steady`: submit once every process has counted the others; `cold`: submit as soon as all are healthy. */
export type Start = "steady" | "cold";

/** Dry-run changes sent per nudge while waiting for every worker to register. */
const WARM_UP_BATCH = 50;

export function throughputScenario(workers: 1 | 4, start: Start = "steady") {
  return async ({ args }: ScenarioContext): Promise<ScenarioOutcome> => {
    const s = await stack(args.ceiling);
    const { limit, windowMs, rps } = args.ceiling;
    const tag = `tp${workers}${start === "cold" ? "cold" : ""}`;
    const seconds = args.quick ? 8 : 20;
    const n = Math.max(1, Math.round(rps * seconds));

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

      const label = `${workers} worker${workers > 1 ? "s" : ""}${start === "cold" ? ", cold start" : ""}`;
      const startDetails: Detail[] = [];
      let warmUps = 0;
      if (start === "steady") {
        const timing = registryTiming(table);
        const settled = await waitForSettledRegistry(table, workers, timing, async () => {
          // Dry runs: the worker takes them (and registers) without calling the API.
          const batch: Change[] = Array.from({ length: WARM_UP_BATCH }, (_, i) => ({
            itwinId: (itwins[i % ITWINS] as { id: string }).id,
            email: `${tag}-warmup${String(warmUps + i).padStart(5, "0")}@${ORG_DOMAIN}`,
            action: "add",
            dryRun: true,
          }));
          warmUps += batch.length;
          await submitBatches(group.front.url, batch, { concurrency: 1 });
        });
        progress(
          `${tag}: ${workers} worker(s) in the registry after ${settled.allRegisteredAfterMs} ms; ${settled.beatAgain}/${workers} counted again after ${settled.waitedMs} ms`,
        );
        startDetails.push({
          label: `${label}: start`,
          value: `steady state: ${workers} fresh row(s) in the instance registry ${settled.allRegisteredAfterMs} ms after all were healthy, then one heartbeat (${timing.heartbeatMs} ms, the registry's default) + ${HEARTBEAT_MARGIN_MS} ms; ${settled.beatAgain}/${workers} process(es) had beaten (and counted) again before the first POST, ${settled.waitedMs} ms in all`,
        });
      } else {
        startDetails.push({
          label: `${label}: start`,
          value:
            "cold: submitted the moment every runner answered /api/health; each registers on its first worker invocation, and peers learn of it only at their next heartbeat",
        });
      }

      s.simulator.state.resetStats();
      s.telemetry.start();
      progress(`${tag}: submitting ${n} add-changes (${n / rps} s of budget) to ${workers} worker(s)`);
      const submitted = await submitBatches(group.front.url, changes, { concurrency: SUBMIT_CONCURRENCY });
      progress(`${tag}: intake took ${submitted.lastAt - submitted.firstAt} ms; waiting for the worker(s)`);
      const expectedMs = (n / rps) * 1000;
      const wait = await waitAllTerminal({
        table,
        expected: n + warmUps,
        probablyDone: () => created() >= n,
        timeoutMs: Math.max(60_000, 4 * expectedMs),
        what: tag,
      });
      const decisions = s.telemetry.stop();
      const api = ownersApiCounts(s.simulator.state.stats());

      const ours = new Set(submitted.ids);
      const docs = (await readStatusDocs(table)).filter((doc) => ours.has(doc.id));
      const succeeded = docs.filter((doc) => doc.status === "succeeded");
      const use = budgetUse(decisions, DEV_CLIENT_ID, limit, windowMs);

      // The headline: succeeded changes per window of budget occupied.
      const ratio = use.windowsSpanned === 0 ? Number.NaN : succeeded.length / (use.windowsSpanned * limit);
      const rate = use.windowsSpanned === 0 ? 0 : succeeded.length / ((use.windowsSpanned * windowMs) / 1000);

      // The earlier estimator, for comparison: first POST → last terminal `updatedAt`.
      const terminalTimes = docs
        .filter((doc) => doc.status !== "queued" && doc.status !== "processing")
        .map((doc) => Date.parse(doc.updatedAt));
      const doneAt = wait.done && terminalTimes.length > 0 ? Math.max(...terminalTimes) : Date.now();
      const oldElapsedS = (doneAt - submitted.firstAt) / 1000;
      const oldRatio = succeeded.length / oldElapsedS / rps;
      const firstDone = terminalTimes.length > 0 ? Math.min(...terminalTimes) : doneAt;

      // Cross-check from the status documents: the `succeeded` transition is stamped right after the API
      // call returned, so its window is that of the call unless the call straddled a boundary.
      const fromDocs = docWindows(succeeded, windowMs);

      // The best this N allows: the W processes' fair shares add up to the limit per window (the pacing
      // gate, docs/rate-limits.md), so N needs at least ceil(N / limit) windows.
      const cap = limit;
      const bestRatio = n / (Math.ceil(n / cap) * limit);

      const reschedules = docs.filter((doc) => doc.attempts > 1).length;
      const ownersAdded = itwins.reduce(
        (sum, itwin) => sum + s.simulator.state.owners(itwin.id).length - 1,
        0,
      );

      // A sample confirmed through the app's own status route.
      const sample = submitted.ids.filter((_, i) => i % Math.max(1, Math.floor(n / 10)) === 0).slice(0, 10);
      let sampleOk = 0;
      for (const id of sample) {
        const response = await fetch(`${group.front.url}/api/owner-changes/${id}`, {
          signal: AbortSignal.timeout(10_000),
        });
        const doc = (await response.json()) as { status?: string };
        if (response.status === 200 && doc.status === "succeeded") sampleOk += 1;
      }

      const notes: string[] = [];
      if (!wait.done) {
        notes.push(`${tag}: only ${wait.terminal}/${n} terminal after ${wait.waitedMs} ms (timed out)`);
        progress(`${tag}: timed out; front runner log tail:\n${tail(group.front.logs())}`);
      }
      const share429 = api.requests === 0 ? Number.NaN : api.tooMany / api.requests;
      const metrics =
        start === "cold"
          ? { coldStart429: api.requests === 0 ? null : round(share429, 4) }
          : {
              [workers === 1 ? "throughputRatio1" : "throughputRatio4"]: Number.isNaN(ratio)
                ? null
                : round(ratio, 4),
            };
      return {
        metrics,
        ...(start === "steady" ? { rate429Parts: { requests: api.requests, tooMany: api.tooMany } } : {}),
        notes,
        details: [
          ...startDetails,
          {
            label: `${label}: changes`,
            value: `${n} adds over ${ITWINS} iTwins; ${succeeded.length} succeeded (${formatCounts(countBy(docs, (d) => d.outcome ?? d.status))}); ${ownersAdded} owners added in the simulator; status route sample ${sampleOk}/${sample.length} succeeded`,
          },
          {
            label: `${label}: throughput`,
            value: `ratio ${round(ratio, 4)} = ${succeeded.length} succeeded ÷ (${use.windowsSpanned} windows × ${limit}), i.e. ${round(rate, 2)}/s vs ceiling ${rps}/s over the windows from the first owners-API call to the last; best this N allows with fair shares of ${cap}/window: ${round(bestRatio, 4)}; old estimator (first POST → last terminal, ${round(oldElapsedS, 2)} s): ${round(oldRatio, 4)}`,
          },
          {
            label: `${label}: cross-check`,
            value: `status documents: the succeeded transitions span ${fromDocs} window(s) (ratio would read ${fromDocs === 0 ? "-" : round(succeeded.length / (fromDocs * limit), 4)})`,
          },
          {
            label: `${label}: where time went`,
            value: `intake ${submitted.lastAt - submitted.firstAt} ms; first POST → first owners call ${use.firstAt === undefined ? "-" : use.firstAt - submitted.firstAt} ms (${use.firstAt === undefined || use.firstWindowStart === undefined ? "-" : use.firstAt - use.firstWindowStart} ms into its window); → first completion ${firstDone - submitted.firstAt} ms; last owners call ${use.lastAt === undefined || use.lastWindowStart === undefined ? "-" : use.lastAt - use.lastWindowStart} ms into its window; → last terminal ${use.lastAt === undefined ? "-" : doneAt - use.lastAt} ms`,
          },
          {
            label: `${label}: budget use`,
            value: `${use.windowsSpanned} windows spanned; the ${use.innerWindows} between the first and the last: mean ${round(use.innerMeanUse * 100, 1)}% of ${limit} used, ${use.underused} under 90%; ${use.windowsWith429} window(s) with 429s`,
          },
          {
            label: `${label}: per-window budget use`,
            value: `admitted (+429s) per window from the first call: ${formatPerWindow(use)}`,
          },
          {
            label: `${label}: owners API`,
            value: `${api.requests} requests (${formatCounts(api.byStatus)}), 429 share ${round(share429, 4)}; ${reschedules} change(s) re-enqueued (attempts > 1); ${api.tokensIssued} token(s) issued`,
          },
        ],
      };
    } finally {
      await group.stop();
    }
  };
}

/** Windows from that of the earliest `succeeded` history entry to that of the latest, both included. */
function docWindows(docs: readonly StatusDocument[], windowMs: number): number {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const doc of docs) {
    const entry = doc.history?.find((item) => item.status === "succeeded");
    const at = entry?.at === undefined ? Number.NaN : Date.parse(entry.at);
    if (Number.isNaN(at)) continue;
    const start = windowStart(at, windowMs);
    first = Math.min(first, start);
    last = Math.max(last, start);
  }
  return Number.isFinite(first) ? Math.round((last - first) / windowMs) + 1 : 0;
}
