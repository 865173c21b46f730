/**
 * What the intake scenarios (intake-latency.ts, bulk-intake.ts) measure against each other (I/O shell):
 *
 * - the intake: one runner serving only the app's HTTP functions. On Azure (Flex Consumption) HTTP
 *   triggers scale in a group of their own, apart from each queue-triggered function, so the worker is
 *   not in the process that answers a POST; the runner leaves it (and the timer) out the host's way,
 *   `AzureWebJobs.<name>.Disabled`. The jobs stay on the queue, unread.
 * - the baseline: the least durable work one accepted change needs, done straight against the same
 *   azurite — one status-row insert, then one job message — with the app's own storage clients
 *   (`createStorageClients`: the same SDKs, retry options and connection handling) on queue and table
 *   names of their own, so neither side sees the other's rows or messages.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { jobFor } from "../../src/changes/accept.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { parseStorageSettings } from "../../src/config.ts";
import { createStorageClients, ensureStorage, type StorageClients } from "../../src/storage/clients.ts";
import { cpuMsFromStat } from "./intake-maths.ts";
import { namesFor, type RunnerGroup, type Stack, startRunners } from "./stack.ts";

/** The app's functions that are not HTTP triggers; each is disabled for the intake runner. */
const NOT_HTTP = [
  "ownerChangeWorker",
  "fanOutJobBundles",
  "ownerChangeRequestsIntake",
  "recoverStaleChanges",
];

/** One runner serving the HTTP functions only; fails if a non-HTTP function is still registered. */
export async function startIntakeRunner(s: Stack, tag: string): Promise<RunnerGroup> {
  const disabled = Object.fromEntries(NOT_HTTP.map((name) => [`AzureWebJobs.${name}.Disabled`, "true"]));
  const group = await startRunners(s, tag, 1, disabled);
  const response = await fetch(`${group.front.url}/admin/functions`, { signal: AbortSignal.timeout(10_000) });
  const listed = (await response.json()) as { name: string; trigger: { kind: string } }[];
  const left = listed.filter((fn) => fn.trigger.kind !== "http").map((fn) => fn.name);
  if (left.length > 0) {
    await group.stop();
    throw new Error(`intake runner still runs non-HTTP functions: ${left.join(", ")} (renamed?)`);
  }
  return group;
}

export interface DirectStorage {
  /** One change's insert + send, one after the other (the send waits for the insert, as accept does). */
  pair(change: { itwinId: string; email: string }): Promise<void>;
}

function scenarioStorage(s: Stack, tag: string): StorageClients {
  const names = namesFor(tag);
  return createStorageClients(
    parseStorageSettings({
      AzureWebJobsStorage: s.azurite.connectionString,
      OWNER_CHANGE_REQUESTS_QUEUE: names.requestsQueue,
      OWNER_CHANGE_JOBS_QUEUE: names.jobsQueue,
      OWNER_CHANGE_STATUS_TABLE: names.statusTable,
    }),
  );
}

export async function directStorage(s: Stack, tag: string): Promise<DirectStorage> {
  const clients = scenarioStorage(s, tag);
  await ensureStorage(clients);
  return {
    async pair({ itwinId, email }) {
      // A row of the status row's shape and size: the document as JSON plus the filterable columns.
      const at = new Date().toISOString();
      const doc: StatusDocument = {
        id: `r-${randomUUID()}`,
        status: "queued",
        itwinId,
        email,
        action: "add",
        dryRun: true,
        via: "http",
        correlationId: randomUUID(),
        attempts: 0,
        createdAt: at,
        updatedAt: at,
        history: [{ at, status: "queued", note: "received via http" }],
      };
      await clients.statusTable.createEntity({
        partitionKey: doc.id,
        rowKey: "status",
        document: JSON.stringify(doc),
        fingerprint: randomUUID(),
        status: doc.status,
        itwinId,
        email,
        action: doc.action,
        updatedAt: at,
      });
      await clients.jobsQueue.sendMessage(JSON.stringify(jobFor(doc)));
    },
  };
}

/** CPU ms used so far by each named process; this process by `process.cpuUsage`, others by /proc. */
export type CpuSnapshot = Record<string, number>;

/**
 * Reads the CPU time of the named processes, or undefined where there is no /proc (not Linux): wall
 * clock on a shared machine swings with everyone else's load, CPU time per change much less.
 */
export function cpuMeter(pids: Record<string, number>): (() => CpuSnapshot) | undefined {
  const read = (pid: number) => cpuMsFromStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  try {
    for (const pid of Object.values(pids)) read(pid);
  } catch {
    return undefined;
  }
  return () => {
    const own = process.cpuUsage();
    const snapshot: CpuSnapshot = { bench: (own.user + own.system) / 1000 };
    for (const [name, pid] of Object.entries(pids)) snapshot[name] = read(pid);
    return snapshot;
  };
}
