import type { Policy } from "./changes/policy.ts";
import { TableStatusStore } from "./changes/status-store.ts";
import { systemClock } from "./clock.ts";
import { type Settings, settings } from "./config.ts";
import { CoordinationStore } from "./coordination/coordination-store.ts";
import { InstanceRegistry } from "./coordination/instance-registry.ts";
import type { SignatureVerifier } from "./http/webhook-signature.ts";
import { OwnerDirectory } from "./itwin/owner-directory.ts";
import { createOwnersClient, type OwnersClient, serviceClientEmail } from "./itwin/owners-client.ts";
import { PacingGate } from "./itwin/pacing.ts";
import { createTokenProvider } from "./itwin/token-provider.ts";
import { metrics } from "./observability/metrics.ts";
import { rememberSecret, rememberToken, secretSettings } from "./observability/redact.ts";
import { OffboardingStore } from "./people/offboarding-store.ts";
import { type PersonIndex, TablePersonIndex } from "./people/person-index.ts";
import type { ScimServices } from "./scim/wiring.ts";
import { createStorageClients, ensureStorage, type StorageClients } from "./storage/clients.ts";
import { TableRows } from "./storage/rows.ts";
import { KeyedLock } from "./worker/keyed-lock.ts";
import { WorkInProgress } from "./worker/work-in-progress.ts";

/**
 * The composition root: one set of clients per process, built on first use from the settings.
 * Function shells take what they need from here; the modules they call take plain dependencies.
 */
export interface Services {
  settings: Settings;
  storage: StorageClients;
  store: TableStatusStore;
  /** Ordering, leases and the mass-removal count, shared by every worker instance. */
  coordination: CoordinationStore;
  owners: OwnersClient;
  directory: OwnerDirectory;
  /** Live worker processes sharing the API budget. */
  registry: InstanceRegistry;
  /** The changes this process's worker is applying now; published with its heartbeats. */
  working: WorkInProgress;
  policy: Policy;
  /** Where each person is known to own an iTwin; the worker keeps it, offboarding reads it. */
  people: PersonIndex;
  /** Offboarding parents: whom to offboard, and the plan of removals. */
  offboardings: OffboardingStore;
  /**
   * Checks Standard Webhooks signatures; undefined when WEBHOOK_SECRETS is not set. Loaded on the first
   * signed request: worker instances never need it.
   */
  signatureVerifier: (() => Promise<SignatureVerifier>) | undefined;
  /** The SCIM service provider (its store, bearer tokens, mappings, ownership), loaded on first use. */
  scim(): Promise<ScimServices>;
  /** Orders the worker's API calls per person and iTwin within this process. */
  locks: KeyedLock;
  /** Resolves once queues and the table exist. */
  ready(): Promise<void>;
}

let instance: Services | undefined;

export function services(): Services {
  instance ??= buildServices(settings());
  return instance;
}

export function buildServices(config: Settings): Services {
  // Log lines and status documents are scrubbed of these wherever they turn up (redact.ts).
  for (const secret of secretSettings(config)) rememberSecret(secret);
  const storage = createStorageClients(config);
  const working = new WorkInProgress();
  // The gate and the registry feed each other: members per window one way, the learned budget the other.
  const gate: PacingGate = new PacingGate({
    membersFor: (windowStart) => registry.membersFor(windowStart),
    listedAt: () => registry.listedAt(),
    onRefused: () => registry.refreshSoon(),
    onLearned: () => registry.publishSoon(),
    onWaitingForBudget: () => registry.refreshSoon(),
  });
  const registry: InstanceRegistry = new InstanceRegistry(storage.statusTable, {
    clock: systemClock,
    working: () => working.ids(),
    budget: gate,
  });
  const tokens = createTokenProvider({
    authority: config.ITWIN_AUTHORITY,
    clientId: config.ITWIN_CLIENT_ID,
    clientSecret: config.ITWIN_CLIENT_SECRET,
    scope: config.ITWIN_SCOPE,
    timeoutMs: config.ITWIN_HTTP_TIMEOUT_MS,
    clock: systemClock,
  });
  const owners = createOwnersClient({
    baseUrl: config.ITWIN_API_BASE_URL,
    getToken: async () => {
      const token = await tokens.getToken();
      rememberToken(token);
      return token;
    },
    invalidateToken: (token) => tokens.invalidate(token),
    timeoutMs: config.ITWIN_HTTP_TIMEOUT_MS,
    clock: systemClock,
    maxInlineWaitMs: config.RETRY_MAX_INLINE_WAIT_MS,
    onEvent: (event) => {
      if (event.type === "retry") metrics().apiRetry(event.httpStatus, event.code, event.delayMs);
      else metrics().paced(event.delayMs);
    },
    gate,
  });
  const store = new TableStatusStore(storage.statusTable);
  const ready = () => ensureStorage(storage);
  const rows = new TableRows(storage.statusTable);
  let scim: Promise<ScimServices> | undefined;
  let verifier: Promise<SignatureVerifier> | undefined;
  return {
    settings: config,
    storage,
    store,
    coordination: new CoordinationStore(rows),
    owners,
    directory: new OwnerDirectory(owners, { ttlMs: config.OWNER_LIST_CACHE_TTL_MS, clock: systemClock }),
    registry,
    working,
    policy: {
      allowedEmailDomains: config.POLICY_ALLOWED_EMAIL_DOMAINS,
      allowedItwinIds: config.POLICY_ALLOWED_ITWIN_IDS,
      protectedOwners: config.POLICY_PROTECTED_OWNERS,
      allowRemovingLastOwner: config.POLICY_ALLOW_REMOVING_LAST_OWNER,
      massRemovalThreshold: config.POLICY_MASS_REMOVAL_THRESHOLD,
      massRemovalWindowMs: config.POLICY_MASS_REMOVAL_WINDOW_MINUTES * 60_000,
      serviceClientEmail: serviceClientEmail(config.ITWIN_CLIENT_ID),
      allowRemovingServiceClient: config.POLICY_ALLOW_REMOVING_SERVICE_CLIENT,
      dryRun: config.POLICY_DRY_RUN,
    },
    people: new TablePersonIndex(storage.statusTable),
    offboardings: new OffboardingStore(rows),
    signatureVerifier:
      config.WEBHOOK_SECRETS.length > 0
        ? () => {
            verifier ??= import("./http/webhook-signature.ts").then(({ createSignatureVerifier }) =>
              createSignatureVerifier(config.WEBHOOK_SECRETS),
            );
            return verifier;
          }
        : undefined,
    scim: () => {
      scim ??= import("./scim/wiring.ts").then(({ buildScimServices }) =>
        buildScimServices({ settings: config, storage, store, clock: systemClock, ready }),
      );
      return scim;
    },
    locks: new KeyedLock(),
    ready,
  };
}
