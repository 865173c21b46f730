import { DEV_SERVICE_OWNER } from "../../dev/stack/credentials.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import type { Policy } from "../../src/changes/policy.ts";

/** The simulator's dev client, as an owner address. */
export const SERVICE_CLIENT_EMAIL = DEV_SERVICE_OWNER;
/** The first seeded iTwin. */
export const ITWIN_ID = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";

/** A policy that restricts nothing; tests override the rule they are about. */
export const openPolicy: Policy = {
  allowedEmailDomains: [],
  allowedItwinIds: [],
  protectedOwners: [],
  allowRemovingLastOwner: false,
  massRemovalThreshold: 0,
  massRemovalWindowMs: 3_600_000,
  serviceClientEmail: SERVICE_CLIENT_EMAIL,
  dryRun: false,
};

/** A freshly accepted add, `queued` since `at` (default 2026-11-23T00:00:00Z); `patch` changes the rest. */
export function queuedDoc(
  patch: Partial<StatusDocument> = {},
  at = "2026-11-23T00:00:00.000Z",
): StatusDocument {
  return {
    id: "r-00000000-0000-4000-8000-000000000000",
    status: "queued",
    itwinId: ITWIN_ID,
    email: "alice@corp.example",
    action: "add",
    dryRun: false,
    via: "http",
    correlationId: "c1",
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    history: [{ at, status: "queued" }],
    ...patch,
  };
}
