import { randomUUID } from "node:crypto";
import type { TableStatusStore } from "../changes/status-store.ts";
import type { Clock } from "../clock.ts";
import type { Settings } from "../config.ts";
import { createBearerCheck } from "../http/bearer-tokens.ts";
import type { StorageClients } from "../storage/clients.ts";
import type { ScimDirectory } from "./events.ts";
import type { ScimHttpDeps } from "./http.ts";
import { type MappingsStore, TableMappingsStore } from "./mappings-store.ts";
import { createScimOwnership } from "./ownership/sink.ts";
import { TableScimStore } from "./scim-store.ts";

/**
 * The SCIM provider's part of the composition root. services.ts loads this module on the first SCIM
 * request, not at start-up: scimmy and scim-patch are a tenth of the bundle, and the worker, the
 * intakes and every cold start without SCIM traffic never need them.
 */

export interface ScimServices {
  http: ScimHttpDeps;
  /** SCIM Users and Groups as the ownership side reads them (the SCIM store). */
  directory: ScimDirectory;
  /** Explicit SCIM group → iTwin mappings. */
  mappings: MappingsStore;
}

export function buildScimServices(deps: {
  settings: Settings;
  storage: StorageClients;
  store: TableStatusStore;
  clock: Clock;
  ready: () => Promise<void>;
}): ScimServices {
  const { settings, storage, store, clock } = deps;
  const scimStore = new TableScimStore(storage.statusTable, clock);
  const mappings = new TableMappingsStore(storage.statusTable);
  return {
    http: {
      checkBearer:
        settings.SCIM_BEARER_TOKENS.length > 0 ? createBearerCheck(settings.SCIM_BEARER_TOKENS) : undefined,
      store: scimStore,
      sink: createScimOwnership({
        directory: scimStore,
        mappings,
        accept: { store, jobsQueue: storage.jobsQueue, clock },
      }),
      newId: randomUUID,
      clock,
      ready: deps.ready,
    },
    directory: scimStore,
    mappings,
  };
}
