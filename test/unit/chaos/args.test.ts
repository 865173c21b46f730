import { describe, expect, it } from "vitest";
import { CHAOS_DEFAULTS, parseChaosArgs } from "../../../bench/chaos/args.ts";
import { UsageError } from "../../../dev/stack/cli.ts";

describe("npm run chaos flags", () => {
  it("has defaults, and reads every flag", () => {
    expect(parseChaosArgs([])).toEqual(CHAOS_DEFAULTS);
    expect(
      parseChaosArgs([
        "--seed",
        "9",
        "--changes",
        "2000",
        "--kills",
        "4",
        "--runners",
        "3",
        "--deadline",
        "9",
      ]),
    ).toEqual({ ...CHAOS_DEFAULTS, seed: 9, changes: 2000, kills: 4, runners: 3, deadlineMinutes: 9 });
    expect(parseChaosArgs(["--timeout=1500", "--keep-logs", "logs"])).toMatchObject({
      timeoutMs: 1500,
      keepLogs: "logs",
    });
    expect(parseChaosArgs(["-h"])).toBe("help");
  });

  it("refuses what it cannot run, naming the flag", () => {
    expect(() => parseChaosArgs(["--changes", "10"])).toThrow(/--changes wants a whole number from 60/);
    expect(() => parseChaosArgs(["--runners", "1"])).toThrow(/--runners/);
    expect(() => parseChaosArgs(["--kills", "-1"])).toThrow(UsageError);
    expect(() => parseChaosArgs(["--seed", "x"])).toThrow(/--seed/);
    expect(() => parseChaosArgs(["--what"])).toThrow(UsageError);
  });
});
