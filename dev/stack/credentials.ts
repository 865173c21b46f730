import { serviceClientEmail } from "../../src/itwin/owners-client.ts";
/**
 * The local stack's well-known credentials, in one place: azurite's development account and the iTwin
 * API simulator's client. Neither is a secret — Microsoft documents the account key, and the simulator
 * accepts this client only on 127.0.0.1 — but every tool that starts or drives the stack must use the
 * same values, so they are spelled out here and nowhere else (local.settings.example.json keeps its
 * literals for `func start`; test/unit/stack/credentials.test.ts checks they match).
 */

/** The storage emulator's documented development account. */
export const DEVSTORE_ACCOUNT = "devstoreaccount1";
export const DEVSTORE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** The Functions shorthand for that account on azurite's default ports (10000–10002). */
export const DEV_STORAGE = "UseDevelopmentStorage=true";

/** The client the simulator's IMS knows by default (dev/simulator/clients.ts `DEFAULT_CLIENTS`). */
export const DEV_CLIENT_ID = "itwin-owner-automation-dev";
export const DEV_CLIENT_SECRET = "dev-secret";
/** How the dev client appears among an iTwin's owners (`{clientId}@apps.imsoidc.bentley.com`). */
export const DEV_SERVICE_OWNER = serviceClientEmail(DEV_CLIENT_ID);

export interface StoragePorts {
  blobPort: number;
  queuePort: number;
  tablePort: number;
}

/** A connection string for the development account on azurite at `ports` of 127.0.0.1. */
export function devStoreConnectionString(ports: StoragePorts): string {
  const base = (port: number) => `http://127.0.0.1:${port}/${DEVSTORE_ACCOUNT}`;
  return [
    "DefaultEndpointsProtocol=http",
    `AccountName=${DEVSTORE_ACCOUNT}`,
    `AccountKey=${DEVSTORE_KEY}`,
    `BlobEndpoint=${base(ports.blobPort)}`,
    `QueueEndpoint=${base(ports.queuePort)}`,
    `TableEndpoint=${base(ports.tablePort)}`,
  ].join(";");
}

/**
 * The settings the app needs to run against local storage and the simulator (or another owners API
 * that accepts the dev client).
 */
export function appEnv(storage: { connectionString: string }, itwinApi: { url: string }) {
  return {
    AzureWebJobsStorage: storage.connectionString,
    ITWIN_API_BASE_URL: itwinApi.url,
    ITWIN_AUTHORITY: itwinApi.url,
    ITWIN_CLIENT_ID: DEV_CLIENT_ID,
    ITWIN_CLIENT_SECRET: DEV_CLIENT_SECRET,
  };
}
