import type { AzuriteInstance } from "./azurite.ts";

/** The settings the real app needs to run against a test azurite and an iTwin API simulator. */
export function appEnv(azurite: Pick<AzuriteInstance, "connectionString">, simulator: { url: string }) {
  return {
    AzureWebJobsStorage: azurite.connectionString,
    ITWIN_API_BASE_URL: simulator.url,
    ITWIN_AUTHORITY: simulator.url,
    ITWIN_CLIENT_ID: "itwin-owner-automation-dev",
    ITWIN_CLIENT_SECRET: "dev-secret",
  };
}
