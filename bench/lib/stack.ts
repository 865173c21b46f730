/**
 * The shared stack: one in-memory azurite (child process) and one in-process iTwin API simulator at the
 * configured ceiling, started once and reused by every scenario; plus runner child processes serving the
 * real app, started and stopped by each scenario.
 */
import { setTimeout as delay } from "node:timers/promises";
import { type RunningSimulator, startSimulator } from "../../dev/simulator/server.ts";
import { type AzuriteInstance, startAzurite } from "../../test/support/azurite.ts";
import { type RunningRunner, startRunner } from "../../test/support/runner.ts";
import type { Ceiling } from "./args.ts";
import { onCleanup } from "./cleanup.ts";
import { progress, tail } from "./log.ts";

export const CLIENT_ID = "itwin-owner-automation-dev";
export const CLIENT_SECRET = "dev-secret";
export const ORG_DOMAIN = "corp.example";
/** How the service client appears among an iTwin's owners (design §6). */
export const SERVICE_OWNER = `${CLIENT_ID}@apps.imsoidc.bentley.com`;

/** One answered (or cut off) request to the simulator, as its request log reports it. */
export interface ApiEvent {
  /** Epoch ms when the response ended. */
  at: number;
  method: string;
  /** True for the owners API (not discovery, token or admin). */
  owners: boolean;
  status: number | undefined;
}

/** Collects the simulator's request log while a scenario is measuring. */
export class ApiTelemetry {
  #events: ApiEvent[] | undefined;

  start(): void {
    this.#events = [];
  }

  stop(): ApiEvent[] {
    const events = this.#events ?? [];
    this.#events = undefined;
    return events;
  }

  /** The simulator's log line: `METHOD /path?query STATUS|(no response) 12ms client=… notes`. */
  record(line: string): void {
    if (this.#events === undefined) return;
    const [method = "", path = "", statusText = ""] = line.split(" ");
    const status = /^\d{3}$/.test(statusText) ? Number(statusText) : undefined;
    this.#events.push({ at: Date.now(), method, owners: path.startsWith("/accesscontrol/"), status });
  }
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
    log: (line) => telemetry.record(line),
  });
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
export function appEnv(s: Stack, tag: string): Record<string, string> {
  const names = namesFor(tag);
  return {
    AzureWebJobsStorage: s.azurite.connectionString,
    ITWIN_API_BASE_URL: s.simulator.url,
    ITWIN_AUTHORITY: s.simulator.url,
    ITWIN_CLIENT_ID: CLIENT_ID,
    ITWIN_CLIENT_SECRET: CLIENT_SECRET,
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
 * Starts `count` runner processes serving src/index.ts with the project's host.json, waits for each to
 * say ready, then for each to answer GET /api/health (which also proves storage is reachable).
 */
export async function startRunners(s: Stack, tag: string, count: number): Promise<RunnerGroup> {
  const env = appEnv(s, tag);
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

async function waitHealthy(runner: RunningRunner, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${runner.url}/api/health`, { signal: AbortSignal.timeout(10_000) });
      last = `${response.status} ${await response.text()}`;
      if (response.status === 200) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await delay(200);
  }
  throw new Error(
    `runner ${runner.pid} not healthy within ${timeoutMs} ms (${last})\n${tail(runner.logs())}`,
  );
}
