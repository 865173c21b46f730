import type { BenchArgs } from "./args.ts";

export const METRIC_KEYS = [
  "ceilingRps",
  "throughputRatio1",
  "throughputRatio4",
  "rate429",
  "callsPerChange",
  "naiveSpeedup",
  "intakeLatencyRatio",
  "bulkIntakeRatio",
  "bulkIntakeVsCeiling",
  "bundleBytes",
  "importMs",
  // Extra, after the required keys: the 429 share of a 4-worker run submitted the moment the runners
  // are healthy, i.e. before they have counted each other (rate429 is measured in steady state).
  "coldStart429",
  // Extra: the raw figures behind the intake ratios (milliseconds per change, changes per second).
  "intakeLatencyMs",
  "intakeDirectLatencyMs",
  "bulkIntakePerSecond",
  "bulkDirectPerSecond",
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
export type Metrics = Partial<Record<MetricKey, number | null>>;

/** An informational line under a scenario in the table. */
export interface Detail {
  label: string;
  value: string;
}

/** One instance count of the `scale` scenario. */
export interface ScaleCell {
  ratio: number;
  rate429: number;
  firstWindow429: number;
  timeToFirstCallMs: number;
}

export interface ScenarioOutcome {
  metrics: Metrics;
  /** The `scale` key of the JSON line: instance count → the split's figures. */
  scale?: Record<string, ScaleCell>;
  details: Detail[];
  /** Owners-API requests and 429 answers, for rate429 across the throughput runs. */
  rate429Parts?: { requests: number; tooMany: number };
  /** Why a headline figure is null or should be read with care. */
  notes?: string[];
}

export interface ScenarioContext {
  args: BenchArgs;
}

export type Scenario = (ctx: ScenarioContext) => Promise<ScenarioOutcome>;
