import { describe, expect, it } from "vitest";
import { classify, FAULT_KINDS, FaultTally, faultPhase } from "../../../bench/chaos/faults.ts";
import { FaultInjector, parseFaultConfig } from "../../../dev/simulator/faults.ts";
import { mulberry32 } from "../../../dev/simulator/prng.ts";

describe("chaos fault phases", () => {
  it("are valid simulator configs, repeat with the seed, and cover every kind and quiet phases", () => {
    const draw = (seed: number) => {
      const random = mulberry32(seed);
      return Array.from({ length: 200 }, () => faultPhase(random, 2_000));
    };
    const phases = draw(5);
    expect(draw(5)).toEqual(phases);
    for (const phase of phases) expect(() => parseFaultConfig(phase.config)).not.toThrow();
    expect(new Set(phases.flatMap((phase) => phase.kinds))).toEqual(new Set(FAULT_KINDS));
    expect(phases.some((phase) => phase.kinds.length === 0)).toBe(true);
  });

  it("stall past the client timeout, and classify back to their kind once injected", () => {
    const random = mulberry32(9);
    const injector = new FaultInjector();
    const tally = new FaultTally();
    let now = 1_000;
    tally.observe(injector, () => now);
    for (let i = 0; i < 300; i++) {
      const phase = faultPhase(random, 2_000);
      injector.configure(phase.config);
      const decision = injector.next(
        i % 2 === 0 ? "POST" : "DELETE",
        "/accesscontrol/itwins/x/members/owners",
      );
      if (decision.action?.kind === "stall") expect(decision.action.stallMs).toBeGreaterThan(2_000);
      if (decision.action) expect(phase.kinds).toContain(classify(decision.action));
      now += 1;
    }
    expect(Object.values(tally.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    expect(tally.lastAt).toBeGreaterThan(1_000);
  });
});
