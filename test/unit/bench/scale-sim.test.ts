import { describe, expect, it } from "vitest";
import { simulateScale } from "../../../bench/lib/scale-sim.ts";

/** Small and short, so the whole file stays well under two seconds. */
const small = { instances: 4, limit: 8, windowMs: 1_000, durationMs: 30_000 };

describe("scale simulation", () => {
  it("gives the same numbers for the same seed, and others for another", () => {
    const first = simulateScale({ ...small, seed: 11 });
    expect(simulateScale({ ...small, seed: 11 })).toEqual(first);
    expect(simulateScale({ ...small, seed: 12 })).not.toEqual(first);
  });

  it("fills four instances' shared budget with no 429 through churn and a storage stall", () => {
    const result = simulateScale({ ...small, seed: 11 });
    expect(result.calls).toBeGreaterThan(0);
    expect(result.ratio).toBeGreaterThanOrEqual(0.95);
    expect(result.rate429).toBeLessThanOrEqual(0.005);
    expect(result.firstWindow429).toBe(0);
  });

  it("keeps more instances than calls per window within the budget", () => {
    const result = simulateScale({ instances: 12, limit: 8, windowMs: 1_000, durationMs: 30_000, seed: 5 });
    expect(result.calls).toBeGreaterThan(0);
    expect(result.refused).toBe(0);
  });
});
