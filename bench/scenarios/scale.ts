/**
 * scale: the budget split at 1, 4, 16, 40 and 100 worker instances, in the deterministic simulation of
 * bench/lib/scale-sim.ts (the real pacing gate and registry logic, the simulator's limiter, virtual
 * time). Each size runs for 120 s of virtual time (at least 20 windows) at the bench's ceiling, from a
 * cold registry (no budget known anywhere: the first deploy), with instances joining, leaving and
 * crashing mid-run and a storage stall. A fixed seed, so the figures repeat exactly; about 2 s of CPU.
 *
 * Per size: ratio (calls admitted ÷ windows from the first call to the last × limit), rate429 (429s ÷
 * calls), firstWindow429 (429s in any instance's first window of calls) and timeToFirstCallMs (from
 * the first start to the first admitted call). The full bench also runs the trial (500/min) and paid
 * (5 000/min) quotas over 20 virtual minutes, reported as details.
 */

import type { Detail, ScaleCell, ScenarioContext, ScenarioOutcome } from "../lib/result.ts";
import { type ScaleResult, simulateScale } from "../lib/scale-sim.ts";
import { round } from "../lib/util.ts";

export const SCALE_SIZES = [1, 4, 16, 40, 100] as const;
const SEED = 7_919;
const MINUTE_QUOTAS = [500, 5_000] as const;

export async function scaleScenario({ args }: ScenarioContext): Promise<ScenarioOutcome> {
  const { limit, windowMs, text } = args.ceiling;
  const durationMs = Math.max(120_000, 20 * windowMs);
  const scale: Record<string, ScaleCell> = {};
  const details: Detail[] = [];
  for (const instances of SCALE_SIZES) {
    const result = simulateScale({ instances, limit, windowMs, durationMs, seed: SEED + instances });
    scale[String(instances)] = cell(result);
    details.push({ label: `${instances} instance(s), ${text}`, value: describe(result) });
  }
  if (!args.quick) {
    for (const quota of MINUTE_QUOTAS) {
      for (const instances of SCALE_SIZES) {
        const result = simulateScale({
          instances,
          limit: quota,
          windowMs: 60_000,
          durationMs: 20 * 60_000,
          seed: SEED + instances,
        });
        details.push({ label: `${instances} instance(s), ${quota}/1m`, value: describe(result) });
      }
    }
  }
  return { metrics: {}, scale, details };
}

function cell(result: ScaleResult): ScaleCell {
  return {
    ratio: round(result.ratio, 4),
    rate429: round(result.rate429, 4),
    firstWindow429: result.firstWindow429,
    timeToFirstCallMs: Math.round(result.timeToFirstCallMs),
  };
}

function describe(result: ScaleResult): string {
  return `ratio ${round(result.ratio, 4)}, ${result.refused} of ${result.calls} calls refused (${result.firstWindow429} in a first window), first call after ${Math.round(result.timeToFirstCallMs)} ms, ${Math.round(result.rowsListedPerSecond)} heartbeat rows listed/s`;
}
