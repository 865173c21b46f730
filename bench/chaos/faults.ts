/**
 * The owners-API faults of a chaos run: short phases, each a fresh simulator fault config drawn from the
 * seeded PRNG (pure), and a tally of the faults the simulator actually injected, observed in process.
 */
import type { FaultAction, FaultConfigInput, FaultInjector } from "../../dev/simulator/faults.ts";

export const FAULT_KINDS = ["5xx-json", "5xx-html", "429", "stall", "reset", "lost-reply"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const HTML_PAGE = (status: number, title: string) =>
  `<!DOCTYPE html><html><head><title>${status} ${title}</title></head><body><center><h1>${status} ${title}</h1></center><hr><center>gateway</center></body></html>`;

/**
 * A few uses of each rule per phase: at the API's 50 requests/s a phase of two seconds sees ~100
 * calls, so one fault kind hits a handful of them and most calls still succeed — a change meets a fault
 * now and then, not on every retry, which is the weather a real client lives in.
 */
type RuleInput = NonNullable<FaultConfigInput["rules"]>[number];
function rulesFor(kind: FaultKind, random: () => number, clientTimeoutMs: number): RuleInput[] {
  const write = (): "POST" | "DELETE" => (random() < 0.5 ? "POST" : "DELETE");
  switch (kind) {
    case "5xx-json": {
      const status = random() < 0.5 ? 500 : 503;
      const code = status === 500 ? "InternalServerError" : "ServiceUnavailable";
      return [
        { times: 3, respond: { status, json: { error: { code, message: "Injected by the chaos run." } } } },
      ];
    }
    case "5xx-html": {
      const [status, title] = random() < 0.5 ? [502, "Bad Gateway"] : [504, "Gateway Time-out"];
      return [{ times: 3, respond: { status, body: HTML_PAGE(status, title) } }];
    }
    case "429":
      // A storm: most of a rate window refused at once, with the server's word on when to come back.
      return [
        { times: 20, respond: { status: 429, headers: { "retry-after": random() < 0.5 ? "1" : "2" } } },
      ];
    case "stall":
      // Longer than the client waits: the client gives up, the simulator applies the write afterwards.
      return [{ method: write(), times: 2, stallMs: clientTimeoutMs + 1_000 }];
    case "reset":
      return [{ times: 3, reset: true }];
    case "lost-reply":
      return [{ method: write(), times: 2, loseReply: true }];
  }
}

/** One phase: quiet a quarter of the time, else one or two fault kinds. */
export function faultPhase(
  random: () => number,
  clientTimeoutMs: number,
): { kinds: FaultKind[]; config: FaultConfigInput } {
  if (random() < 0.25) return { kinds: [], config: {} };
  const kinds = new Set<FaultKind>();
  const count = random() < 0.6 ? 1 : 2;
  while (kinds.size < count) kinds.add(FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)] as FaultKind);
  return {
    kinds: [...kinds],
    config: { rules: [...kinds].flatMap((kind) => rulesFor(kind, random, clientTimeoutMs)) },
  };
}

export function classify(action: FaultAction): FaultKind {
  switch (action.kind) {
    case "reset":
      return "reset";
    case "stall":
      return "stall";
    case "lose-reply":
      return "lost-reply";
    case "respond":
      if (action.status === 429) return "429";
      return action.body !== undefined && /^\s*</.test(action.body) ? "5xx-html" : "5xx-json";
  }
}

/** Counts what the simulator injected, and when it last did. */
export class FaultTally {
  readonly counts: Record<FaultKind, number> = Object.fromEntries(
    FAULT_KINDS.map((kind) => [kind, 0]),
  ) as Record<FaultKind, number>;
  /** Epoch ms of the last injected fault; undefined before the first. */
  lastAt: number | undefined;

  /**
   * Wraps the injector's `next` (the gateway asks it once per owners-API request). Observation only:
   * the decision returned is the injector's own.
   */
  observe(injector: FaultInjector, now: () => number = Date.now): void {
    const next = injector.next.bind(injector);
    injector.next = (method, pathAndQuery) => {
      const decision = next(method, pathAndQuery);
      if (decision.action) {
        this.counts[classify(decision.action)] += 1;
        this.lastAt = now();
      }
      return decision;
    };
  }
}
