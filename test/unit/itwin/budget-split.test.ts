import { describe, expect, it } from "vitest";
import { rendezvousHash, shareOf, winners } from "../../../src/itwin/budget-split.ts";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `instance-${i}`);
const parts = (limit: number, members: readonly string[], index: number) =>
  members.map((self) => shareOf(limit, { members, self }, index));

describe("budget split", () => {
  it("adds up to the limit for any number of members, each within one of the others", () => {
    for (const limit of [1, 8, 50, 500]) {
      for (const n of [1, 2, 3, 4, 16, 40, 100, 120]) {
        const split = parts(limit, ids(n), 7);
        expect(split.reduce((a, b) => a + b, 0)).toBe(limit);
        expect(Math.max(...split) - Math.min(...split)).toBeLessThanOrEqual(1);
      }
    }
  });

  it("with more members than calls, lets a different set send each window, every member in turn", () => {
    const members = ids(100);
    const senders = [0, 1, 2, 3, 4, 5].map((index) =>
      members.filter((self) => shareOf(50, { members, self }, index) === 1).join(),
    );
    expect(new Set(senders).size).toBe(6);
    const everSent = new Set<string>();
    for (let index = 0; index < 40; index++) {
      for (const self of members) if (shareOf(50, { members, self }, index) > 0) everSent.add(self);
    }
    expect(everSent.size).toBe(100);
  });

  it("gives nothing to a process that is not a member", () => {
    expect(shareOf(50, { members: ["a", "b"], self: "c" }, 0)).toBe(0);
  });

  it("keeps two views that differ by one member within one call of the limit", () => {
    const all = ids(40);
    for (let index = 0; index < 50; index++) {
      const withDead = parts(8, all, index);
      const without = all.slice(1).map((self) => shareOf(8, { members: all.slice(1), self }, index));
      // A process that still sees the dead one and one that does not: the live ones' parts sum to ≤ 8 + 1.
      const mixed = all.slice(1).map((_, i) => Math.max(withDead[i + 1] ?? 0, without[i] ?? 0));
      expect(mixed.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(9);
    }
  });

  it("hashes every id and window alike, and spreads ids that differ in one character", () => {
    expect(rendezvousHash("a", 1)).toBe(rendezvousHash("a", 1));
    expect(rendezvousHash("a", 1)).not.toBe(rendezvousHash("a", 2));
    expect(rendezvousHash("a", 1)).not.toBe(rendezvousHash("b", 1));
    expect(winners(["a", "b", "c"], 3, 0).size).toBe(0);
    expect([...winners(["a", "b", "c"], 3, 3)].sort()).toEqual(["a", "b", "c"]);
  });
});
