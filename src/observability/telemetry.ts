import type { Settings } from "../config.ts";

/**
 * Application Insights through OpenTelemetry, when a connection string is configured. The SDK is
 * several times the size of the app, so it is imported only then: a local run or a test never loads it.
 */
export async function startTelemetry(settings: Settings): Promise<boolean> {
  const connectionString = settings.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (connectionString === undefined) return false;
  const { startAzureMonitor } = await import("./azure-monitor.ts");
  startAzureMonitor(connectionString, settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING);
  return true;
}
