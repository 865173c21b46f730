/**
 * Waiting until the worker processes of a scenario know about each other, through the app's instance
 * registry (src/coordination/instance-registry.ts): each process writes a heartbeat on its first worker
 * invocation (only processes that call the API take a share of its budget) and every heartbeat interval
 * after, and counts the heartbeats seen within the stale limit. A process learns of a peer that registered after it only at its own next heartbeat,
 * so until then it takes more than its fair share of the client's budget.
 */
import { setTimeout as delay } from "node:timers/promises";
import { RestError, type TableClient } from "@azure/data-tables";
import { systemClock } from "../../src/clock.ts";
import { InstanceRegistry } from "../../src/coordination/instance-registry.ts";

/**
 * After every process has beaten again, the count it makes from that beat's listing lands a few ms after
 * its row's `lastSeen`; on a loaded 2-core machine timers also fire late. This much is added to the
 * heartbeat interval before submitting.
 */
export const HEARTBEAT_MARGIN_MS = 500;

export interface RegistryTiming {
  heartbeatMs: number;
  staleMs: number;
}

/**
 * The registry's own defaults (heartbeat interval, stale limit), read from an InstanceRegistry that is
 * built but never started (its constructor does no I/O), so the bench follows the module if they change.
 */
export function registryTiming(table: TableClient): RegistryTiming {
  const { heartbeatMs, staleMs } = new InstanceRegistry(table, { clock: systemClock });
  return { heartbeatMs, staleMs };
}

interface HeartbeatRow {
  instanceId: string;
  lastSeen: number;
}

/** The registered processes and their last beats, as the registry itself reads them. */
async function heartbeatRows(table: TableClient): Promise<HeartbeatRow[]> {
  try {
    const beats = await new InstanceRegistry(table, { clock: systemClock }).heartbeats();
    return [...beats].map(([instanceId, { lastSeen }]) => ({ instanceId, lastSeen }));
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return [];
    throw error;
  }
}

export interface SettledRegistry {
  /** ms from the call until `expected` fresh rows were seen. */
  allRegisteredAfterMs: number;
  /** Processes that had beaten again when the wait ended (normally `expected`). */
  beatAgain: number;
  /** ms actually waited in all. */
  waitedMs: number;
}

/**
 * Polls the registry (every 200 ms, bounded by `timeoutMs`) until it holds `expected` fresh rows, then
 * waits one heartbeat interval plus HEARTBEAT_MARGIN_MS so every process has made a count that sees all
 * of them, and checks it: every fresh row's `lastSeen` must be later than the moment all were present
 * (that beat listed them all). If one has not, it polls on for up to one more interval and reports it.
 */
export async function waitForSettledRegistry(
  table: TableClient,
  expected: number,
  timing: RegistryTiming,
  nudge: () => Promise<void>,
  timeoutMs = 30_000,
): Promise<SettledRegistry> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let allPresentAt: number | undefined;
  let fresh: HeartbeatRow[] = [];
  let lastNudge = 0;
  while (Date.now() < deadline) {
    const now = Date.now();
    fresh = (await heartbeatRows(table)).filter((row) => now - row.lastSeen <= timing.staleMs);
    if (fresh.length >= expected) {
      allPresentAt = now;
      break;
    }
    // A process registers on its first worker invocation: keep work on the queue until every one has.
    if (now - lastNudge >= 1_000) {
      lastNudge = now;
      await nudge();
    }
    await delay(200);
  }
  if (allPresentAt === undefined) {
    throw new Error(
      `the instance registry showed ${fresh.length} of ${expected} live workers after ${timeoutMs} ms`,
    );
  }
  await delay(timing.heartbeatMs + HEARTBEAT_MARGIN_MS);
  const checkDeadline = Date.now() + timing.heartbeatMs;
  let beatAgain = 0;
  for (;;) {
    const now = Date.now();
    const rows = (await heartbeatRows(table)).filter((row) => now - row.lastSeen <= timing.staleMs);
    beatAgain = rows.filter((row) => row.lastSeen > (allPresentAt as number)).length;
    if (beatAgain >= expected || now >= checkDeadline) break;
    await delay(200);
  }
  return {
    allRegisteredAfterMs: allPresentAt - started,
    beatAgain,
    waitedMs: Date.now() - started,
  };
}
