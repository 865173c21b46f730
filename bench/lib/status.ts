/**
 * Reading the app's status documents through its own store (src/changes/status-store.ts), and waiting
 * until a scenario's requests are all terminal.
 */
import { setTimeout as delay } from "node:timers/promises";
import { RestError, TableClient } from "@azure/data-tables";
import type { StatusDocument } from "../../src/changes/model.ts";
import { type StatusSummary, TableStatusStore } from "../../src/changes/status-store.ts";
import { progress } from "./log.ts";

export const TERMINAL = new Set(["succeeded", "failed", "rejected"]);

export type StatusRow = StatusSummary;

export function statusTable(connectionString: string, table: string): TableClient {
  return TableClient.fromConnectionString(connectionString, table, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 2 },
  });
}

/** Every status document's plain columns (not the app's other rows in that table). */
export function readStatusRows(table: TableClient): Promise<StatusRow[]> {
  return orNoneWithoutTable(new TableStatusStore(table).listSummaries());
}

/** Every status document, read in full. */
export function readStatusDocs(table: TableClient): Promise<StatusDocument[]> {
  return orNoneWithoutTable(new TableStatusStore(table).listDocuments());
}

/** A scenario may look before the app has created its table. */
async function orNoneWithoutTable<T>(read: Promise<T[]>): Promise<T[]> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return [];
    throw error;
  }
}

export interface WaitOptions {
  table: TableClient;
  /** Requests the scenario submitted. */
  expected: number;
  /** Cheap in-process signal that the work is probably done (e.g. the simulator's count of 201s). */
  probablyDone?: () => boolean;
  timeoutMs: number;
  what: string;
}

export interface WaitResult {
  done: boolean;
  rows: StatusRow[];
  terminal: number;
  waitedMs: number;
}

/**
 * Polls until `expected` status rows are terminal: the in-process signal every 50 ms, the table when the
 * signal says so and otherwise every 2 s (so failed requests, which never reach the signal, end it too).
 */
export async function waitAllTerminal(options: WaitOptions): Promise<WaitResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let nextScan = started + 2_000;
  let lastReport = started;
  let rows: StatusRow[] = [];
  let terminal = 0;
  for (;;) {
    const now = Date.now();
    if (now >= nextScan || options.probablyDone?.()) {
      rows = await readStatusRows(options.table);
      terminal = rows.filter((row) => TERMINAL.has(row.status)).length;
      if (rows.length >= options.expected && terminal >= options.expected) {
        return { done: true, rows, terminal, waitedMs: Date.now() - started };
      }
      nextScan = Date.now() + (options.probablyDone?.() ? 100 : 2_000);
      if (Date.now() - lastReport >= 5_000) {
        lastReport = Date.now();
        progress(`${options.what}: ${terminal}/${options.expected} terminal`);
      }
    }
    if (Date.now() >= deadline) return { done: false, rows, terminal, waitedMs: Date.now() - started };
    await delay(50);
  }
}

/** Counts of a field over the documents, e.g. outcome → n. */
export function countBy(
  docs: StatusDocument[],
  key: (doc: StatusDocument) => string | undefined,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const doc of docs) {
    const value = key(doc) ?? "(none)";
    counts[value] = (counts[value] ?? 0) + 1;
  }
  return counts;
}

export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
}
