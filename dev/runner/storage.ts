import type { TokenCredential } from "@azure/identity";
import type { StoragePipelineOptions } from "@azure/storage-queue";
import { QueueServiceClient } from "@azure/storage-queue";
import { lookupSetting } from "./queue-logic.ts";

/**
 * Storage connections the way the host resolves them: a binding's `connection` names an app setting
 * (default `AzureWebJobsStorage`; `X` also tried as `AzureWebJobsX`) that holds either a connection
 * string, or — identity-based — sub-settings `X__queueServiceUri` (or `X__serviceUri`,
 * `X__accountName`) with optional `X__credential` / `X__clientId`.
 */

export const DEFAULT_CONNECTION = "AzureWebJobsStorage";

export type StorageConnection =
  | { kind: "connectionString"; settingName: string; connectionString: string }
  | {
      kind: "identity";
      settingName: string;
      queueServiceUri: string;
      credential: string | undefined;
      clientId: string | undefined;
    };

export class ConnectionError extends Error {
  override name = "ConnectionError";
}

export function resolveConnection(
  connection: string | undefined,
  env: Record<string, string | undefined>,
): StorageConnection {
  const name = connection && connection.trim() !== "" ? connection.trim() : DEFAULT_CONNECTION;
  const candidates = name.toLowerCase().startsWith("azurewebjobs") ? [name] : [name, `AzureWebJobs${name}`];
  for (const settingName of candidates) {
    const value = lookupSetting(env, settingName);
    if (value !== undefined && value.trim() !== "") {
      return { kind: "connectionString", settingName, connectionString: value.trim() };
    }
    const sub = (key: string) => {
      const v = lookupSetting(env, `${settingName}__${key}`) ?? lookupSetting(env, `${settingName}:${key}`);
      return v !== undefined && v.trim() !== "" ? v.trim() : undefined;
    };
    const accountName = sub("accountName");
    const queueServiceUri =
      sub("queueServiceUri") ??
      sub("serviceUri") ??
      (accountName ? `https://${accountName}.queue.core.windows.net` : undefined);
    if (queueServiceUri) {
      return {
        kind: "identity",
        settingName,
        queueServiceUri,
        credential: sub("credential"),
        clientId: sub("clientId"),
      };
    }
  }
  throw new ConnectionError(
    `storage connection "${name}" is not configured: set ${name} to a connection string ` +
      `(locally: UseDevelopmentStorage=true) or ${name}__queueServiceUri for an identity-based connection`,
  );
}

/** Describes a connection without secrets, for log lines. */
export function describeConnection(conn: StorageConnection): string {
  if (conn.kind === "identity") {
    return `${conn.settingName} (identity, ${conn.queueServiceUri})`;
  }
  if (/^UseDevelopmentStorage=true/i.test(conn.connectionString)) {
    return `${conn.settingName} (development storage)`;
  }
  const endpoint = /QueueEndpoint=([^;]+)/i.exec(conn.connectionString)?.[1];
  const account = /AccountName=([^;]+)/i.exec(conn.connectionString)?.[1];
  return `${conn.settingName} (${endpoint ?? account ?? "connection string"})`;
}

const pipelineOptions: StoragePipelineOptions = {
  // Fail fast and let the listener's own back-off handle an unreachable service.
  retryOptions: { maxTries: 2, tryTimeoutInMs: 30_000, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
};

async function createCredential(
  conn: Extract<StorageConnection, { kind: "identity" }>,
): Promise<TokenCredential> {
  const identity = await import("@azure/identity");
  if (conn.credential?.toLowerCase() === "managedidentity") {
    return conn.clientId
      ? new identity.ManagedIdentityCredential({ clientId: conn.clientId })
      : new identity.ManagedIdentityCredential();
  }
  return new identity.DefaultAzureCredential(conn.clientId ? { managedIdentityClientId: conn.clientId } : {});
}

const clients = new Map<string, Promise<QueueServiceClient>>();

/** One QueueServiceClient per connection (cached). */
export function getQueueServiceClient(conn: StorageConnection): Promise<QueueServiceClient> {
  const key =
    conn.kind === "identity"
      ? `id:${conn.queueServiceUri}:${conn.clientId ?? ""}`
      : `cs:${conn.connectionString}`;
  let client = clients.get(key);
  if (!client) {
    client =
      conn.kind === "connectionString"
        ? Promise.resolve(QueueServiceClient.fromConnectionString(conn.connectionString, pipelineOptions))
        : createCredential(conn).then(
            (cred) => new QueueServiceClient(conn.queueServiceUri, cred, pipelineOptions),
          );
    clients.set(key, client);
  }
  return client;
}
