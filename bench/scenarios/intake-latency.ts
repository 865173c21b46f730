/**
 * intakeLatencyRatio: what one POST of one change costs a caller, against the least durable work the
 * contract needs (design §3: a status record and a job before the 202), done directly.
 *
 * One runner serving the HTTP functions only (lib/intake-stack.ts). Sequentially, one request at a
 * time, 300 POSTs of a single change to /api/owner-changes (quick: 150) and 300 direct insert + send
 * pairs against the same azurite with the app's storage clients, interleaved (alternating which goes
 * first) so both see the same background; a warm-up of 30 each is discarded (connections open, JIT
 * warm, azurite's tables and queues created). ratio = median POST ÷ median pair.
 */

import { compareLatency, firstSide, type Side } from "../lib/intake-maths.ts";
import { directStorage, startIntakeRunner } from "../lib/intake-stack.ts";
import { progress } from "../lib/log.ts";
import type { ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { isolatedStack, ORG_DOMAIN, SERVICE_OWNER } from "../lib/stack.ts";

const WARM_UP = 30;

export async function intakeLatencyScenario({ args }: ScenarioContext): Promise<ScenarioOutcome> {
  const s = await isolatedStack(args.ceiling);
  const n = args.quick ? 150 : 300;
  const { id: itwinId } = s.simulator.state.addItwin({
    name: "bench intake latency",
    owners: [{ email: SERVICE_OWNER }],
  });
  const direct = await directStorage(s, "intakelatencydirect");
  const group = await startIntakeRunner(s, "intakelatency");
  try {
    const url = `${group.front.url}/api/owner-changes`;
    const change = (i: number) => ({ itwinId, email: `latency-${i}@${ORG_DOMAIN}` });
    const time: Record<Side, (i: number) => Promise<number>> = {
      intake: async (i) => {
        const started = performance.now();
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...change(i), action: "add", dryRun: true }),
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer();
        const ms = performance.now() - started;
        if (response.status !== 202) throw new Error(`intake answered ${response.status}`);
        return ms;
      },
      direct: async (i) => {
        const started = performance.now();
        await direct.pair(change(i));
        return performance.now() - started;
      },
    };

    progress(`intakeLatency: ${WARM_UP} + ${n} sequential single changes each way, interleaved`);
    const samples: Record<Side, number[]> = { intake: [], direct: [] };
    for (let i = 0; i < WARM_UP + n; i++) {
      const first = firstSide(i);
      const second: Side = first === "intake" ? "direct" : "intake";
      const a = await time[first](i);
      const b = await time[second](i);
      if (i < WARM_UP) continue;
      samples[first].push(a);
      samples[second].push(b);
    }
    const result = compareLatency(samples.intake, samples.direct);
    const fmt = (x: typeof result.intake) =>
      `median ${x.medianMs} ms, mean ${x.meanMs} ms, p95 ${x.p95Ms} ms (${x.samples} samples)`;
    return {
      metrics: {
        intakeLatencyRatio: result.ratio,
        intakeLatencyMs: result.intake.medianMs,
        intakeDirectLatencyMs: result.direct.medianMs,
      },
      details: [
        { label: "POST 1 change (HTTP intake)", value: fmt(result.intake) },
        { label: "direct insert + send", value: fmt(result.direct) },
        {
          label: "conditions",
          value: `sequential, interleaved, ${WARM_UP} warm-up each discarded; runner serves HTTP functions only; same azurite, separate queues and tables`,
        },
      ],
    };
  } finally {
    await group.stop();
    await s.close();
  }
}
