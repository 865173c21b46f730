import type { BenchArgs } from "./args.ts";

export const METRIC_KEYS = [
  "ceilingRps",
  "throughputRatio1",
  "throughputRatio4",
  "rate429",
  "callsPerChange",
  "naiveSpeedup",
  "intakeOverhead",
  "bundleBytes",
  "importMs",
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
export type Metrics = Partial<Record<MetricKey, number | null>>;

/** An informational line under a scenario in the table. */
export interface Detail {
  label: string;
  value: string;
}

export interface ScenarioOutcome {
  metrics: Metrics;
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
