import { ManagedIdentityCredential } from "@azure/identity";
import { useAzureMonitor } from "@azure/monitor-opentelemetry";
import { metrics as otelMetrics } from "@opentelemetry/api";
import { setMetrics } from "./metrics.ts";

/**
 * Sends traces, logs and our counters to Application Insights. With
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "ClientId=<id>;Authorization=AAD"` (what infra sets),
 * ingestion is authenticated with the app's user-assigned identity, so local auth can stay disabled.
 */
export function startAzureMonitor(connectionString: string, authentication: string | undefined): void {
  const aad = /(^|;)\s*Authorization=AAD\s*(;|$)/i.test(authentication ?? "");
  const clientId = /(^|;)\s*ClientId=([^;]+)/i.exec(authentication ?? "")?.[2]?.trim();
  const credential = aad ? new ManagedIdentityCredential(clientId ? { clientId } : {}) : undefined;
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString, ...(credential ? { credential } : {}) },
  });

  const meter = otelMetrics.getMeter("itwin-owner-automation");
  const changes = meter.createCounter("owner_changes_finished", {
    description: "Owner changes that reached a final status, by status and outcome",
  });
  const retries = meter.createCounter("itwin_api_retries", {
    description: "Owners API calls retried, by HTTP status and error code (429 = rate limited)",
  });
  const waits = meter.createHistogram("itwin_api_wait_ms", {
    description: "Time calls waited before being sent or retried, by reason",
    unit: "ms",
  });
  setMetrics({
    changeFinished: (status, outcome) => changes.add(1, { status, outcome: outcome ?? "none" }),
    apiRetry: (httpStatus, code, delayMs) => {
      retries.add(1, { httpStatus: httpStatus ?? 0, code });
      waits.record(delayMs, { reason: httpStatus === 429 ? "rate-limited" : "retry" });
    },
    paced: (delayMs) => waits.record(delayMs, { reason: "paced" }),
  });
}
