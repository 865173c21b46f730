/**
 * Registers every function with the Functions host (or the local runner) and starts telemetry. Each
 * module registers itself on import; the first one to touch `settings()` parses the configuration,
 * so a wrong setting stops the app at start-up with the setting's name.
 */
import { settings } from "./config.ts";
import "./functions/submit-owner-changes.ts";
import "./functions/get-owner-change.ts";
import "./functions/list-owner-changes.ts";
import "./functions/summarize-owner-changes.ts";
import "./functions/decide-owner-change.ts";
import "./functions/health.ts";
import "./functions/owner-change-requests.ts";
import "./functions/owner-change-worker.ts";
import "./functions/fan-out-job-bundles.ts";
import "./functions/recover-stale-changes.ts";
import "./functions/submit-source-event.ts";
import "./functions/offboard-person.ts";
import "./functions/get-offboarding.ts";
import "./functions/ops-page.ts";
import "./functions/scim-collection.ts";
import "./functions/scim-resource.ts";
import "./functions/scim-mappings.ts";
import "./functions/list-poison.ts";
import "./functions/replay-poison.ts";
import "./functions/openapi.ts";
import { startTelemetry } from "./observability/telemetry.ts";

// Source mappings are compiled now, so that a bad one stops start-up rather than its first delivery;
// an app without mappings never loads the code that reads them.
const { SOURCE_MAPPINGS, SOURCE_MAPPINGS_DIR } = settings();
if (SOURCE_MAPPINGS !== undefined || SOURCE_MAPPINGS_DIR !== undefined) {
  await (await import("./sources/load.ts")).sourceMappings();
}
await startTelemetry(settings());
