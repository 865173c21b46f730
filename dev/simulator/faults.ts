/**
 * Fault injection for the owners API: ordered one-shot (or n-shot) rules, a random 503 rate from a
 * seeded PRNG, and a fixed added latency. Pure and deterministic: "the next POST answers 503 once, then
 * succeeds" is exactly one rule with `times: 1`.
 */
import * as z from "zod";
import { mulberry32 } from "./prng.ts";

const respondSchema = z
  .object({
    status: z.int().min(100).max(599),
    headers: z.record(z.string(), z.string()).optional(),
    /** Raw text, sent as is (plain text, an HTML gateway page, broken JSON …). */
    body: z.string().optional(),
    json: z.unknown().optional(),
  })
  .strict()
  .refine((value) => value.body === undefined || value.json === undefined, {
    message: "give either body or json, not both",
  });

const resetSchema = z.object({ reset: z.literal(true) }).strict();
const stallSchema = z.object({ stallMs: z.int().min(0).max(600_000) }).strict();
/** The operation takes effect, then the connection is cut where its answer would go. */
const loseReplySchema = z.object({ loseReply: z.literal(true) }).strict();

const methodSchema = z
  .string()
  .transform((value) => value.toUpperCase())
  .pipe(z.enum(["GET", "POST", "DELETE"]));

/**
 * A rule's effect may be written `respond: {status…}`, `respond: {reset: true}`, `respond: {stallMs}`,
 * `respond: {loseReply: true}`, or with `reset` / `stallMs` / `loseReply` directly on the rule; all
 * normalise to one `action`.
 */
const ruleSchema = z
  .object({
    method: methodSchema.optional(),
    pathIncludes: z.string().min(1).optional(),
    times: z.int().min(1).max(1_000_000_000).default(1),
    respond: z.union([respondSchema, resetSchema, stallSchema, loseReplySchema]).optional(),
    reset: z.literal(true).optional(),
    stallMs: z.int().min(0).max(600_000).optional(),
    loseReply: z.literal(true).optional(),
  })
  .strict()
  .transform((rule, ctx) => {
    const effects: FaultAction[] = [];
    if (rule.respond !== undefined) effects.push(toAction(rule.respond));
    if (rule.reset !== undefined) effects.push({ kind: "reset" });
    if (rule.stallMs !== undefined) effects.push({ kind: "stall", stallMs: rule.stallMs });
    if (rule.loseReply !== undefined) effects.push({ kind: "lose-reply" });
    if (effects.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: "a rule needs exactly one of respond, reset, stallMs, loseReply",
      });
      return z.NEVER;
    }
    return {
      method: rule.method,
      pathIncludes: rule.pathIncludes,
      times: rule.times,
      action: effects[0] as FaultAction,
    } satisfies FaultRule;
  });

export const faultConfigSchema = z
  .object({
    rules: z.array(ruleSchema).max(1000).default([]),
    /** Probability (0..1) that a request not caught by a rule answers 503. */
    errorRate: z.number().min(0).max(1).default(0),
    /** Added to every owners-API request before it is handled. */
    latencyMs: z.int().min(0).max(600_000).default(0),
    /** Seed for the errorRate PRNG; same seed, same sequence. */
    seed: z.int().optional(),
  })
  .strict();

/** What callers may send (rules in any accepted spelling). */
export type FaultConfigInput = z.input<typeof faultConfigSchema>;

export type FaultAction =
  | { kind: "respond"; status: number; headers: Record<string, string>; body?: string; json?: unknown }
  | { kind: "reset" }
  | { kind: "stall"; stallMs: number }
  /** Handled normally (a write is applied), but the answer never reaches the client. */
  | { kind: "lose-reply" };

export interface FaultRule {
  method: "GET" | "POST" | "DELETE" | undefined;
  pathIncludes: string | undefined;
  times: number;
  action: FaultAction;
}

export interface FaultDecision {
  /** Extra delay before anything else happens. */
  latencyMs: number;
  /** What to do instead of (respond, reset) or before (stall) normal handling; undefined = handle normally. */
  action?: FaultAction;
  /** Which mechanism produced the action, for logs and stats. */
  source?: "rule" | "errorRate";
}

export interface FaultSnapshot {
  rules: (FaultRule & { remaining: number })[];
  errorRate: number;
  latencyMs: number;
  seed: number | undefined;
}

function toAction(
  respond:
    | z.output<typeof respondSchema>
    | z.output<typeof resetSchema>
    | z.output<typeof stallSchema>
    | z.output<typeof loseReplySchema>,
): FaultAction {
  if ("reset" in respond) return { kind: "reset" };
  if ("loseReply" in respond) return { kind: "lose-reply" };
  if ("stallMs" in respond) return { kind: "stall", stallMs: respond.stallMs };
  const action: FaultAction = { kind: "respond", status: respond.status, headers: respond.headers ?? {} };
  if (respond.body !== undefined) action.body = respond.body;
  if (respond.json !== undefined) action.json = respond.json;
  return action;
}

export class FaultConfigError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(
      `Invalid fault config: ${issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("; ")}`,
    );
    this.name = "FaultConfigError";
  }
}

/** Validates a fault config; throws FaultConfigError listing every problem. */
export function parseFaultConfig(input: unknown): z.output<typeof faultConfigSchema> {
  const parsed = faultConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new FaultConfigError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

export class FaultInjector {
  #rules: (FaultRule & { remaining: number })[] = [];
  #errorRate = 0;
  #latencyMs = 0;
  #seed: number | undefined;
  #random: () => number = Math.random;

  /** Replaces the whole configuration (and restarts the PRNG). */
  configure(input: unknown): FaultSnapshot {
    const config = parseFaultConfig(input);
    this.#rules = config.rules.map((rule) => ({ ...rule, remaining: rule.times }));
    this.#errorRate = config.errorRate;
    this.#latencyMs = config.latencyMs;
    this.#seed = config.seed;
    this.#random = config.seed === undefined ? Math.random : mulberry32(config.seed);
    return this.snapshot();
  }

  clear(): void {
    this.configure({});
  }

  /**
   * Decides the fate of one owners-API request. The first matching rule with uses left is consumed;
   * otherwise errorRate may turn it into a 503.
   */
  next(method: string, pathAndQuery: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: this.#latencyMs };
    const rule = this.#rules.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (candidate.method === undefined || candidate.method === method.toUpperCase()) &&
        (candidate.pathIncludes === undefined || pathAndQuery.includes(candidate.pathIncludes)),
    );
    if (rule) {
      rule.remaining -= 1;
      decision.action = rule.action;
      decision.source = "rule";
      return decision;
    }
    if (this.#errorRate > 0 && this.#random() < this.#errorRate) {
      decision.action = {
        kind: "respond",
        status: 503,
        headers: {},
        json: {
          error: {
            code: "ServiceUnavailable",
            message: "The service is temporarily unavailable (injected).",
          },
        },
      };
      decision.source = "errorRate";
    }
    return decision;
  }

  snapshot(): FaultSnapshot {
    return {
      rules: this.#rules.map((rule) => ({ ...rule })),
      errorRate: this.#errorRate,
      latencyMs: this.#latencyMs,
      seed: this.#seed,
    };
  }
}
