import { app, type InvocationContext, type Timer } from "@azure/functions";
import { systemClock } from "../clock.ts";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";
import { recoverStaleChanges } from "../worker/recover-stale.ts";

/**
 * Crash recovery on a timer (docs/reliability.md): changes whose worker died, or whose job was lost,
 * get a new job within RECOVERY_AFTER_SECONDS plus one RECOVERY_SCHEDULE period.
 */
export async function recoverStaleChangesTimer(timer: Timer, context: InvocationContext): Promise<void> {
  const { store, storage, registry, settings } = services();
  await services().ready();
  const log = invocationLogger(context);
  const counts = await recoverStaleChanges({
    store,
    jobsQueue: storage.jobsQueue,
    heartbeats: () => registry.heartbeats(),
    clock: systemClock,
    afterMs: settings.RECOVERY_AFTER_SECONDS * 1000,
    log: log.warn,
  });
  if (counts.redrive + counts["give-up"] + counts.forget + counts.raced > 0 || timer.isPastDue) {
    log.info("recovery run", { ...counts, isPastDue: timer.isPastDue });
  }
}

app.timer("recoverStaleChanges", {
  schedule: services().settings.RECOVERY_SCHEDULE,
  handler: recoverStaleChangesTimer,
});
