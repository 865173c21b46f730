import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { LogLevelName } from "./log.ts";
import { toLogLevel } from "./log.ts";

/**
 * host.json, as far as the local runner needs it: the HTTP route prefix, the queue trigger options
 * (`extensions.queues`, storage extension 5.x semantics) and log levels. Pure parsing — the caller
 * reads the file — so defaults and validation are unit-testable.
 */

export type MessageEncoding = "base64" | "none";

export interface QueuesOptions {
  /** Messages fetched per receive call (1–32). */
  batchSize: number;
  /** A new batch is fetched once no more than this many messages are in flight. */
  newBatchThreshold: number;
  /** Upper bound of the empty-queue polling back-off (≥ 100 ms). */
  maxPollingIntervalMs: number;
  /** Delay before a failed message becomes visible again. */
  visibilityTimeoutMs: number;
  /** After this many failed deliveries a message moves to `<queue>-poison`. */
  maxDequeueCount: number;
  messageEncoding: MessageEncoding;
}

export interface HostConfig {
  routePrefix: string;
  queues: QueuesOptions;
  /** `functionTimeout`, when set (informational: the runner does not kill invocations). */
  functionTimeoutMs: number | undefined;
  /** `logging.logLevel`, keys as written (`default`, `Function`, `Function.<name>`, …). */
  logLevels: Record<string, LogLevelName>;
}

export class HostConfigError extends Error {
  override name = "HostConfigError";
}

export const MIN_POLLING_INTERVAL_MS = 100;
const DEFAULT_MAX_POLLING_INTERVAL_MS = 60_000;
const DEFAULT_BATCH_SIZE = 16;
const MAX_BATCH_SIZE = 32;
const DEFAULT_MAX_DEQUEUE_COUNT = 5;

/**
 * Parses a .NET `TimeSpan` as host.json writes it — `hh:mm`, `hh:mm:ss`, `hh:mm:ss.fffffff`,
 * `d.hh:mm:ss[.fffffff]`, or a bare `d` (days, as `TimeSpan.Parse` reads it) — or a number of
 * milliseconds. Returns milliseconds.
 */
export function parseTimeSpan(value: unknown, what = "value"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new HostConfigError(`${what}: expected a non-negative number of milliseconds, got ${value}`);
    }
    return value;
  }
  if (typeof value !== "string") {
    throw new HostConfigError(
      `${what}: expected a TimeSpan string like "00:00:30", got ${JSON.stringify(value)}`,
    );
  }
  const text = value.trim();
  const days = /^(\d+)$/.exec(text);
  if (days) {
    return Number(days[1]) * 86_400_000;
  }
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(text);
  if (!match) {
    throw new HostConfigError(`${what}: "${value}" is not a TimeSpan (expected "hh:mm:ss", e.g. "00:00:30")`);
  }
  const [, d = "0", h = "0", m = "0", s = "0", fraction = ""] = match;
  const hours = Number(h);
  const minutes = Number(m);
  const seconds = Number(s);
  if (hours > 23 || minutes > 59 || seconds > 59) {
    throw new HostConfigError(`${what}: "${value}" has an out-of-range hour, minute or second`);
  }
  const fractionMs = fraction === "" ? 0 : Number(`0.${fraction}`) * 1000;
  return Math.round(((Number(d) * 24 + hours) * 60 + minutes) * 60_000 + seconds * 1000 + fractionMs);
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) {
    return {};
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new HostConfigError(`${what}: expected an object`);
  }
  return value as Record<string, unknown>;
}

/** host.json keys are case-insensitive (the host binds them with .NET configuration). */
function pick(record: Record<string, unknown>, key: string): unknown {
  if (key in record) {
    return record[key];
  }
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(record)) {
    if (k.toLowerCase() === lower) {
      return v;
    }
  }
  return undefined;
}

function intInRange(value: unknown, what: string, min: number, max: number): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new HostConfigError(
      `${what}: expected an integer between ${min} and ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export interface ParseHostJsonOptions {
  /** Processor count for the `newBatchThreshold` default (batchSize / 2 × cores). */
  cores?: number;
}

/** Parses host.json content (already JSON-parsed) with the host's defaults. */
export function parseHostJson(json: unknown, options: ParseHostJsonOptions = {}): HostConfig {
  const cores = options.cores ?? availableParallelism();
  const root = asRecord(json, "host.json");
  const extensions = asRecord(pick(root, "extensions"), "host.json extensions");
  const http = asRecord(pick(extensions, "http"), "host.json extensions.http");
  const queues = asRecord(pick(extensions, "queues"), "host.json extensions.queues");

  const prefixRaw = pick(http, "routePrefix");
  if (prefixRaw !== undefined && typeof prefixRaw !== "string") {
    throw new HostConfigError("extensions.http.routePrefix: expected a string");
  }
  const routePrefix = (prefixRaw ?? "api").trim().replace(/^\/+|\/+$/g, "");

  const batchSizeRaw = pick(queues, "batchSize");
  const batchSize =
    batchSizeRaw === undefined
      ? DEFAULT_BATCH_SIZE
      : intInRange(batchSizeRaw, "extensions.queues.batchSize", 1, MAX_BATCH_SIZE);

  const thresholdRaw = pick(queues, "newBatchThreshold");
  const newBatchThreshold =
    thresholdRaw === undefined || thresholdRaw === -1
      ? Math.floor(batchSize / 2) * Math.max(1, cores)
      : intInRange(thresholdRaw, "extensions.queues.newBatchThreshold", 0, 100_000);

  const maxPollRaw = pick(queues, "maxPollingInterval");
  const maxPollingIntervalMs =
    maxPollRaw === undefined
      ? DEFAULT_MAX_POLLING_INTERVAL_MS
      : parseTimeSpan(maxPollRaw, "extensions.queues.maxPollingInterval");
  if (maxPollingIntervalMs < MIN_POLLING_INTERVAL_MS) {
    throw new HostConfigError(
      `extensions.queues.maxPollingInterval: must be at least ${MIN_POLLING_INTERVAL_MS} ms, got ${maxPollingIntervalMs} ms`,
    );
  }

  const visibilityRaw = pick(queues, "visibilityTimeout");
  const visibilityTimeoutMs =
    visibilityRaw === undefined ? 0 : parseTimeSpan(visibilityRaw, "extensions.queues.visibilityTimeout");

  const maxDequeueRaw = pick(queues, "maxDequeueCount");
  const maxDequeueCount =
    maxDequeueRaw === undefined
      ? DEFAULT_MAX_DEQUEUE_COUNT
      : intInRange(maxDequeueRaw, "extensions.queues.maxDequeueCount", 1, 1_000_000);

  const encodingRaw = pick(queues, "messageEncoding");
  let messageEncoding: MessageEncoding = "base64";
  if (encodingRaw !== undefined) {
    const e = String(encodingRaw).toLowerCase();
    if (e !== "base64" && e !== "none") {
      throw new HostConfigError(
        `extensions.queues.messageEncoding: expected "base64" or "none", got ${JSON.stringify(encodingRaw)}`,
      );
    }
    messageEncoding = e;
  }

  const timeoutRaw = pick(root, "functionTimeout");
  const functionTimeoutMs =
    timeoutRaw === undefined || timeoutRaw === null || timeoutRaw === "-1"
      ? undefined
      : parseTimeSpan(timeoutRaw, "functionTimeout");

  const logging = asRecord(pick(root, "logging"), "host.json logging");
  const logLevelRaw = asRecord(pick(logging, "logLevel"), "host.json logging.logLevel");
  const logLevels: Record<string, LogLevelName> = {};
  for (const [key, value] of Object.entries(logLevelRaw)) {
    const level = toLogLevel(String(value));
    if (!level)
      throw new HostConfigError(`logging.logLevel.${key}: unknown log level ${JSON.stringify(value)}`);
    logLevels[key] = level;
  }

  return {
    routePrefix,
    queues: {
      batchSize,
      newBatchThreshold,
      maxPollingIntervalMs,
      visibilityTimeoutMs,
      maxDequeueCount,
      messageEncoding,
    },
    functionTimeoutMs,
    logLevels,
  };
}

/** Reads and parses a host.json file; a missing file means all defaults. */
export async function loadHostJson(path: string, options: ParseHostJsonOptions = {}): Promise<HostConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return parseHostJson({}, options);
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HostConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  try {
    return parseHostJson(json, options);
  } catch (error) {
    if (error instanceof HostConfigError) {
      throw new HostConfigError(`${path}: ${error.message}`);
    }
    throw error;
  }
}
