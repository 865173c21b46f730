import { describe, expect, it } from "vitest";
import type { TimerTriggerInfo } from "../../../dev/runner/registration.ts";
import { resolveTimerSchedule } from "../../../dev/runner/timer-host.ts";

const trigger = (schedule: string): TimerTriggerInfo => ({
  kind: "timer",
  bindingName: "timer",
  schedule,
  runOnStartup: false,
});

describe("timer schedules", () => {
  it("accepts six-field NCRONTAB and resolves %SETTING% expressions", () => {
    expect(resolveTimerSchedule(trigger("*/30 * * * * *"), {})).toBe("*/30 * * * * *");
    expect(resolveTimerSchedule(trigger("%SCHEDULE%"), { SCHEDULE: " 0 0 2 * * 1-5 " })).toBe(
      "0 0 2 * * 1-5",
    );
  });

  it("refuses a five-field cron expression, naming the six fields it needs", () => {
    expect(() => resolveTimerSchedule(trigger("*/5 * * * *"), {})).toThrow(
      /has 5 fields; NCRONTAB needs six: \{second\} \{minute\}/,
    );
  });

  it("refuses a TimeSpan schedule, which the Flex plan does not run", () => {
    expect(() => resolveTimerSchedule(trigger("00:05:00"), {})).toThrow(/is a TimeSpan/);
  });

  it("refuses a value out of range with the parser's reason", () => {
    expect(() => resolveTimerSchedule(trigger("0 99 * * * *"), {})).toThrow(/is not valid NCRONTAB: /);
  });

  it("says which setting is missing", () => {
    expect(() => resolveTimerSchedule(trigger("%NOPE%"), {})).toThrow(/app setting "NOPE"/);
  });
});
