import { describe, expect, it } from "vitest";
import { batchedWriter, Logger, logLevelFor, normaliseLevel, toLogLevel } from "../../../dev/runner/log.ts";

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

  it("reads the secret settings from the environment once, and again after refreshSecrets", () => {
    const lines: string[] = [];
    const values: Record<string, string> = { ITWIN_CLIENT_SECRET: "first-secret-value-1" };
    let enumerations = 0;
    // Counts what makes a per-line read expensive on process.env: listing its keys.
    const env = new Proxy(values, {
      ownKeys: (target) => {
        enumerations++;
        return Reflect.ownKeys(target);
      },
    });
    const logger = new Logger(
      {},
      { out: (l) => lines.push(l), err: (l) => lines.push(l) },
      { now: () => 0 },
      env,
    );
    for (let i = 0; i < 5; i++) logger.info("http", "echo first-secret-value-1");
    expect(enumerations).toBe(1);
    values.ITWIN_CLIENT_SECRET = "second-secret-value-2";
    logger.refreshSecrets();
    logger.info("http", "echo second-secret-value-2");
    expect(enumerations).toBe(2);
    expect(lines.join("\n")).not.toMatch(/first-secret-value-1|second-secret-value-2/);
    expect(lines).toHaveLength(6);
  });

  it("writes lines once per turn, each stream's run of lines in one write, in order", () => {
    const writes: string[] = [];
    const scheduled: (() => void)[] = [];
    const writer = batchedWriter(
      { out: (text) => writes.push(`out:${text}`), err: (text) => writes.push(`err:${text}`) },
      (flush) => scheduled.push(flush),
    );
    writer.out("a");
    writer.out("b");
    writer.err("c");
    writer.out("d");
    expect(writes).toEqual([]);
    expect(scheduled).toHaveLength(1);
    scheduled[0]?.();
    expect(writes).toEqual(["out:a\nb", "err:c", "out:d"]);
    writer.err("e");
    writer.flush();
    expect(writes.at(-1)).toBe("err:e");
    expect(scheduled).toHaveLength(2);
    scheduled[1]?.();
    expect(writes).toHaveLength(4);
  });
});
