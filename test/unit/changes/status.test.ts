import { describe, expect, it } from "vitest";
import { STATUSES, type Status } from "../../../src/changes/model.ts";
import {
  canTransition,
  InvalidTransitionError,
  isTerminal,
  MAX_HISTORY,
  transition,
} from "../../../src/changes/status.ts";
import { queuedDoc } from "../../support/fixtures.ts";

const doc = queuedDoc();

describe("status transitions", () => {
  it("follows the life cycle and records each step", () => {
    const processing = transition(doc, "processing", new Date("2026-11-23T00:00:01Z"), { attempts: 1 });
    const done = transition(processing, "succeeded", new Date("2026-11-23T00:00:02Z"), {
      outcome: "added",
      memberId: "m1",
      note: "ok",
    });
    expect(done).toMatchObject({
      status: "succeeded",
      outcome: "added",
      memberId: "m1",
      attempts: 1,
      updatedAt: "2026-11-23T00:00:02.000Z",
    });
    expect(done.history.map((h) => h.status)).toEqual(["queued", "processing", "succeeded"]);
    expect(done.history[2]?.note).toBe("ok");
    expect(doc.status).toBe("queued");
  });

  it("refuses to leave a terminal state", () => {
    const failed = transition(transition(doc, "processing", new Date()), "failed", new Date());
    expect(isTerminal(failed.status)).toBe(true);
    expect(() => transition(failed, "processing", new Date())).toThrow(InvalidTransitionError);
    expect(canTransition("succeeded", "queued")).toBe(false);
    expect(canTransition("processing", "queued")).toBe(true);
    expect(canTransition("held", "queued")).toBe(true);
  });

  it("keeps history bounded", () => {
    let current = transition(doc, "processing", new Date());
    for (let i = 0; i < MAX_HISTORY + 10; i++) current = transition(current, "processing", new Date());
    expect(current.history).toHaveLength(MAX_HISTORY);
  });

  it("allows exactly the moves of the life cycle", () => {
    // Every move the README's status model and crash recovery make, nothing else (in STATUSES order).
    const allowed: Record<Status, Status[]> = {
      queued: ["queued", "processing", "failed"],
      processing: ["queued", "processing", "succeeded", "failed", "rejected", "held"],
      held: ["queued", "rejected"],
      succeeded: [],
      failed: [],
      rejected: [],
    };
    for (const from of STATUSES) {
      expect(STATUSES.filter((to) => canTransition(from, to))).toEqual(allowed[from]);
      expect(isTerminal(from)).toBe(allowed[from].length === 0);
    }
  });

  it("names both ends of a refused move", () => {
    const succeeded = { ...doc, status: "succeeded" as const };
    expect(() => transition(succeeded, "queued", new Date())).toThrow(
      expect.objectContaining({
        name: "InvalidTransitionError",
        message: "status cannot go from succeeded to queued",
        from: "succeeded",
        to: "queued",
      }),
    );
  });

  it("adds a note to the history entry only when one is given", () => {
    const at = new Date("2026-11-23T00:00:01Z");
    const plain = transition(doc, "processing", at);
    expect(plain.history.at(-1)).toStrictEqual({ at: "2026-11-23T00:00:01.000Z", status: "processing" });
  });
});
