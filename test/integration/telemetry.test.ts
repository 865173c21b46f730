import { afterAll, describe, expect, it } from "vitest";
import { appEnv, DEV_STORAGE } from "../../dev/stack/credentials.ts";
import { parseSettings } from "../../src/config.ts";
import { metrics } from "../../src/observability/metrics.ts";
import { startTelemetry } from "../../src/observability/telemetry.ts";

/**
 * Telemetry switches on only with a connection string, and then loads the real Azure Monitor SDK and
 * replaces the no-op counters. Ingestion points at a closed loopback port: nothing leaves the machine.
 */
const base = appEnv({ connectionString: DEV_STORAGE }, { url: "http://127.0.0.1:7080" });

afterAll(async () => {
  const { shutdownAzureMonitor } = await import("@azure/monitor-opentelemetry");
  await shutdownAzureMonitor();
});

describe("startTelemetry", () => {
  it("stays off without a connection string", async () => {
    const before = metrics();
    expect(await startTelemetry(parseSettings(base))).toBe(false);
    expect(metrics()).toBe(before);
  });

  it("starts Azure Monitor and real counters with one", async () => {
    const before = metrics();
    const settings = parseSettings({
      ...base,
      APPLICATIONINSIGHTS_CONNECTION_STRING:
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/",
    });
    expect(await startTelemetry(settings)).toBe(true);
    expect(metrics()).not.toBe(before);
    expect(() => {
      metrics().changeFinished("succeeded", "added");
      metrics().apiRetry(429, "RateLimitExceeded", 800);
      metrics().paced(120);
    }).not.toThrow();
  });
});
