/**
 * A deterministic simulation of many worker instances sharing one rate budget (issue 12; the `scale`
 * scenario and docs/rate-limits.md). Virtual time and a seeded PRNG, so a seed always gives the same
 * numbers; no timers, no I/O.
 *
 * What is real: each instance's `PacingGate` (src/itwin/pacing.ts) and its registry logic, the
 * `MembershipView` the instance registry drives (src/coordination/membership.ts), here over a simulated
 * heartbeat table with latency; the API's limit is the simulator's `FixedWindowRateLimiter`, its headers
 * are the simulator's and are read back by the app's `readRateLimit`; a 429 waits `retryDelay`.
 *
 * What is modelled: 24 worker slots per instance (host.json batchSize 16 + newBatchThreshold 8), each
 * taking the next message as soon as its call returned; 10–40 ms each way to the API and 20–80 ms in
 * it; clocks off by up to ±5 ms; table operations of 5–40 ms; heartbeats every 2 s, 3 % of them
 * 0.3–1.2 s late (a busy event loop). Churn: three quarters of the instances start together, a quarter
 * joins at 30 % of the run, a quarter of the first ones leaves at 60 % (half crash, half delete their
 * row); a single instance crashes at 60 % and a replacement starts 1.5 s later. A storage stall at 80 %:
 * table operations hang for 6.5 s and then land in random order.
 */

import { mulberry32 } from "../../dev/simulator/prng.ts";
import { FixedWindowRateLimiter, rateLimitHeaders } from "../../dev/simulator/rate-limit.ts";
import { type HeartbeatRow, MembershipView } from "../../src/coordination/membership.ts";
import { PacingGate } from "../../src/itwin/pacing.ts";
import { readRateLimit, retryDelay } from "../../src/itwin/retry-timing.ts";

export interface ScaleScenario {
  instances: number;
  limit: number;
  windowMs: number;
  durationMs: number;
  seed: number;
  /** The table holds the budget a process of an earlier run learned (a row of a dead instance). */
  warmRegistry?: boolean;
  /** Joins, leaves and crashes mid-run (default true). */
  churn?: boolean;
  /** A storage stall: its start as a fraction of the run, and its length in ms (default [0.8, 6500]). */
  stall?: readonly [number, number] | null;
}

export interface ScaleResult {
  /** Calls admitted ÷ (windows from the first call to the last × limit). */
  ratio: number;
  /** 429s ÷ calls. */
  rate429: number;
  /** 429s to calls that landed in their instance's first window of calls. */
  firstWindow429: number;
  /** From the first instance's start to the first call the API admitted. */
  timeToFirstCallMs: number;
  calls: number;
  refused: number;
  /** Heartbeat rows read by listings, per second of the run: the registry's storage load. */
  rowsListedPerSecond: number;
}

/** host.json: batchSize 16 + newBatchThreshold 8 messages in flight per instance. */
const SLOTS = 24;
/** The registry's defaults (instance-registry.ts). */
const HEARTBEAT_MS = 2_000;
const STALE_MS = 3 * HEARTBEAT_MS;
/** Not aligned to any window, like a real start. */
const T0 = 1_750_000_000_437;
const CLIENT = "client";

/** Events in time order (ties in scheduling order): a binary heap. */
class EventQueue {
  now = T0;
  private readonly heap: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  at(at: number, run: () => void): void {
    const heap = this.heap;
    heap.push({ at: Math.max(at, this.now), seq: this.seq++, run });
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  runUntil(end: number): void {
    const heap = this.heap;
    while (heap.length > 0 && (heap[0]?.at ?? end + 1) <= end) {
      const top = heap[0] as { at: number; run: () => void };
      const last = heap.pop() as (typeof heap)[number];
      if (heap.length > 0) {
        heap[0] = last;
        for (let i = 0; ; ) {
          let min = i;
          for (const child of [2 * i + 1, 2 * i + 2])
            if (child < heap.length && this.before(child, min)) min = child;
          if (min === i) break;
          this.swap(i, min);
          i = min;
        }
      }
      this.now = top.at;
      top.run();
    }
    this.now = end;
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a] as { at: number; seq: number };
    const y = this.heap[b] as { at: number; seq: number };
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    [heap[a], heap[b]] = [heap[b] as (typeof heap)[number], heap[a] as (typeof heap)[number]];
  }
}

interface Call {
  at: number;
  instance: number;
  allowed: boolean;
  inFirstWindow: boolean;
}

export function simulateScale(scenario: ScaleScenario): ScaleResult {
  const { instances: n, limit, windowMs, durationMs } = scenario;
  const churn = scenario.churn ?? true;
  const events = new EventQueue();
  const random = mulberry32(scenario.seed);
  const limiter = new FixedWindowRateLimiter({ limit, windowMs });
  const end = T0 + durationMs;
  // No call may land after the last whole window of the run, which the ratio would count as empty.
  const sendUntil = Math.floor(end / windowMs) * windowMs - 100;
  const table = new Map<string, HeartbeatRow>();
  const stallSpec = scenario.stall === undefined ? ([0.8, 6_500] as const) : scenario.stall;
  const stall =
    stallSpec === null
      ? undefined
      : { from: T0 + stallSpec[0] * durationMs, to: T0 + stallSpec[0] * durationMs + stallSpec[1] };
  let rowsListed = 0;
  const calls: Call[] = [];

  if (scenario.warmRegistry) {
    // A process of an earlier run died five minutes ago; its row keeps the budget it learned.
    const lastSeen = T0 - 300_000;
    const resetAt = Math.floor(lastSeen / windowMs) * windowMs + windowMs;
    table.set("earlier-run", {
      id: "earlier-run",
      lastSeen,
      joinedAt: lastSeen - 600_000,
      admitFrom: 0,
      limit,
      windowMs,
      resetAt,
    });
  }

  /** A table operation: 5–40 ms, or hung until the stall ends and then landing in random order. */
  function storage<T>(apply: () => T, done: (value: T) => void): void {
    const stalled = stall !== undefined && events.now >= stall.from && events.now < stall.to;
    const at = stalled ? (stall?.to ?? 0) + random() * 30 : events.now + 5 + random() * 35;
    events.at(at, () => done(apply()));
  }

  class Instance {
    readonly id: string;
    /** This instance's clock is off by this much (less than the 10 ms minimum one-way latency). */
    private readonly skew = Math.round((random() - 0.5) * 10);
    private alive = true;
    private started = false;
    private startedAt = 0;
    private lastBeatAt = Number.NEGATIVE_INFINITY;
    private firstWindow: number | undefined;
    readonly view: MembershipView;
    readonly gate: PacingGate;

    constructor(readonly index: number) {
      this.id = `w${String(index).padStart(3, "0")}-${Math.floor(random() * 1e6).toString(36)}`;
      this.view = new MembershipView({ instanceId: this.id, heartbeatMs: HEARTBEAT_MS, staleMs: STALE_MS });
      // Wired as src/services.ts wires the real ones.
      this.gate = new PacingGate({
        membersFor: (windowStart) => this.view.membersFor(windowStart, this.clock()),
        listedAt: () => this.view.listedAt(),
        onRefused: () => this.refreshSoon(),
        onLearned: () => {
          if (this.started) this.beat();
        },
        onWaitingForBudget: () => this.refreshSoon(),
      });
    }

    clock(): number {
      return events.now + this.skew;
    }

    /** registry.start(): one beat, then the interval timer; the worker's slots wait for it. */
    start(): void {
      this.startedAt = events.now;
      this.beat(() => {
        this.started = true;
        this.tick(HEARTBEAT_MS);
        for (let slot = 0; slot < SLOTS; slot++) this.next(1);
      });
    }

    stop(deleteRow: boolean): void {
      this.alive = false;
      if (deleteRow)
        storage(
          () => table.delete(this.id),
          () => undefined,
        );
    }

    /** setInterval: due every heartbeat after the start, each firing a little late, sometimes a lot. */
    private tick(due: number): void {
      const lag = random() < 0.03 ? 300 + random() * 900 : random() * 60;
      events.at(this.startedAt + due + lag, () => {
        if (!this.alive) return;
        this.beat();
        this.tick(due + HEARTBEAT_MS);
      });
    }

    private refreshSoon(): void {
      if (!this.started || this.clock() - this.lastBeatAt < 1_000) return;
      this.beat();
    }

    /** InstanceRegistry.beat over the simulated table. */
    private beat(done?: () => void): void {
      const start = this.clock();
      this.lastBeatAt = start;
      this.write(this.view.rowFor(start, this.gate.learned()), () => {
        storage(
          () => [...table.values()].map((row) => ({ ...row })),
          (rows) => {
            if (!this.alive) return;
            rowsListed += rows.length;
            const counted = this.view.counted(rows, start, this.clock(), this.gate.learned());
            if (counted.seed !== undefined) this.gate.seed(counted.seed, this.clock());
            for (const id of counted.purge)
              storage(
                () => table.delete(id),
                () => undefined,
              );
            if (counted.publish)
              this.write(this.view.rowFor(this.clock(), this.gate.learned()), () => done?.());
            else done?.();
          },
        );
      });
    }

    private write(row: HeartbeatRow, done: () => void): void {
      storage(
        () => table.set(row.id, row),
        () => {
          if (!this.alive) return;
          this.view.written(row);
          done();
        },
      );
    }

    /** One worker slot: ask the gate, send, read the answer, take the next message. */
    private next(attempt: number): void {
      if (!this.alive) return;
      const wait = this.gate.waitTime(this.clock());
      if (wait > 0) {
        events.at(events.now + wait, () => this.next(attempt));
        return;
      }
      if (events.now >= sendUntil) return;
      const sentAt = this.clock();
      this.gate.take(sentAt);
      const sentWindow = Math.floor(events.now / windowMs);
      events.at(events.now + 10 + random() * 30, () => {
        const decision = limiter.take(CLIENT, events.now);
        this.firstWindow ??= sentWindow;
        const window = Math.floor(events.now / windowMs);
        calls.push({
          at: events.now,
          instance: this.index,
          allowed: decision.allowed,
          inFirstWindow: window === this.firstWindow,
        });
        const backAt = events.now + 10 + random() * 30 + (decision.allowed ? 20 + random() * 60 : 0);
        events.at(backAt, () => {
          if (!this.alive) return;
          const headers = new Map(Object.entries(rateLimitHeaders(decision)));
          if (!decision.allowed) headers.set("retry-after", String(decision.retryAfterSeconds));
          const now = this.clock();
          const state = readRateLimit({ get: (name) => headers.get(name.toLowerCase()) ?? null }, now);
          this.gate.observe(state, now, sentAt);
          if (decision.allowed) {
            // Recording the outcome, then the next message.
            events.at(events.now + 20 + random() * 20, () => this.next(1));
            return;
          }
          const delay = retryDelay({ attempt, rateLimit: state, now, random });
          this.gate.refused(now + delay);
          events.at(events.now + delay, () => this.next(attempt + 1));
        });
      });
    }
  }

  const all: Instance[] = [];
  const spawn = (at: number): Instance => {
    const instance = new Instance(all.length);
    all.push(instance);
    events.at(at, () => instance.start());
    return instance;
  };
  const joiners = churn ? Math.floor(n / 4) : 0;
  for (let i = 0; i < n - joiners; i++) spawn(T0 + random() * 300);
  for (let i = 0; i < joiners; i++) spawn(T0 + 0.3 * durationMs + random() * 2_000);
  if (churn) {
    const leaveAt = T0 + 0.6 * durationMs;
    if (n === 1) {
      events.at(leaveAt, () => all[0]?.stop(false));
      spawn(leaveAt + 1_500);
    } else {
      for (let i = 0; i < joiners; i++)
        events.at(leaveAt + random() * 2_000, () => all[i]?.stop(i % 2 === 0));
    }
  }
  events.runUntil(end + 5_000);

  const admitted = calls.filter((call) => call.allowed);
  const first = calls[0];
  const last = calls[calls.length - 1];
  const windows =
    first === undefined || last === undefined
      ? 0
      : Math.floor(last.at / windowMs) - Math.floor(first.at / windowMs) + 1;
  const refused = calls.length - admitted.length;
  return {
    ratio: windows === 0 ? 0 : admitted.length / (windows * limit),
    rate429: calls.length === 0 ? 0 : refused / calls.length,
    firstWindow429: calls.filter((call) => call.inFirstWindow && !call.allowed).length,
    timeToFirstCallMs: admitted[0] === undefined ? Number.NaN : admitted[0].at - T0,
    calls: calls.length,
    refused,
    rowsListedPerSecond: rowsListed / (durationMs / 1000),
  };
}
