/**
 * naiveSpeedup: "what most people would write" against the app's owners client, both as the body of a
 * queue-triggered worker in the same Functions host. The host's delivery rules are modelled in this
 * process for both sides identically (bench/lib/queue-host.ts, every value from host.json): at most
 * batchSize + newBatchThreshold invocations at once; an invocation that throws is redelivered
 * visibilityTimeout later, up to maxDequeueCount deliveries, then the message is poison (not completed).
 *
 *  - naive: a plain `ky.post` with ky's default retry. ky does not retry POST by default, so a 429
 *    throws an HTTPError at once and the host redelivers the change later.
 *  - ours: the worker's own owners client, built by the worker's composition root (`buildServices` in
 *    src/services.ts: `createOwnersClient` + a `PacingGate`, timeouts and inline-wait limit from the
 *    settings' defaults). A RetryLaterError becomes a re-enqueue with its delay, as process-job.ts does
 *    (counted as a delivery, against the same maxDequeueCount); a permanent API error is a recorded
 *    failure (no redelivery); any other error throws and is redelivered.
 *
 * Workload: N adds (300; quick: 150) of new owners, each side on its own fresh iTwins, each side started
 * at the beginning of a rate window. completed/s = changes completed ÷ the side's wall time, from its
 * start until every change is completed, failed or poisoned. naiveSpeedup = ours ÷ naive.
 */
import ky from "ky";
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from "../../dev/stack/credentials.ts";
import { systemClock } from "../../src/clock.ts";
import { parseSettings } from "../../src/config.ts";
import { OwnersCallError } from "../../src/itwin/errors/owners-call-error.ts";
import { RetryLaterError } from "../../src/itwin/errors/retry-later-error.ts";
import { createTokenProvider } from "../../src/itwin/token-provider.ts";
import { buildServices } from "../../src/services.ts";
import { ownersApiCounts } from "../lib/api-stats.ts";
import { progress } from "../lib/log.ts";
import {
  type HostRun,
  type Invocation,
  type QueueHostConfig,
  readQueueHostConfig,
  runQueueHost,
} from "../lib/queue-host.ts";
import type { ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { ORG_DOMAIN, SERVICE_OWNER, scenarioEnv, stack } from "../lib/stack.ts";
import { formatCounts } from "../lib/status.ts";
import { round, untilNextWindow } from "../lib/util.ts";

const ITWINS_PER_SIDE = 10;
const ACCEPT = "application/vnd.bentley.itwin-platform.v2+json";
/** Per side, on top of maxDequeueCount × (visibilityTimeout + one call's timeout): a stop, not an expectation. */
const DEADLINE_SLACK_MS = 30_000;
/** ky's default timeout, and the app's ITWIN_HTTP_TIMEOUT_MS default: the longest one call may take. */
const CALL_TIMEOUT_MS = 10_000;

interface Side {
  run: HostRun;
  rate: number;
  requests: number;
  tooMany: number;
}

type Change = { itwinId: string; email: string };

export async function naiveScenario({ args }: ScenarioContext): Promise<ScenarioOutcome> {
  const s = await stack(args.ceiling);
  const { simulator } = s;
  const host = await readQueueHostConfig();
  const n = args.quick ? 150 : 300;

  const workload = (side: string): Change[] => {
    const itwins = Array.from(
      { length: ITWINS_PER_SIDE },
      (_, i) =>
        simulator.state.addItwin({ name: `bench ${side} ${i}`, owners: [{ email: SERVICE_OWNER }] }).id,
    );
    return Array.from({ length: n }, (_, i) => ({
      itwinId: itwins[i % ITWINS_PER_SIDE] as string,
      email: `${side}-user${String(i).padStart(4, "0")}@${ORG_DOMAIN}`,
    }));
  };
  const ownersUrl = (itwinId: string) => `${simulator.url}/accesscontrol/itwins/${itwinId}/members/owners`;

  async function measure(side: string, invoke: (change: Change) => Promise<Invocation>): Promise<Side> {
    const changes = workload(side);
    await untilNextWindow(args.ceiling.windowMs);
    simulator.state.resetStats();
    const deadline =
      Date.now() + host.maxDequeueCount * (host.visibilityTimeoutMs + CALL_TIMEOUT_MS) + DEADLINE_SLACK_MS;
    const run = await runQueueHost(changes, host, invoke, deadline);
    const api = ownersApiCounts(simulator.state.stats());
    progress(
      `naive: ${side} completed ${run.completed}/${n} (poisoned ${run.poisoned}, failed ${run.failed}) in ${Math.round(run.wallMs)} ms`,
    );
    return {
      run,
      rate: run.completed / (run.wallMs / 1000),
      requests: api.requests,
      tooMany: api.tooMany,
    };
  }

  progress(
    `naive: ${n} adds, ${host.concurrency} at once, redelivery after ${host.visibilityTimeoutMs} ms up to ${host.maxDequeueCount} deliveries; ky defaults vs the owners client`,
  );

  // The naive side: a token fetched once, then plain ky with its defaults.
  const tokens = createTokenProvider({
    authority: simulator.url,
    clientId: DEV_CLIENT_ID,
    clientSecret: DEV_CLIENT_SECRET,
    scope: "itwin-platform",
    timeoutMs: CALL_TIMEOUT_MS,
    clock: systemClock,
  });
  const token = await tokens.getToken();
  const naive = await measure("naive-ky", async ({ itwinId, email }) => {
    try {
      await ky
        .post(ownersUrl(itwinId), {
          json: { email },
          headers: { authorization: `Bearer ${token}`, accept: ACCEPT },
        })
        .json();
      return { kind: "completed" };
    } catch (error) {
      const status = (error as { response?: { status?: number } }).response?.status;
      return { kind: "threw", reason: status ? `HTTP ${status}` : (error as Error).name };
    }
  });

  // Our side: the owners client exactly as the worker builds it (src/services.ts), from settings that
  // point at the simulator and the bench's azurite and leave everything else at its default. The
  // instance registry is started as the worker function starts it: the pacing gate sends nothing until
  // its process is admitted to a window (docs/rate-limits.md), and it is admitted alone at once.
  const settings = parseSettings(scenarioEnv(s, "naive"));
  const { owners, registry, ready } = buildServices(settings);
  await ready();
  await registry.start();
  const ours = await measure("ours", async ({ itwinId, email }) => {
    try {
      await owners.addOwner(itwinId, email);
      return { kind: "completed" };
    } catch (error) {
      if (error instanceof RetryLaterError) {
        return { kind: "reenqueued", delayMs: error.delayMs, reason: `RetryLater(${error.code})` };
      }
      if (error instanceof OwnersCallError && !error.transient) return { kind: "failed", reason: error.code };
      const code = (error as { code?: string }).code ?? (error as Error).name;
      return { kind: "threw", reason: code };
    }
  });

  await registry.stop();
  const speedup = naive.rate === 0 ? null : ours.rate / naive.rate;
  const describe = (side: Side) => {
    const { run } = side;
    return (
      `${run.completed}/${n} completed, ${run.poisoned} poisoned, ${run.failed} failed${run.unfinished > 0 ? `, ${run.unfinished} unfinished at the deadline` : ""}; ` +
      `wall ${round(run.wallMs / 1000, 2)} s = ${round(side.rate, 2)} completed/s; ` +
      `${run.deliveries} deliveries (${run.redeliveries} redelivered after a throw, ${run.reenqueues} re-enqueued, at most ${run.maxDeliveriesOfOneChange} for one change); ` +
      `${side.requests} owners calls, ${side.tooMany} answered 429` +
      (Object.keys(run.reasons).length > 0
        ? `; invocations not completing: ${formatCounts(run.reasons)}`
        : "")
    );
  };
  const notes: string[] = [];
  if (speedup === null) {
    notes.push("naiveSpeedup is null: the ky side completed no change, so there is no rate to divide by");
  }
  for (const [name, side] of [
    ["ky", naive],
    ["ours", ours],
  ] as const) {
    if (side.run.unfinished > 0) {
      notes.push(
        `naive (${name}): ${side.run.unfinished} change(s) unfinished at the deadline; wall time is the deadline`,
      );
    }
  }
  return {
    metrics: { naiveSpeedup: speedup === null ? null : round(speedup, 3) },
    notes,
    details: [
      { label: "workload", value: workloadText(n, host, args.ceiling.text) },
      { label: "ky defaults", value: describe(naive) },
      { label: "owners client", value: describe(ours) },
      {
        label: "speedup",
        value: `${round(ours.rate, 2)} ÷ ${round(naive.rate, 2)} completed/s (completed ${ours.run.completed} vs ${naive.run.completed} of ${n}; wall ${round(ours.run.wallMs / 1000, 2)} s vs ${round(naive.run.wallMs / 1000, 2)} s)`,
      },
    ],
  };
}

function workloadText(n: number, host: QueueHostConfig, ceiling: string): string {
  return `${n} adds per side on fresh iTwins, ceiling ${ceiling}; host.json: ${host.concurrency} at once (batchSize ${host.batchSize} + newBatchThreshold ${host.newBatchThreshold}), redelivery ${host.visibilityTimeoutMs} ms after a throw, poison after ${host.maxDequeueCount} deliveries`;
}
