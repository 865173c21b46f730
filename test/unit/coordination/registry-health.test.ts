import { describe, expect, it } from "vitest";
import { mayDrop, nextHealth, UNKNOWN_HEALTH } from "../../../src/coordination/registry-health.ts";

const HB = 2_000;
const STALE = 6_000;

/** Beats at `starts`, each listing `tookMs` after its start. */
function run(starts: number[], tookMs: (start: number) => number = () => 20) {
  let health = UNKNOWN_HEALTH;
  for (const start of starts) health = nextHealth(health, start, start + tookMs(start), HB);
  return health;
}

describe("registry health", () => {
  it("may drop only after a stale limit of quick beats in an unbroken run", () => {
    expect(mayDrop(run([0, 2_000, 4_000]), 4_000, STALE)).toBe(false);
    expect(mayDrop(run([0, 2_000, 4_000, 6_000]), 6_000, STALE)).toBe(true);
  });

  it("starts over after a slow beat: a stall delays everybody's rows, ours included", () => {
    const health = run([0, 2_000, 4_000, 6_000, 8_000], (start) => (start === 4_000 ? HB / 2 + 1 : 20));
    expect(health.healthySince).toBe(6_000);
    expect(mayDrop(health, 8_000, STALE)).toBe(false);
    expect(
      mayDrop(
        run([0, 2_000, 4_000], (start) => (start === 4_000 ? HB / 2 : 20)),
        4_000,
        4_000,
      ),
    ).toBe(true);
  });

  it("starts over after a gap between beats longer than one and a half heartbeats", () => {
    expect(run([0, 2_000, 5_001]).healthySince).toBe(5_001);
    expect(run([0, 2_000, 5_000]).healthySince).toBe(0);
  });

  it("never drops before any beat", () => {
    expect(mayDrop(UNKNOWN_HEALTH, 100_000, STALE)).toBe(false);
  });
});
