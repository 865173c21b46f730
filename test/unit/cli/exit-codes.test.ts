import { describe, expect, it } from "vitest";
import { EXIT, exitCodeForHttpStatus, exitCodeForStatuses } from "../../../ops/cli/exit-codes.ts";

describe("exit codes", () => {
  it("puts failures before waiting, and waiting before held", () => {
    expect(exitCodeForStatuses(["succeeded", "succeeded"])).toBe(EXIT.ok);
    expect(exitCodeForStatuses([])).toBe(EXIT.ok);
    expect(exitCodeForStatuses(["succeeded", "held"])).toBe(EXIT.held);
    expect(exitCodeForStatuses(["held", "queued"])).toBe(EXIT.pending);
    expect(exitCodeForStatuses(["held", "processing", "rejected"])).toBe(EXIT.failed);
    expect(exitCodeForStatuses(["succeeded", "failed"])).toBe(EXIT.failed);
    expect(exitCodeForStatuses(["refused"])).toBe(EXIT.failed);
    expect(exitCodeForStatuses(["unsent"])).toBe(EXIT.pending);
  });

  it("maps HTTP answers: no answer, auth and 5xx are the service's; 400s are usage; the rest a refusal", () => {
    expect([undefined, 401, 403, 408, 429, 500, 503].map(exitCodeForHttpStatus)).toEqual([
      4, 4, 4, 4, 4, 4, 4,
    ]);
    expect([400, 413, 415].map(exitCodeForHttpStatus)).toEqual([2, 2, 2]);
    expect([404, 409, 422].map(exitCodeForHttpStatus)).toEqual([1, 1, 1]);
  });
});
