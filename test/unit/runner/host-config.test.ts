import { describe, expect, it } from "vitest";
import { HostConfigError, parseHostJson, parseTimeSpan } from "../../../dev/runner/host-config.ts";

describe("parseTimeSpan", () => {
  it("reads .NET TimeSpan strings", () => {
    expect(parseTimeSpan("00:00:02")).toBe(2000);
    expect(parseTimeSpan("00:01:00")).toBe(60_000);
    expect(parseTimeSpan("01:00:00")).toBe(3_600_000);
    expect(parseTimeSpan("00:00:00.5")).toBe(500);
    expect(parseTimeSpan("00:00:00.250")).toBe(250);
    expect(parseTimeSpan("00:00:01.0000001")).toBe(1000);
    expect(parseTimeSpan("1.00:00:00")).toBe(86_400_000);
    expect(parseTimeSpan("00:05")).toBe(300_000); // hh:mm
    expect(parseTimeSpan("2")).toBe(2 * 86_400_000); // TimeSpan.Parse("2") is two days
  });

  it("takes numbers as milliseconds", () => {
    expect(parseTimeSpan(500)).toBe(500);
    expect(parseTimeSpan(0)).toBe(0);
  });

  it("rejects nonsense with the setting's name", () => {
    expect(() => parseTimeSpan("2s", "maxPollingInterval")).toThrow(/maxPollingInterval.*"2s"/);
    expect(() => parseTimeSpan("00:60:00")).toThrow(HostConfigError);
    expect(() => parseTimeSpan(-1)).toThrow(HostConfigError);
    expect(() => parseTimeSpan(null)).toThrow(HostConfigError);
  });
});

describe("parseHostJson", () => {
  it("applies the host's defaults to an empty host.json", () => {
    const config = parseHostJson({ version: "2.0" }, { cores: 2 });
    expect(config.routePrefix).toBe("api");
    expect(config.queues).toEqual({
      batchSize: 16,
      newBatchThreshold: 16, // batchSize / 2 × cores
      maxPollingIntervalMs: 60_000,
      visibilityTimeoutMs: 0,
      maxDequeueCount: 5,
      messageEncoding: "base64",
    });
    expect(config.functionTimeoutMs).toBeUndefined();
  });

  it("reads the project's host.json settings", () => {
    const config = parseHostJson(
      {
        extensions: {
          http: { routePrefix: "api" },
          queues: {
            batchSize: 16,
            newBatchThreshold: 8,
            maxPollingInterval: "00:00:02",
            visibilityTimeout: "00:00:10",
            maxDequeueCount: 5,
            messageEncoding: "none",
          },
        },
        functionTimeout: "00:05:00",
        logging: { logLevel: { default: "Information", "Function.worker": "Debug" } },
      },
      { cores: 4 },
    );
    expect(config.queues).toEqual({
      batchSize: 16,
      newBatchThreshold: 8,
      maxPollingIntervalMs: 2000,
      visibilityTimeoutMs: 10_000,
      maxDequeueCount: 5,
      messageEncoding: "none",
    });
    expect(config.functionTimeoutMs).toBe(300_000);
    expect(config.logLevels).toEqual({ default: "information", "Function.worker": "debug" });
  });

  it("derives newBatchThreshold from batchSize and cores when unset", () => {
    expect(
      parseHostJson({ extensions: { queues: { batchSize: 8 } } }, { cores: 3 }).queues.newBatchThreshold,
    ).toBe(12);
    expect(
      parseHostJson({ extensions: { queues: { batchSize: 1 } } }, { cores: 8 }).queues.newBatchThreshold,
    ).toBe(0);
  });

  it("accepts an empty route prefix and strips slashes", () => {
    expect(parseHostJson({ extensions: { http: { routePrefix: "" } } }).routePrefix).toBe("");
    expect(parseHostJson({ extensions: { http: { routePrefix: "/v1/" } } }).routePrefix).toBe("v1");
  });

  it("treats keys and encodings case-insensitively, like .NET configuration", () => {
    const config = parseHostJson({
      Extensions: { Queues: { MaxDequeueCount: 3, MessageEncoding: "Base64" } },
    });
    expect(config.queues.maxDequeueCount).toBe(3);
    expect(config.queues.messageEncoding).toBe("base64");
  });

  it("rejects out-of-range values with the setting's path", () => {
    expect(() => parseHostJson({ extensions: { queues: { batchSize: 64 } } })).toThrow(/batchSize.*1 and 32/);
    expect(() => parseHostJson({ extensions: { queues: { batchSize: 0 } } })).toThrow(HostConfigError);
    expect(() => parseHostJson({ extensions: { queues: { maxDequeueCount: 0 } } })).toThrow(
      /maxDequeueCount/,
    );
    expect(() => parseHostJson({ extensions: { queues: { maxPollingInterval: "00:00:00.050" } } })).toThrow(
      /at least 100 ms/,
    );
    expect(() => parseHostJson({ extensions: { queues: { messageEncoding: "utf8" } } })).toThrow(
      /messageEncoding/,
    );
    expect(() => parseHostJson({ extensions: { queues: [] } })).toThrow(/expected an object/);
    expect(() => parseHostJson({ logging: { logLevel: { default: "Loud" } } })).toThrow(/log level/);
  });
});
