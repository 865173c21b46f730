/**
 * Pure core of the intake scenarios (intake-latency.ts, bulk-intake.ts): the order the two sides take
 * turns in, and the ratios from raw timings. The I/O (POSTs, storage calls, clocks) stays in the
 * scenarios; everything here is arithmetic on what they measured.
 */
import { quantile, round } from "./util.ts";

export type Side = "intake" | "direct";

/**
 * Which side goes first in sample pair `index`: alternating, so neither side always runs right after
 * the other (a warm connection, a just-finished write) and both see the same background load.
 */
export function firstSide(index: number): Side {
  return index % 2 === 0 ? "intake" : "direct";
}

/**
 * The sides of `blocks` timed blocks in ABBA order (intake, direct, direct, intake, …): a load that
 * rises or falls steadily over the run weighs on both sides alike, which plain alternation does not
 * give when there are only a few long blocks. `blocks` is even, so each side gets half.
 */
export function abbaOrder(blocks: number): Side[] {
  if (!Number.isInteger(blocks) || blocks < 2 || blocks % 2 !== 0) {
    throw new RangeError(`abbaOrder: blocks must be an even integer ≥ 2, got ${blocks}`);
  }
  return Array.from({ length: blocks }, (_, i) => ((i + 1) % 4 < 2 ? "intake" : "direct"));
}

export interface LatencySummary {
  samples: number;
  medianMs: number;
  meanMs: number;
  p95Ms: number;
}

export function summarise(ms: readonly number[]): LatencySummary {
  if (ms.length === 0) throw new RangeError("summarise: no samples");
  return {
    samples: ms.length,
    medianMs: round(quantile(ms, 0.5), 2),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length, 2),
    p95Ms: round(quantile(ms, 0.95), 2),
  };
}

export interface LatencyComparison {
  intake: LatencySummary;
  direct: LatencySummary;
  /** median intake ÷ median direct: the median resists the few samples a busy machine stretches. */
  ratio: number;
}

export function compareLatency(intakeMs: readonly number[], directMs: readonly number[]): LatencyComparison {
  const intake = summarise(intakeMs);
  const direct = summarise(directMs);
  return {
    intake,
    direct,
    ratio: round(quantile(intakeMs, 0.5) / quantile(directMs, 0.5), 3),
  };
}

/** One timed block of bulk work: how many changes were accepted (or pairs written) in how long. */
export interface Block {
  side: Side;
  changes: number;
  ms: number;
}

export interface BulkComparison {
  /** changes ÷ seconds over all of that side's blocks (total work ÷ total time, not a mean of rates). */
  intakePerSecond: number;
  directPerSecond: number;
  /** intake ÷ direct. */
  ratio: number;
  /** intake ÷ the owners API's ceiling (requests per second). */
  vsCeiling: number;
}

export function compareBulk(blocks: readonly Block[], ceilingPerSecond: number): BulkComparison {
  if (!(ceilingPerSecond > 0))
    throw new RangeError(`compareBulk: ceiling must be > 0, got ${ceilingPerSecond}`);
  const rate = (side: Side) => {
    const mine = blocks.filter((block) => block.side === side);
    const changes = mine.reduce((sum, block) => sum + block.changes, 0);
    const ms = mine.reduce((sum, block) => sum + block.ms, 0);
    if (mine.length === 0 || ms <= 0) throw new RangeError(`compareBulk: no timed ${side} block`);
    return (changes * 1000) / ms;
  };
  const intake = rate("intake");
  const direct = rate("direct");
  return {
    intakePerSecond: round(intake, 1),
    directPerSecond: round(direct, 1),
    ratio: round(intake / direct, 3),
    vsCeiling: round(intake / ceilingPerSecond, 2),
  };
}

/**
 * CPU time (ms) from a Linux `/proc/<pid>/stat` line: utime + stime, fields 14 and 15, in clock ticks
 * (`ticksPerSecond`, 100 on Linux). The command name (field 2) may hold spaces and parentheses, so the
 * fields are counted after its last ")".
 */
export function cpuMsFromStat(stat: string, ticksPerSecond = 100): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`not a /proc stat line: ${stat}`);
  return ((utime + stime) * 1000) / ticksPerSecond;
}
