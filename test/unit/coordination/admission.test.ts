import { describe, expect, it } from "vitest";
import {
  ADMISSION_MARGIN_MS,
  ALWAYS,
  admissionFor,
  admittedTo,
} from "../../../src/coordination/admission.ts";

describe("admission", () => {
  it("admits a process that found no other live row for every window, the current one included", () => {
    expect(admissionFor({ joinedAt: 5_000, alone: true, heartbeatMs: 2_000, phase: undefined })).toBe(ALWAYS);
  });

  it("admits a process that is not alone from the first window start one heartbeat and the margin later", () => {
    const phase = { windowMs: 1_000, resetAt: 400 };
    expect(admissionFor({ joinedAt: 10_000, alone: false, heartbeatMs: 2_000, phase })).toBe(13_400);
    expect(admissionFor({ joinedAt: 10_400, alone: false, heartbeatMs: 2_000, phase })).toBe(13_400);
    expect(admissionFor({ joinedAt: 10_401, alone: false, heartbeatMs: 2_000, phase })).toBe(14_400);
  });

  it("admits at the bare instant when no window is known yet", () => {
    expect(admissionFor({ joinedAt: 10_000, alone: false, heartbeatMs: 2_000, phase: undefined })).toBe(
      12_000 + ADMISSION_MARGIN_MS,
    );
  });

  it("reads a row as pending without admitFrom, and as sending when it predates admission", () => {
    expect(admittedTo({ joinedAt: 1, admitFrom: 5_000 }, 5_000)).toBe(true);
    expect(admittedTo({ joinedAt: 1, admitFrom: 5_000 }, 4_999)).toBe(false);
    expect(admittedTo({ joinedAt: 1 }, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(admittedTo({}, 0)).toBe(true);
  });
});
