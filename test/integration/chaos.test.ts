import { describe, expect, it } from "vitest";
import { runChaos } from "../../bench/chaos/run.ts";

/**
 * The chaos run of `npm run chaos`, small: 200 changes through two runner processes while owners-API
 * faults come and go, one runner is SIGKILLed and replaced, and azurite restarts once with its data.
 * Recovery runs every 5 s and takes over after 10 s, so the killed runner's work is back in seconds.
 * Seeded: the workload, the fault phases and the kill points repeat; only timing varies.
 */
describe("chaos run", () => {
  it("ends with every change terminal as the model expects, applied at most once, nothing lost", async () => {
    const lines: string[] = [];
    const result = await runChaos({
      seed: 7,
      changes: 200,
      kills: 1,
      runners: 2,
      // Usually done in under a minute; a lease left by the killed runner can hold a subject for 120 s.
      deadlineMs: 165_000,
      clientTimeoutMs: 2_000,
      env: { RECOVERY_SCHEDULE: "*/5 * * * * *", RECOVERY_AFTER_SECONDS: "10" },
      log: (line) => lines.push(line),
    });
    // The problems name each request that went wrong; the progress lines say when things happened.
    expect({
      problems: result.verdict.problems,
      log: result.verdict.problems.length > 0 ? lines : [],
    }).toEqual({
      problems: [],
      log: [],
    });
    expect(result.summary).toMatchObject({
      changes: 200,
      kills: 1,
      lost: 0,
      doubleEffects: 0,
      wrongFinalState: 0,
      nonTerminal: 0,
    });
    expect(result.summary.faults["azurite-restart"]).toBe(1);
    const apiFaults = ["5xx-json", "5xx-html", "429", "stall", "reset", "lost-reply"].reduce(
      (sum, kind) => sum + (result.summary.faults[kind] ?? 0),
      0,
    );
    expect(apiFaults).toBeGreaterThan(0);
  }, 210_000);
});
