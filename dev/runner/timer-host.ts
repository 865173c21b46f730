import { randomUUID } from "node:crypto";
import { Cron } from "croner";
import type { InvocationServices } from "./invoke.ts";
import { invoke } from "./invoke.ts";
import { describeError } from "./log.ts";
import { resolveBindingExpression } from "./queue-logic.ts";
import type { RegisteredFunction, TimerTriggerInfo } from "./registration.ts";

/**
 * Timer triggers the way the Functions host runs them on Consumption and Flex plans: a six-field
 * NCRONTAB schedule (`{second} {minute} {hour} {day} {month} {day-of-week}`) in UTC, one invocation at a
 * time (a tick that comes while the previous one still runs is skipped), `runOnStartup` honoured.
 *
 * Not emulated: the host's singleton lock. In Azure one instance fires each tick; several runner
 * processes on one storage account each fire their own. Timer functions must therefore be safe to run
 * side by side — which they have to be anyway, since the host's lock is a lease that can lapse.
 */

export interface TimerBinding {
  fn: RegisteredFunction;
  /** The resolved NCRONTAB expression. */
  schedule: string;
}

/**
 * Resolves and checks a schedule up front, so a typo stops start-up instead of never firing. TimeSpan
 * schedules (`00:05:00`) run only on dedicated App Service plans, not on the Flex plan this app targets.
 */
export function resolveTimerSchedule(
  trigger: TimerTriggerInfo,
  env: Record<string, string | undefined>,
): string {
  const schedule = resolveBindingExpression(trigger.schedule, env).trim();
  if (/^\d+(\.\d+)?:\d{2}(:\d{2})?$/.test(schedule)) {
    throw new Error(
      `timer schedule "${schedule}" is a TimeSpan, which only dedicated App Service plans run; use six-field NCRONTAB ("*/30 * * * * *")`,
    );
  }
  const fields = schedule.split(/\s+/).length;
  if (fields !== 6) {
    throw new Error(
      `timer schedule "${schedule}" has ${fields} fields; NCRONTAB needs six: {second} {minute} {hour} {day} {month} {day-of-week}`,
    );
  }
  try {
    new Cron(schedule, { mode: "6-part", timezone: "UTC", paused: true }).stop();
  } catch (error) {
    throw new Error(`timer schedule "${schedule}" is not valid NCRONTAB: ${describeError(error)}`);
  }
  return schedule;
}

export interface TimerHost {
  bindings: TimerBinding[];
  /** Stops scheduling and waits up to `timeoutMs` for a running invocation; true if none was left. */
  stop(timeoutMs: number): Promise<boolean>;
}

export function startTimerHost(options: {
  functions: RegisteredFunction[];
  env: Record<string, string | undefined>;
  services: InvocationServices;
}): TimerHost {
  const { services } = options;
  const timers = options.functions.flatMap((fn) =>
    fn.trigger.kind === "timer" ? [{ fn, trigger: fn.trigger }] : [],
  );
  const bindings = timers.map(({ fn, trigger }) => {
    try {
      return { fn, trigger, schedule: resolveTimerSchedule(trigger, options.env) };
    } catch (error) {
      throw new Error(`function "${fn.name}": ${describeError(error)}`);
    }
  });

  const running = new Set<Promise<void>>();
  const lastFired = new Map<string, Date>();
  const fire = (fn: RegisteredFunction, job: Cron | undefined): Promise<void> => {
    const now = new Date();
    const timer = {
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: (lastFired.get(fn.name) ?? now).toISOString(),
        next: job?.nextRun()?.toISOString() ?? now.toISOString(),
        lastUpdated: now.toISOString(),
      },
    };
    lastFired.set(fn.name, now);
    const run = invoke(services, { fn, input: timer, invocationId: randomUUID() }).then(
      () => undefined,
      (error: unknown) => services.logger.error(fn.name, `timer invocation failed: ${describeError(error)}`),
    );
    running.add(run);
    void run.finally(() => running.delete(run));
    return run;
  };

  const jobs = bindings.map(({ fn, trigger, schedule }) => {
    // protect: the host never starts a tick while the previous invocation of the function still runs.
    const job: Cron = new Cron(
      schedule,
      { mode: "6-part", timezone: "UTC", protect: true, unref: true },
      (): Promise<void> => fire(fn, job),
    );
    if (trigger.runOnStartup) void fire(fn, job);
    return job;
  });

  return {
    bindings: bindings.map(({ fn, schedule }) => ({ fn, schedule })),
    async stop(timeoutMs) {
      for (const job of jobs) job.stop();
      if (running.size === 0) return true;
      const drained = Promise.all(running).then(() => true);
      const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
      return Promise.race([drained, timedOut]);
    },
  };
}
