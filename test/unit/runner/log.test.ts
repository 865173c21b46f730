import { describe, expect, it } from "vitest";
import { Logger, logLevelFor, normaliseLevel, toLogLevel } from "../../../dev/runner/log.ts";

describe("log levels", () => {
  it("reads level names in any case, with the info and warn aliases", () => {
    expect(toLogLevel("Information")).toBe("information");
    expect(toLogLevel("WARN")).toBe("warning");
    expect(toLogLevel("info")).toBe("information");
    expect(toLogLevel("None")).toBe("none");
    expect(toLogLevel("loud")).toBeUndefined();
  });

  it("writes a line at a level it does not know, or at none, as information", () => {
    expect(normaliseLevel("Error")).toBe("error");
    expect(normaliseLevel("warn")).toBe("warning");
    expect(normaliseLevel("none")).toBe("information");
    expect(normaliseLevel("verbose")).toBe("information");
  });

  const levels = { default: "warning", Function: "information", "Function.worker": "debug" } as const;
  it("picks Function.<name>, then Function, then default", () => {
    expect(logLevelFor(levels, "worker")).toBe("debug");
    expect(logLevelFor(levels, "intake")).toBe("information");
    expect(logLevelFor(levels)).toBe("warning");
    expect(logLevelFor({})).toBe("information");
  });

  it("drops lines below the function's level and sends warnings and worse to stderr", () => {
    const out: string[] = [];
    const err: string[] = [];
    const logger = new Logger(
      { default: "warning", "Function.worker": "debug" },
      { out: (line) => out.push(line), err: (line) => err.push(line) },
      { now: () => Date.parse("2026-01-01T10:20:30.456Z") },
      {},
    );
    logger.write("information", "intake", "dropped", { functionName: "intake" });
    logger.write("debug", "worker", "kept", { functionName: "worker" });
    logger.write("warn", "runner", "careful");
    expect(out).toEqual(["10:20:30.456 DEBUG [worker] kept"]);
    expect(err).toEqual(["10:20:30.456 WARN  [runner] careful"]);
  });
});
