import { describe, expect, it } from "vitest";
import {
  abbaOrder,
  compareBulk,
  compareLatency,
  cpuMsFromStat,
  firstSide,
  summarise,
} from "../../../bench/lib/intake-maths.ts";

describe("the order the two sides take turns in", () => {
  it("alternates which side goes first in a sample pair", () => {
    expect([0, 1, 2, 3].map(firstSide)).toEqual(["intake", "direct", "intake", "direct"]);
  });

  it("lays blocks out ABBA, each side half of them", () => {
    expect(abbaOrder(4)).toEqual(["intake", "direct", "direct", "intake"]);
    const twelve = abbaOrder(12);
    expect(twelve.slice(4, 8)).toEqual(["intake", "direct", "direct", "intake"]);
    expect(twelve.filter((side) => side === "direct")).toHaveLength(6);
  });

  it("refuses a block count that cannot be split evenly", () => {
    expect(() => abbaOrder(3)).toThrow(RangeError);
    expect(() => abbaOrder(0)).toThrow(RangeError);
  });
});

describe("latency", () => {
  it("summarises samples by median, mean and p95", () => {
    expect(summarise([4, 1, 3, 2, 10])).toEqual({ samples: 5, medianMs: 3, meanMs: 4, p95Ms: 8.8 });
    expect(() => summarise([])).toThrow(RangeError);
  });

  it("compares medians, so a few stretched samples do not move the ratio", () => {
    const direct = [5, 5, 5, 5, 5];
    expect(compareLatency([7, 7.5, 7.5, 8, 900], direct).ratio).toBe(1.5);
    expect(compareLatency([10, 10, 10], [4, 5, 6]).ratio).toBe(2);
  });
});

describe("bulk", () => {
  it("divides total changes by total time per side, not a mean of block rates", () => {
    const result = compareBulk(
      [
        { side: "intake", changes: 800, ms: 1000 },
        { side: "direct", changes: 800, ms: 1000 },
        { side: "direct", changes: 800, ms: 3000 },
        { side: "intake", changes: 800, ms: 3000 },
      ],
      50,
    );
    // 1 600 in 4 s each: 400/s, although the block rates average (800 + 267) / 2 = 533/s.
    expect(result).toEqual({ intakePerSecond: 400, directPerSecond: 400, ratio: 1, vsCeiling: 8 });
  });

  it("gives intake ÷ direct and intake ÷ the ceiling", () => {
    const result = compareBulk(
      [
        { side: "intake", changes: 1000, ms: 2000 },
        { side: "direct", changes: 1000, ms: 1000 },
      ],
      25,
    );
    expect(result).toMatchObject({ intakePerSecond: 500, directPerSecond: 1000, ratio: 0.5, vsCeiling: 20 });
  });

  it("refuses a side without blocks and a ceiling that is not positive", () => {
    expect(() => compareBulk([{ side: "intake", changes: 1, ms: 1 }], 50)).toThrow(/no timed direct/);
    expect(() =>
      compareBulk(
        [
          { side: "intake", changes: 1, ms: 1 },
          { side: "direct", changes: 1, ms: 1 },
        ],
        0,
      ),
    ).toThrow(RangeError);
  });
});

describe("CPU time from /proc/<pid>/stat", () => {
  it("adds utime and stime, counting fields after the command's last parenthesis", () => {
    const fields = "S 1 2 3 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 5 0 0";
    expect(cpuMsFromStat(`42 (node) ${fields}`)).toBe(3250);
    expect(cpuMsFromStat(`42 (a) b (c)) ${fields}`)).toBe(3250);
    expect(cpuMsFromStat(`42 (node) ${fields}`, 1000)).toBe(325);
    expect(() => cpuMsFromStat("garbage")).toThrow(/not a \/proc stat line/);
  });
});
