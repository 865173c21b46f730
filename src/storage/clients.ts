import { TableClient } from "@azure/data-tables";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { type QueueClient, QueueServiceClient } from "@azure/storage-queue";
import type { StorageSettings } from "../config.ts";
import { bundleQueueName, poisonQueueName } from "./queue-rules.ts";

/** Every storage call gives up after this long per try, so a stalled account cannot hang an invocation. */
const STORAGE_TRY_TIMEOUT_MS = 10_000;
const STORAGE_MAX_TRIES = 3;

export interface StorageClients {
  /** The public inbound queue other systems write to. */
  requestsQueue: QueueClient;
  requestsPoisonQueue: QueueClient;
  /** The internal queue: accept, the worker's reschedules, approvals and crash recovery write it; only the worker reads it. */
  jobsQueue: QueueClient;
  jobsPoisonQueue: QueueClient;
  /** A batch's jobs in one message each batch, until `fanOutJobBundles` sends them on as single jobs. */
  jobBundlesQueue: QueueClient;
  statusTable: TableClient;
}

/**
 * One factory for queues and tables, reading the same settings the Functions host reads for the
 * `AzureWebJobsStorage` connection: a connection string, or identity-based service URIs with
 * `__credential=managedidentity` and an optional user-assigned `__clientId`.
 */
export function createStorageClients(
  settings: StorageSettings,
  credential?: TokenCredential,
): StorageClients {
  const connectionString = settings.AzureWebJobsStorage;
  const queueOptions = {
    retryOptions: { maxTries: STORAGE_MAX_TRIES, tryTimeoutInMs: STORAGE_TRY_TIMEOUT_MS },
  };
  const tableOptions = { retryOptions: { maxRetries: STORAGE_MAX_TRIES - 1 } };
  let queues: QueueServiceClient;
  let statusTable: TableClient;
  if (connectionString !== undefined) {
    queues = QueueServiceClient.fromConnectionString(connectionString, queueOptions);
    statusTable = TableClient.fromConnectionString(connectionString, settings.OWNER_CHANGE_STATUS_TABLE, {
      ...tableOptions,
      allowInsecureConnection: isLocalEmulator(connectionString),
    });
  } else {
    const identity = credential ?? storageCredential(settings);
    queues = new QueueServiceClient(
      required(settings.AzureWebJobsStorage__queueServiceUri),
      identity,
      queueOptions,
    );
    statusTable = new TableClient(
      required(settings.AzureWebJobsStorage__tableServiceUri),
      settings.OWNER_CHANGE_STATUS_TABLE,
      identity,
      tableOptions,
    );
  }
  return {
    requestsQueue: queues.getQueueClient(settings.OWNER_CHANGE_REQUESTS_QUEUE),
    requestsPoisonQueue: queues.getQueueClient(poisonQueueName(settings.OWNER_CHANGE_REQUESTS_QUEUE)),
    jobsQueue: queues.getQueueClient(settings.OWNER_CHANGE_JOBS_QUEUE),
    jobsPoisonQueue: queues.getQueueClient(poisonQueueName(settings.OWNER_CHANGE_JOBS_QUEUE)),
    jobBundlesQueue: queues.getQueueClient(bundleQueueName(settings.OWNER_CHANGE_JOBS_QUEUE)),
    statusTable,
  };
}

/**
 * The identity for identity-based storage, loaded on its first token: @azure/identity and the MSAL
 * libraries under it are about a third of what a cold start would otherwise read (bench `bundleBytes`),
 * and a connection string — every local run, every test — never needs them.
 */
function storageCredential(settings: StorageSettings): TokenCredential {
  const clientId = settings.AzureWebJobsStorage__clientId;
  let credential: Promise<TokenCredential> | undefined;
  const load = async (): Promise<TokenCredential> => {
    const { DefaultAzureCredential, ManagedIdentityCredential } = await import("@azure/identity");
    if (settings.AzureWebJobsStorage__credential === "managedidentity") {
      return clientId === undefined
        ? new ManagedIdentityCredential()
        : new ManagedIdentityCredential({ clientId });
    }
    return new DefaultAzureCredential(clientId === undefined ? {} : { managedIdentityClientId: clientId });
  };
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      credential ??= load().catch((error: unknown) => {
        credential = undefined;
        throw error;
      });
      return (await credential).getToken(scopes, options);
    },
  };
}

function isLocalEmulator(connectionString: string): boolean {
  return /UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;/i.test(connectionString);
}

function required(value: string | undefined): string {
  if (value === undefined)
    throw new Error("identity-based storage URI missing (config validation should have caught this)");
  return value;
}

/**
 * Creates the queues and the table on first use. In Azure, Bicep creates them up front; locally and in
 * tests azurite starts empty. Memoised per client set so it costs one round of calls per process.
 */
const ensured = new WeakMap<StorageClients, Promise<void>>();
export function ensureStorage(clients: StorageClients): Promise<void> {
  let pending = ensured.get(clients);
  if (pending === undefined) {
    pending = Promise.all([
      clients.requestsQueue.createIfNotExists(),
      clients.requestsPoisonQueue.createIfNotExists(),
      clients.jobsQueue.createIfNotExists(),
      clients.jobsPoisonQueue.createIfNotExists(),
      clients.jobBundlesQueue.createIfNotExists(),
      clients.statusTable.createTable(),
    ]).then(
      () => undefined,
      (error: unknown) => {
        ensured.delete(clients);
        throw error;
      },
    );
    ensured.set(clients, pending);
  }
  return pending;
}
