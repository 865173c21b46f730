import { describe, expect, it } from "vitest";
import type { StatusDocument } from "../../../src/changes/model.ts";
import type { OffboardingRecord } from "../../../src/people/plan.ts";
import { ACCEPT_GRACE_MS, type ChildState, offboardingView, rollUp } from "../../../src/people/rollup.ts";
import { queuedDoc } from "../../support/fixtures.ts";

/** An offboarding's status from its children's: which state wins over which, and why. */

const settled = ACCEPT_GRACE_MS;
const roll = (...states: ChildState[]) => rollUp(states, settled);

describe("rollUp", () => {
  it("is succeeded with no children, or when every child succeeded", () => {
    expect(roll()).toBe("succeeded");
    expect(roll("succeeded", "succeeded")).toBe("succeeded");
  });

  it("is held while any child waits for an approver, even with others still moving or failed", () => {
    expect(roll("succeeded", "held")).toBe("held");
    expect(roll("processing", "held", "failed")).toBe("held");
  });

  it("is processing while any child is queued or processing, whatever else has ended", () => {
    expect(roll("succeeded", "queued")).toBe("processing");
    expect(roll("failed", "processing", "rejected")).toBe("processing");
  });

  it("is failed when a child failed, before rejected, once nothing moves", () => {
    expect(roll("succeeded", "failed")).toBe("failed");
    expect(roll("rejected", "failed", "succeeded")).toBe("failed");
    expect(roll("rejected", "succeeded")).toBe("rejected");
  });

  it("counts a child never accepted as processing within the grace, and failed after it", () => {
    expect(rollUp(["succeeded", "missing"], ACCEPT_GRACE_MS - 1)).toBe("processing");
    expect(rollUp(["succeeded", "missing"], ACCEPT_GRACE_MS)).toBe("failed");
    expect(rollUp(["held", "missing"], ACCEPT_GRACE_MS)).toBe("held");
  });
});

describe("offboardingView", () => {
  const record: OffboardingRecord = {
    id: "k-parent00",
    email: "lee@corp.example",
    source: "offboard",
    via: "offboard",
    occurredAt: "2026-11-23T12:00:00.000Z",
    dryRun: false,
    correlationId: "c",
    createdAt: "2026-11-23T12:00:00.000Z",
    itwinIds: ["a", "b", "c"],
  };
  const doc = (patch: Partial<StatusDocument>) => queuedDoc({ action: "remove", ...patch });

  it("shows each child's state, outcome and error, the counts, and the rolled-up status", () => {
    const view = offboardingView(
      record,
      ["k-a", "k-b", "k-c"],
      [
        doc({ status: "succeeded", outcome: "removed" }),
        doc({ status: "rejected", error: { code: "LastOwner", message: "last" } }),
        undefined,
      ],
      Date.parse(record.createdAt) + ACCEPT_GRACE_MS,
    );
    expect(view).toMatchObject({
      id: "k-parent00",
      email: "lee@corp.example",
      status: "failed",
      counts: { succeeded: 1, rejected: 1, missing: 1 },
      children: [
        { id: "k-a", itwinId: "a", status: "succeeded", outcome: "removed" },
        { id: "k-b", itwinId: "b", status: "rejected", error: { code: "LastOwner" } },
        { id: "k-c", itwinId: "c", status: "missing" },
      ],
    });
    expect(view.note).toMatch(/^1 removal\(s\) were never accepted/);
    expect(view).not.toHaveProperty("itwinIds");
  });
});
