import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseTimeSpan } from "../../../dev/runner/host-config.ts";
import { CLAIM_EXPIRY_MS, reasonToSkip } from "../../../src/worker/claim.ts";
import { queuedDoc } from "../../support/fixtures.ts";

/** Which delivery may work on a change, and how long a claim keeps others away. */

const NOW = Date.parse("2026-11-23T12:00:00.000Z");
const delivery = { messageId: "msg-2", dequeueCount: 1, maxDequeueCount: 5 };

describe("claims", () => {
  it("expire exactly when the host gives up on an invocation (host.json functionTimeout)", () => {
    const host = JSON.parse(readFileSync(new URL("../../../host.json", import.meta.url), "utf8")) as {
      functionTimeout: string;
    };
    expect(CLAIM_EXPIRY_MS).toBe(parseTimeSpan(host.functionTimeout, "functionTimeout"));
  });

  it("keep another delivery away while fresh, and let it take over once expired", () => {
    const claimedAt = (age: number) => new Date(NOW - age).toISOString();
    const processing = (age: number) =>
      queuedDoc({ status: "processing", claimedBy: "msg-1", claimedAt: claimedAt(age) }, claimedAt(age));
    expect(reasonToSkip(processing(CLAIM_EXPIRY_MS - 1), delivery, NOW)).toBe(
      "being processed by message msg-1",
    );
    expect(reasonToSkip(processing(CLAIM_EXPIRY_MS), delivery, NOW)).toBeUndefined();
    // The same message delivered again is the claim's own holder.
    expect(reasonToSkip(processing(0), { ...delivery, messageId: "msg-1" }, NOW)).toBeUndefined();
  });

  it("leave finished and held changes alone", () => {
    const at = new Date(NOW).toISOString();
    expect(reasonToSkip(queuedDoc({ status: "succeeded" }, at), delivery, NOW)).toBe("already succeeded");
    expect(reasonToSkip(queuedDoc({ status: "held" }, at), delivery, NOW)).toBe("held for approval");
    expect(reasonToSkip(queuedDoc({}, at), delivery, NOW)).toBeUndefined();
  });
});
