import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { RestError, type TableClient } from "@azure/data-tables";
import type { Clock } from "../clock.ts";
import type { Membership } from "../itwin/budget-split.ts";
import type { Budget } from "../itwin/pacing.ts";
import { type HeartbeatRow, MembershipView } from "./membership.ts";

/**
 * Which worker processes are alive and which of them take a part of each rate window, so that together
 * they spend the OAuth client's one budget without overshooting it (docs/rate-limits.md). Each process
 * upserts a heartbeat row every few seconds and lists the others: a fixed cost per process, none per
 * API call. The row also carries the budget this process learned, so a new process starts from it.
 *
 * I/O shell: what a beat writes and what a listing means is MembershipView's (membership.ts).
 */

const PARTITION = "worker-instances";

/** What the registry reads from and seeds into this process's pacing gate. */
export interface BudgetHolder {
  learned(): Budget | undefined;
  seed(budget: Budget, now: number): void;
}

export interface InstanceRegistryOptions {
  clock: Clock;
  heartbeatMs?: number;
  /** A row older than this is a process that stopped without saying so. */
  staleMs?: number;
  instanceId?: string;
  /** What this process is working on, published with each heartbeat (request ids). */
  working?: () => readonly string[];
  /** The pacing gate: its budget is published, and seeded from the table's. */
  budget?: BudgetHolder;
}

interface HeartbeatEntity {
  partitionKey: string;
  rowKey: string;
  lastSeen: number;
  joinedAt?: number;
  admitFrom?: number;
  limit?: number;
  windowMs?: number;
  resetAt?: number;
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
  private readonly view: MembershipView;
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
    this.view = new MembershipView({
      instanceId: this.instanceId,
      heartbeatMs: this.heartbeatMs,
      staleMs: this.staleMs,
    });
  }

  /** The processes that take a part of the window starting at `windowStart` (none, this one included, before the first beat). */
  membersFor(windowStart: number): Membership {
    return this.view.membersFor(windowStart, this.options.clock.now());
  }

  /** Start of the latest beat whose listing was counted. */
  listedAt(): number {
    return this.view.listedAt();
  }

  /** Registers (pending, then admitted), then keeps beating in the background (the timer never holds the process open). */
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
   * Counts again now (at most once a second), e.g. after a 429 the parts should have prevented: a
   * peer that started since the last heartbeat is the likeliest cause.
   */
  refreshSoon(): void {
    if (this.options.clock.now() - this.lastBeatAt < 1_000) return;
    this.publishSoon();
  }

  /** Beats now, e.g. when the gate learned the budget: the others are waiting to read it. */
  publishSoon(): void {
    if (this.started === undefined) return;
    this.beat().catch(() => undefined);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.table.deleteEntity(PARTITION, this.instanceId).catch(() => undefined);
  }

  /** One heartbeat: our row, then a listing of everybody's. Long-dead rows are deleted on the way. */
  async beat(): Promise<void> {
    const { clock, budget } = this.options;
    const start = clock.now();
    this.lastBeatAt = start;
    await this.write(this.view.rowFor(start, budget?.learned()));
    const rows = await this.rows();
    const counted = this.view.counted(rows, start, clock.now(), budget?.learned());
    if (counted.seed !== undefined) budget?.seed(counted.seed, clock.now());
    if (counted.publish) await this.write(this.view.rowFor(clock.now(), budget?.learned()));
    for (const id of counted.purge) await this.table.deleteEntity(PARTITION, id).catch(ignoreNotFound);
  }

  /** Every registered worker process and its last heartbeat, this one's included. */
  async heartbeats(): Promise<Map<string, Heartbeat>> {
    const seen = new Map<string, Heartbeat>();
    for (const entity of await this.entities()) {
      const working = typeof entity.working === "string" ? parseIds(entity.working) : undefined;
      seen.set(entity.rowKey, { lastSeen: entity.lastSeen, working });
    }
    return seen;
  }

  private async write(row: HeartbeatRow): Promise<void> {
    const { id, ...fields } = row;
    const entity: HeartbeatEntity = { partitionKey: PARTITION, rowKey: id, ...fields };
    if (this.options.working !== undefined) entity.working = JSON.stringify(this.options.working());
    await this.table.upsertEntity(entity, "Replace");
    this.view.written(row);
  }

  private async rows(): Promise<HeartbeatRow[]> {
    return (await this.entities()).map((entity) => {
      const row: HeartbeatRow = { id: entity.rowKey, lastSeen: entity.lastSeen };
      for (const key of ["joinedAt", "admitFrom", "limit", "windowMs", "resetAt"] as const) {
        const value = entity[key];
        if (typeof value === "number") row[key] = value;
      }
      return row;
    });
  }

  private async entities(): Promise<HeartbeatEntity[]> {
    const entities: HeartbeatEntity[] = [];
    const listing = this.table.listEntities<HeartbeatEntity>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
    });
    for await (const entity of listing) {
      if (typeof entity.lastSeen === "number") entities.push({ ...entity, rowKey: entity.rowKey ?? "" });
    }
    return entities;
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
