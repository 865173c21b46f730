/**
 * naiveSpeedup: the same 429-heavy workload applied twice in this process against the simulator at the
 * configured ceiling — N adds (300; quick: 150) with 24 in flight at a time, i.e. far more than one
 * window allows — once with a plain ky client (ky's default retry, which does not retry POST), once
 * with the app's owners client (`createOwnersClient` + a `PacingGate`, the real clock). Each side adds
 * new owners to its own fresh iTwins and starts at the beginning of a rate window.
 *
 * completed/s = changes whose add succeeded ÷ wall time of the side. A naive call that throws is a
 * change not completed. For the owners client, a RetryLaterError (the worker would re-enqueue the job
 * with that visibility delay) is waited out in process and the change tried again, up to 8 attempts
 * (RETRY_MAX_ATTEMPTS' default); any other error is a change not completed.
 */
import { setTimeout as delay } from "node:timers/promises";
import ky from "ky";
import { systemClock } from "../../src/clock.ts";
import { RetryLaterError } from "../../src/itwin/errors.ts";
import { createOwnersClient } from "../../src/itwin/owners-client.ts";
import { PacingGate } from "../../src/itwin/pacing.ts";
import { createTokenProvider } from "../../src/itwin/token-provider.ts";
import { ownersApiCounts } from "../lib/api-stats.ts";
import { progress } from "../lib/log.ts";
import type { ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { CLIENT_ID, CLIENT_SECRET, ORG_DOMAIN, SERVICE_OWNER, simulatorOnly } from "../lib/stack.ts";
import { formatCounts } from "../lib/status.ts";
import { round, runPool, untilNextWindow } from "../lib/util.ts";

const CONCURRENCY = 24;
const ITWINS_PER_SIDE = 10;
const MAX_ATTEMPTS = 8;
const ACCEPT = "application/vnd.bentley.itwin-platform.v2+json";

interface SideResult {
  completed: number;
  wallMs: number;
  rate: number;
  failures: Record<string, number>;
  requests: number;
  tooMany: number;
  extraAttempts: number;
}

export async function naiveScenario({ args }: ScenarioContext): Promise<ScenarioOutcome> {
  const { simulator } = await simulatorOnly(args.ceiling);
  const n = args.quick ? 150 : 300;
  const tokens = createTokenProvider({
    authority: simulator.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    scope: "itwin-platform",
    timeoutMs: 10_000,
    clock: systemClock,
  });
  const token = await tokens.getToken();

  const workload = (side: string) => {
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

  async function measure(
    side: string,
    apply: (change: {
      itwinId: string;
      email: string;
    }) => Promise<{ ok: boolean; failure?: string; attempts: number }>,
  ): Promise<SideResult> {
    const changes = workload(side);
    await untilNextWindow(args.ceiling.windowMs);
    simulator.state.resetStats();
    const failures: Record<string, number> = {};
    let completed = 0;
    let extraAttempts = 0;
    const started = performance.now();
    await runPool(changes, CONCURRENCY, async (change) => {
      const result = await apply(change);
      extraAttempts += result.attempts - 1;
      if (result.ok) completed += 1;
      else failures[result.failure ?? "?"] = (failures[result.failure ?? "?"] ?? 0) + 1;
    });
    const wallMs = performance.now() - started;
    const api = ownersApiCounts(simulator.state.stats());
    progress(`naive: ${side} completed ${completed}/${n} in ${Math.round(wallMs)} ms`);
    return {
      completed,
      wallMs,
      rate: completed / (wallMs / 1000),
      failures,
      requests: api.requests,
      tooMany: api.tooMany,
      extraAttempts,
    };
  }

  progress(`naive: ${n} adds, ${CONCURRENCY} in flight, ky defaults vs the owners client`);
  const naive = await measure("naive-ky", async ({ itwinId, email }) => {
    try {
      await ky
        .post(ownersUrl(itwinId), {
          json: { email },
          headers: { authorization: `Bearer ${token}`, accept: ACCEPT },
        })
        .json();
      return { ok: true, attempts: 1 };
    } catch (error) {
      const status = (error as { response?: { status?: number } }).response?.status;
      return { ok: false, failure: status ? `HTTP ${status}` : (error as Error).name, attempts: 1 };
    }
  });

  const client = createOwnersClient({
    baseUrl: simulator.url,
    getToken: () => tokens.getToken(),
    invalidateToken: (stale) => tokens.invalidate(stale),
    timeoutMs: 10_000,
    clock: systemClock,
    maxInlineWaitMs: 5_000,
    gate: new PacingGate(),
  });
  const ours = await measure("ours", async ({ itwinId, email }) => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        await client.addOwner(itwinId, email);
        return { ok: true, attempts: attempt };
      } catch (error) {
        if (error instanceof RetryLaterError && attempt < MAX_ATTEMPTS) {
          await delay(error.delayMs);
          continue;
        }
        const code = (error as { code?: string }).code ?? (error as Error).name;
        return { ok: false, failure: code, attempts: attempt };
      }
    }
    return { ok: false, failure: "attempts exhausted", attempts: MAX_ATTEMPTS };
  });

  const speedup = naive.completed === 0 ? null : ours.rate / naive.rate;
  const describe = (side: SideResult) =>
    `${side.completed}/${n} completed in ${round(side.wallMs / 1000, 2)} s = ${round(side.rate, 1)}/s; ${side.requests} owners calls, ${side.tooMany} answered 429` +
    (Object.keys(side.failures).length > 0 ? `; not completed: ${formatCounts(side.failures)}` : "");
  const notes =
    speedup === null
      ? ["naiveSpeedup is null: the ky client completed no change, so there is no rate to divide by"]
      : [];
  return {
    metrics: { naiveSpeedup: speedup === null ? null : round(speedup, 3) },
    notes,
    details: [
      { label: "workload", value: `${n} adds, ${CONCURRENCY} in flight, ceiling ${args.ceiling.text}` },
      { label: "ky defaults", value: describe(naive) },
      {
        label: "owners client",
        value: `${describe(ours)}; ${ours.extraAttempts} re-tries after RetryLaterError`,
      },
      {
        label: "completion share",
        value: `ky ${round(naive.completed / n, 3)} vs ours ${round(ours.completed / n, 3)} (completed/s divides by each side's own wall time)`,
      },
    ],
  };
}
