/**
 * intakeOverhead: what the HTTP intake costs over the bare minimum of putting the same JSON on a queue.
 *
 * One runner. Sequentially (one request at a time), 200 POSTs of a single change to
 * /api/owner-changes (quick: 100) and 200 raw `QueueClient.sendMessage` calls of the same JSON to a
 * separate queue of the same azurite, interleaved (alternating which goes first) so both see the same
 * background; a warm-up of 20 each is discarded. overhead = mean HTTP time ÷ mean sendMessage time − 1.
 *
 * The worker is running: it consumes the accepted jobs meanwhile. The changes are `dryRun`, so it makes
 * no API call, only its status-table writes, which share azurite with both measurements.
 */
import { QueueClient } from "@azure/storage-queue";
import { progress } from "../lib/log.ts";
import type { ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { ORG_DOMAIN, SERVICE_OWNER, stack, startRunners } from "../lib/stack.ts";
import { mean, quantile, round } from "../lib/util.ts";

const WARM_UP = 20;

export async function intakeOverheadScenario({ args }: ScenarioContext): Promise<ScenarioOutcome> {
  const s = await stack(args.ceiling);
  const n = args.quick ? 100 : 200;
  const { id: itwinId } = s.simulator.state.addItwin({
    name: "bench intake",
    owners: [{ email: SERVICE_OWNER }],
  });
  const raw = new QueueClient(s.azurite.connectionString, "bench-intake-raw", {
    retryOptions: { maxTries: 1, tryTimeoutInMs: 10_000 },
  });
  await raw.createIfNotExists();

  const group = await startRunners(s, "intake", 1);
  try {
    const url = `${group.front.url}/api/owner-changes`;
    const http: number[] = [];
    const queue: number[] = [];
    const body = (i: number) =>
      JSON.stringify({ itwinId, email: `intake-${i}@${ORG_DOMAIN}`, action: "add", dryRun: true });

    const timeHttp = async (i: number) => {
      const started = performance.now();
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(i),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      const ms = performance.now() - started;
      if (response.status !== 202) throw new Error(`intake answered ${response.status}`);
      return ms;
    };
    const timeRaw = async (i: number) => {
      const started = performance.now();
      await raw.sendMessage(body(i));
      return performance.now() - started;
    };

    progress(`intake: ${WARM_UP} + ${n} sequential requests each way, interleaved`);
    for (let i = 0; i < WARM_UP + n; i++) {
      const httpFirst = i % 2 === 0;
      const a = httpFirst ? await timeHttp(i) : await timeRaw(i);
      const b = httpFirst ? await timeRaw(i) : await timeHttp(i);
      if (i < WARM_UP) continue;
      http.push(httpFirst ? a : b);
      queue.push(httpFirst ? b : a);
    }
    const meanHttp = mean(http);
    const meanQueue = mean(queue);
    const overhead = meanHttp / meanQueue - 1;
    const fmt = (values: number[]) =>
      `mean ${round(mean(values), 2)} ms, median ${round(quantile(values, 0.5), 2)} ms, p95 ${round(quantile(values, 0.95), 2)} ms`;
    return {
      metrics: { intakeOverhead: round(overhead, 3) },
      details: [
        { label: "HTTP intake (1 change)", value: `${n} sequential POSTs: ${fmt(http)}` },
        { label: "raw sendMessage", value: `${n} sequential sends of the same JSON: ${fmt(queue)}` },
        {
          label: "conditions",
          value: `interleaved, ${WARM_UP} warm-up each discarded; the worker ran meanwhile (dryRun changes: table writes, no API calls)`,
        },
      ],
    };
  } finally {
    await group.stop();
  }
}
