import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { RestError, type TableClient } from "@azure/data-tables";
import type { Clock } from "../clock.ts";

/**
 * Which worker processes are alive, so that each can take its fair share of the one rate budget the
 * OAuth client has (docs/rate-limits.md). Each process upserts a heartbeat row every few seconds and
 * counts the rows seen recently: a fixed cost per process, none per API call.
 */

const PARTITION = "worker-instances";

export interface InstanceRegistryOptions {
  clock: Clock;
  heartbeatMs?: number;
  /** A row older than this is a process that stopped without saying so. */
  staleMs?: number;
  instanceId?: string;
  /** What this process is working on, published with each heartbeat (request ids). */
  working?: () => readonly string[];
}

interface HeartbeatEntity {
  partitionKey: string;
  rowKey: string;
  lastSeen: number;
  /** JSON array of request ids; bounded by the host's per-instance concurrency (batchSize + threshold). */
  working?: string;
}

/** A worker process as its last heartbeat describes it. */
export interface Heartbeat {
  lastSeen: number;
  /** The request ids it was working on then; undefined for a process that does not say. */
  working: ReadonlySet<string> | undefined;
}

export class InstanceRegistry {
  readonly instanceId: string;
  /** How often this process beats. */
  readonly heartbeatMs: number;
  /** A heartbeat older than this is a process that stopped without saying so. */
  readonly staleMs: number;
  private live = 1;
  private rank = 0;
  private lastBeatAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;

  constructor(
    private readonly table: TableClient,
    private readonly options: InstanceRegistryOptions,
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 2_000;
    this.staleMs = options.staleMs ?? 3 * this.heartbeatMs;
    this.instanceId = options.instanceId ?? defaultInstanceId();
  }

  /** Live processes, this one included (1 until the first count), and this one's rank by id among them. */
  peers(): { count: number; rank: number } {
    return { count: this.live, rank: this.rank };
  }

  /** Registers, counts once, then keeps beating in the background (the timer never holds the process open). */
  start(): Promise<void> {
    this.started ??= this.beat().then(
      () => {
        this.timer = setInterval(() => {
          this.beat().catch(() => undefined);
        }, this.heartbeatMs);
        this.timer.unref();
      },
      (error: unknown) => {
        // Not registered: the next call tries again instead of failing forever.
        this.started = undefined;
        throw error;
      },
    );
    return this.started;
  }

  /**
   * Counts again now (at most once a second), e.g. after a 429 the fair shares should have prevented:
   * a peer that started since the last heartbeat is the likeliest cause.
   */
  refreshSoon(): void {
    const now = this.options.clock.now();
    if (this.started === undefined || now - this.lastBeatAt < 1_000) return;
    this.lastBeatAt = now;
    this.beat().catch(() => undefined);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.table.deleteEntity(PARTITION, this.instanceId).catch(() => undefined);
  }

  /** One heartbeat: our row, then a count of the fresh ones. Long-dead rows are deleted on the way. */
  async beat(): Promise<void> {
    const now = this.options.clock.now();
    this.lastBeatAt = now;
    const row: HeartbeatEntity = { partitionKey: PARTITION, rowKey: this.instanceId, lastSeen: now };
    if (this.options.working !== undefined) row.working = JSON.stringify(this.options.working());
    await this.table.upsertEntity(row, "Replace");
    const liveIds: string[] = [];
    for (const [id, { lastSeen }] of await this.heartbeats()) {
      if (now - lastSeen <= this.staleMs) liveIds.push(id);
      else if (now - lastSeen > 20 * this.staleMs) {
        await this.table.deleteEntity(PARTITION, id).catch(ignoreNotFound);
      }
    }
    liveIds.sort();
    this.live = Math.max(1, liveIds.length);
    this.rank = Math.max(0, liveIds.indexOf(this.instanceId));
  }

  /** Every registered worker process and its last heartbeat, this one's included. */
  async heartbeats(): Promise<Map<string, Heartbeat>> {
    const seen = new Map<string, Heartbeat>();
    const rows = this.table.listEntities<HeartbeatEntity>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
    });
    for await (const entity of rows) {
      if (typeof entity.lastSeen !== "number") continue;
      const working = typeof entity.working === "string" ? parseIds(entity.working) : undefined;
      seen.set(entity.rowKey ?? "", { lastSeen: entity.lastSeen, working });
    }
    return seen;
  }
}

function parseIds(text: string): ReadonlySet<string> | undefined {
  try {
    const ids: unknown = JSON.parse(text);
    return Array.isArray(ids) ? new Set(ids.filter((id): id is string => typeof id === "string")) : undefined;
  } catch {
    return undefined;
  }
}

function defaultInstanceId(): string {
  // WEBSITE_INSTANCE_ID names the VM instance in Azure; several worker processes may share it.
  const machine = process.env.WEBSITE_INSTANCE_ID?.slice(0, 16) ?? hostname();
  return `${machine}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof RestError && error.statusCode === 404)) throw error;
}
