import { parseRateLimit } from "../../dev/simulator/cli-args.ts";
import { parseFlags, UsageError } from "../../dev/stack/cli.ts";

export const SCENARIOS = [
  "bundle",
  "intakeLatency",
  "bulkIntake",
  "throughput1",
  "throughput4",
  "throughput4cold",
  "calls",
  "naive",
  "scale",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Ceiling {
  limit: number;
  windowMs: number;
  /** limit per second */
  rps: number;
  text: string;
}

export interface BenchArgs {
  quick: boolean;
  ceiling: Ceiling;
  only: ScenarioName[];
}

export const USAGE = `Usage: npm run bench -- [options]

Drives the real app (local Functions runner child processes, azurite, the iTwin API simulator, all on
127.0.0.1) and prints a table, then one JSON line with the headline figures (also bench/results/last.json).

Options:
  --quick              smaller workloads (under 3 minutes on 2 cores)
  --ceiling <n>/<w>    the simulator's rate limit per client, e.g. 50/1s (default), 500/1m
  --only <names>       comma list of scenarios: ${SCENARIOS.join(", ")}
  -h, --help           this text

Progress goes to stderr; stdout carries the table and, as its last line, the JSON object.`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs | "help" {
  const values = parseFlags(argv, {
    quick: { type: "boolean" },
    ceiling: { type: "string" },
    only: { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) return "help";
  const text = values.ceiling ?? "50/1s";
  let limit: number;
  let windowMs: number;
  try {
    ({ limit, windowMs } = parseRateLimit(text));
  } catch (error) {
    throw new UsageError(`--ceiling: ${(error as Error).message.replace(/^--rate-limit /, "")}`);
  }
  const only = (values.only ?? [])
    .flatMap((item) => item.split(","))
    .map((item) => item.trim())
    .filter((item) => item !== "");
  for (const name of only) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new UsageError(`--only: unknown scenario "${name}" (known: ${SCENARIOS.join(", ")})`);
    }
  }
  return {
    quick: values.quick ?? false,
    ceiling: { limit, windowMs, rps: (limit * 1000) / windowMs, text },
    only: only.length > 0 ? (only as ScenarioName[]) : [...SCENARIOS],
  };
}
