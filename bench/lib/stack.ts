/**
 * The shared stack: one in-memory azurite (child process) and one in-process iTwin API simulator at the
 * configured ceiling, started once and reused by every scenario; plus runner child processes serving the
 * real app, started and stopped by each scenario.
 */

import { type RunningSimulator, startSimulator } from "../../dev/simulator/server.ts";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { appEnv, DEV_SERVICE_OWNER } from "../../dev/stack/credentials.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import { type RunningRunner, startRunner } from "../../dev/stack/runner.ts";
import type { Ceiling } from "./args.ts";
import { onCleanup } from "./cleanup.ts";
import { progress, tail } from "./log.ts";

export const ORG_DOMAIN = "corp.example";
/** How the service client appears among an iTwin's owners (design §6). */
export const SERVICE_OWNER = DEV_SERVICE_OWNER;

/**
 * One owners-API request as the simulator's rate limiter counted it. The simulator keeps no per-request
 * timestamps in its stats (dev/simulator/stats.ts, state.ts: counters only), but it runs in this process,
 * so the bench watches its limiter's decisions (see `observeLimiter`): the time is the simulator's own
 * clock at the moment it counted the request, and the window is the one it counted it in.
 */
export interface LimiterDecision {
  /** The simulator's clock (epoch ms) when it counted the request. */
  at: number;
  /** Start of the rate window the request was counted in (epoch ms; windows are aligned to multiples of windowMs). */
  windowStart: number;
  /** false = answered 429 by the limiter. */
  allowed: boolean;
  clientId: string;
}

/** Collects the simulator's rate-limit decisions while a scenario is measuring. */
export class ApiTelemetry {
  #decisions: LimiterDecision[] | undefined;

  start(): void {
    this.#decisions = [];
  }

  stop(): LimiterDecision[] {
    const decisions = this.#decisions ?? [];
    this.#decisions = undefined;
    return decisions;
  }

  record(decision: LimiterDecision): void {
    this.#decisions?.push(decision);
  }
}

/**
 * Wraps the simulator's `rateLimiter.take` (the gateway calls it once per owners-API request that passed
 * the token check, before answering 429 or handling it) so every decision is also told to `telemetry`.
 * Observation only: the decision returned is the limiter's own, unchanged.
 */
function observeLimiter(simulator: RunningSimulator, telemetry: ApiTelemetry): void {
  const limiter = simulator.state.rateLimiter;
  const take = limiter.take.bind(limiter);
  limiter.take = (key, nowMs) => {
    const decision = take(key, nowMs);
    telemetry.record({
      at: nowMs,
      windowStart: decision.resetAtMs - decision.windowMs,
      allowed: decision.allowed,
      clientId: key,
    });
    return decision;
  };
}

export interface Stack {
  azurite: AzuriteInstance;
  simulator: RunningSimulator;
  telemetry: ApiTelemetry;
  ceiling: Ceiling;
}

let shared: Promise<Stack> | undefined;
let sharedSimulatorOnly: Promise<{ simulator: RunningSimulator; telemetry: ApiTelemetry }> | undefined;

async function startSharedSimulator(ceiling: Ceiling) {
  const telemetry = new ApiTelemetry();
  const simulator = await startSimulator({
    port: 0,
    rateLimit: { limit: ceiling.limit, windowMs: ceiling.windowMs },
    seed: false,
  });
  observeLimiter(simulator, telemetry);
  onCleanup("simulator", () => simulator.close());
  progress(`simulator on ${simulator.url}, ceiling ${ceiling.limit} per ${ceiling.windowMs} ms per client`);
  return { simulator, telemetry };
}

/** The simulator alone (scenarios that need no storage). */
export function simulatorOnly(ceiling: Ceiling) {
  sharedSimulatorOnly ??= startSharedSimulator(ceiling);
  return sharedSimulatorOnly;
}

/** Azurite plus the simulator, started on first use. */
export function stack(ceiling: Ceiling): Promise<Stack> {
  shared ??= (async () => {
    const [{ simulator, telemetry }, azurite] = await Promise.all([
      simulatorOnly(ceiling),
      (async () => {
        const instance = await startAzurite({ timeoutMs: 60_000 });
        onCleanup("azurite", () => instance.close());
        progress(`azurite on 127.0.0.1:${instance.queuePort} (queues) / ${instance.tablePort} (tables)`);
        return instance;
      })(),
    ]);
    return { azurite, simulator, telemetry, ceiling };
  })();
  return shared;
}

/**
 * The shared simulator with an azurite of the caller's own, closed by `close`. The intake scenarios
 * leave thousands of unread jobs and rows behind, and an in-memory azurite slows down for every later
 * scenario while it holds them (throughput1 read 0.17 after them, 0.95 alone); deleting the queues and
 * tables was not enough (the next scenario's submissions timed out while azurite still worked through
 * the deletes). An azurite that exits takes its memory with it.
 */
export async function isolatedStack(ceiling: Ceiling): Promise<Stack & { close(): Promise<void> }> {
  const [{ simulator, telemetry }, azurite] = await Promise.all([
    simulatorOnly(ceiling),
    startAzurite({ timeoutMs: 60_000 }),
  ]);
  const registered = onCleanup("isolated azurite", () => azurite.close());
  progress(`own azurite on 127.0.0.1:${azurite.queuePort} (queues) / ${azurite.tablePort} (tables)`);
  const close = async () => {
    registered();
    await azurite.close();
  };
  return { azurite, simulator, telemetry, ceiling, close };
}

/** Queue and table names of one scenario, so scenarios never see each other's messages or rows. */
export function namesFor(tag: string) {
  const clean = tag.toLowerCase().replace(/[^a-z0-9]/g, "");
  return {
    requestsQueue: `bench-${clean}-requests`,
    jobsQueue: `bench-${clean}-jobs`,
    statusTable: `Bench${clean}`,
  };
}

/** The app's settings for a runner of scenario `tag`: storage → azurite, ITWIN_* → the simulator. */
export function scenarioEnv(s: Stack, tag: string): Record<string, string> {
  const names = namesFor(tag);
  return {
    ...appEnv(s.azurite, s.simulator),
    OWNER_CHANGE_REQUESTS_QUEUE: names.requestsQueue,
    OWNER_CHANGE_JOBS_QUEUE: names.jobsQueue,
    OWNER_CHANGE_STATUS_TABLE: names.statusTable,
    // Whatever the caller's shell holds, the policy is open and nothing is a dry run.
    POLICY_ALLOWED_EMAIL_DOMAINS: "",
    POLICY_ALLOWED_ITWIN_IDS: "",
    POLICY_PROTECTED_OWNERS: "",
    POLICY_DRY_RUN: "false",
  };
}

export interface RunnerGroup {
  runners: RunningRunner[];
  /** The runner that receives the HTTP submissions. */
  front: RunningRunner;
  /** Stops every runner (SIGTERM, SIGKILL after 15 s). */
  stop(): Promise<void>;
}

/**
 * Starts `count` runner processes serving src/index.ts with the project's host.json (and `extraEnv`
 * over the scenario's settings), waits for each to say ready, then for each to answer GET /api/health
 * (which also proves storage is reachable).
 */
export async function startRunners(
  s: Stack,
  tag: string,
  count: number,
  extraEnv: Record<string, string> = {},
): Promise<RunnerGroup> {
  const env = { ...scenarioEnv(s, tag), ...extraEnv };
  const runners: RunningRunner[] = [];
  const disposers: (() => void)[] = [];
  const stop = async () => {
    await Promise.all(runners.map((runner) => runner.stop("SIGTERM", 15_000)));
    for (const dispose of disposers) dispose();
  };
  try {
    const results = await Promise.allSettled(
      Array.from({ length: count }, async () => {
        const runner = await startRunner({ entry: "src/index.ts", env, timeoutMs: 90_000 });
        runners.push(runner);
        disposers.push(onCleanup(`runner ${runner.pid}`, () => runner.stop("SIGTERM", 10_000)));
      }),
    );
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    await Promise.all(runners.map((runner) => waitHealthy(runner)));
  } catch (error) {
    await stop();
    throw error;
  }
  progress(`${count} runner(s) ready (${tag}): ${runners.map((r) => `pid ${r.pid}`).join(", ")}`);
  return { runners, front: runners[0] as RunningRunner, stop };
}

/** GET /api/health answers 200 (which also proves storage is reachable). */
async function waitHealthy(runner: RunningRunner, timeoutMs = 30_000): Promise<void> {
  let last = "";
  try {
    await waitFor(
      async () => {
        try {
          const response = await fetch(`${runner.url}/api/health`, { signal: AbortSignal.timeout(10_000) });
          last = `${response.status} ${await response.text()}`;
          return response.status === 200;
        } catch (error) {
          last = (error as Error).message;
          return false;
        }
      },
      `runner ${runner.pid} to be healthy`,
      timeoutMs,
      200,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (${last})\n${tail(runner.logs())}`);
  }
}
