import { describe, expect, it } from "vitest";
import { jobFor } from "../../../src/changes/accept.ts";
import { requestIdFor } from "../../../src/changes/ids.ts";
import { planReplay } from "../../../src/poison/plan.ts";
import { ITWIN_ID as ITWIN, queuedDoc } from "../../support/fixtures.ts";

/** A job as the intake sends it (accept.ts), for a change with an `occurredAt`. */
const job = jobFor(
  queuedDoc({ id: "r-12345678", email: "kim@corp.example", occurredAt: "2026-11-20T09:15:00.000Z" }),
);

describe("planReplay", () => {
  it("sends a refused request's original text back, with the envelope's reason and details", () => {
    const original = JSON.stringify({ itwinId: ITWIN, email: "a@corp.example", action: "add" });
    const plan = planReplay(
      "requests",
      "m1",
      JSON.stringify({
        reason: "The message fails the owner-change schema",
        errors: [{ path: "email", message: "bad" }],
        original,
        messageId: "q1",
        dequeueCount: 1,
        poisonedAt: "2026-11-20T09:15:01.000Z",
        function: "ownerChangeRequestsIntake",
      }),
    );
    expect(plan).toEqual({
      replay: true,
      text: original,
      summary: {
        reason: "The message fails the owner-change schema",
        errors: [{ path: "email", message: "bad" }],
        function: "ownerChangeRequestsIntake",
        dequeueCount: 1,
        poisonedAt: "2026-11-20T09:15:01.000Z",
        change: { itwinId: ITWIN, email: "a@corp.example", action: "add" },
      },
    });
  });

  it("keeps what an invalid request names, and drops malformed envelope details", () => {
    const plan = planReplay(
      "requests",
      "m1",
      JSON.stringify({ reason: "bad", original: '{"email":42,"action":"add"}', dequeueCount: "two" }),
    );
    expect(plan).toEqual({
      replay: true,
      text: '{"email":42,"action":"add"}',
      summary: { reason: "bad", change: { action: "add" } },
    });
  });

  it("sends a raw request the host poisoned back as it is", () => {
    const plan = planReplay("requests", "m1", "add alice please");
    expect(plan).toEqual({
      replay: true,
      text: "add alice please",
      summary: { reason: "moved by the host after repeated failures" },
    });
  });

  it("turns a job that kept failing into a new request with its own id per poisoned message", () => {
    const plan = planReplay("jobs", "m9", JSON.stringify(job));
    expect(plan.replay).toBe(true);
    if (!plan.replay) return;
    expect(JSON.parse(plan.text)).toEqual({
      itwinId: ITWIN,
      email: "kim@corp.example",
      action: "add",
      occurredAt: "2026-11-20T09:15:00.000Z",
      dryRun: false,
      id: "replay:r-12345678:m9",
      source: "poison-replay",
      reason: "replay of r-12345678, which failed after repeated deliveries",
    });
    expect(plan.requestId).toBe("r-12345678");
    expect(plan.newRequestId).toBe(requestIdFor("replay:r-12345678:m9", "poison-replay"));
    const other = planReplay("jobs", "m10", JSON.stringify(job));
    expect(other.replay && other.newRequestId).toBe(requestIdFor("replay:r-12345678:m10", "poison-replay"));
    expect(plan.summary).toEqual({
      reason: "job of r-12345678 failed after repeated deliveries",
      change: { itwinId: ITWIN, email: "kim@corp.example", action: "add", requestId: "r-12345678" },
    });
  });

  it("does not replay a job that failed the job schema, nor text it cannot read", () => {
    expect(
      planReplay(
        "jobs",
        "m1",
        JSON.stringify({
          reason: "The job fails the job schema",
          original: "{}",
          function: "ownerChangeWorker",
        }),
      ),
    ).toEqual({
      replay: false,
      why: "a job that fails the job schema is a bug to report, not to retry",
      summary: { reason: "The job fails the job schema", function: "ownerChangeWorker" },
    });
    expect(planReplay("jobs", "m1", "garbage")).toMatchObject({
      replay: false,
      why: "not a job this version can read",
    });
  });
});
