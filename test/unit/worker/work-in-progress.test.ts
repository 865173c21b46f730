import { describe, expect, it } from "vitest";
import { WorkInProgress } from "../../../src/worker/work-in-progress.ts";

describe("WorkInProgress", () => {
  it("lists a change while any of its overlapping deliveries runs, and forgets it after the last", async () => {
    const work = new WorkInProgress();
    const gates: (() => void)[] = [];
    const hold = () => new Promise<void>((resolve) => gates.push(resolve));
    const first = work.track("r-1", hold);
    const second = work.track("r-1", hold);
    const other = work.track("r-2", async () => {
      throw new Error("failed");
    });
    await expect(other).rejects.toThrow("failed");
    expect(work.ids()).toEqual(["r-1"]);
    gates[0]?.();
    await first;
    expect(work.ids()).toEqual(["r-1"]);
    gates[1]?.();
    await second;
    expect(work.ids()).toEqual([]);
  });
});
