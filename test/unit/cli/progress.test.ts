import { describe, expect, it } from "vitest";
import { bar, ProgressLine, seconds } from "../../../ops/cli/progress.ts";
import { recordingStream } from "../../support/cli-io.ts";
import { FakeClock } from "../../support/fake-clock.ts";

describe("ProgressLine", () => {
  it("on a terminal redraws one line cut to the width, at most every redrawMs, and ends it on done", () => {
    const clock = new FakeClock(0);
    const stream = recordingStream({ isTTY: true, columns: 20 });
    const progress = new ProgressLine(stream, { now: () => clock.now(), redrawMs: 100 });
    progress.update("sending 1/10");
    clock.advance(50);
    progress.update("sending 2/10"); // too soon: skipped
    clock.advance(50);
    progress.update("sending 3/10 accepted so far");
    clock.advance(100);
    progress.update("sending 3/10 accepted so far"); // unchanged: not redrawn
    progress.done("done 10/10");
    expect(stream.chunks).toEqual([
      "\r\x1b[2Ksending 1/10",
      "\r\x1b[2Ksending 3/10 accep…",
      "\r\x1b[2Kdone 10/10",
      "\n",
    ]);
  });

  it("elsewhere writes plain lines at most every plainEveryMs, and always the final one", () => {
    const clock = new FakeClock(0);
    const stream = recordingStream();
    const progress = new ProgressLine(stream, { now: () => clock.now(), plainEveryMs: 5000 });
    progress.update("a");
    clock.advance(4999);
    progress.update("b");
    clock.advance(1);
    progress.update("c");
    progress.done("d");
    expect(stream.chunks).toEqual(["a\n", "c\n", "d\n"]);
  });

  it("takes 80 columns for a terminal that reports no width (a pseudo-terminal without a size)", () => {
    const stream = recordingStream({ isTTY: true, columns: 0 });
    new ProgressLine(stream, { now: () => 0 }).update("x".repeat(100));
    expect(stream.chunks).toEqual([`\r\x1b[2K${"x".repeat(78)}…`]);
  });

  it("clears a redrawn line before other output, and only then", () => {
    const clock = new FakeClock(0);
    const tty = recordingStream({ isTTY: true, columns: 80 });
    const progress = new ProgressLine(tty, { now: () => clock.now() });
    progress.clear();
    progress.update("x");
    progress.clear();
    expect(tty.chunks).toEqual(["\r\x1b[2Kx", "\r\x1b[2K"]);
  });
});

describe("bar and seconds", () => {
  it("fills the bar in proportion and formats elapsed time", () => {
    expect(bar(0, 10, 10)).toBe("[░░░░░░░░░░]");
    expect(bar(5, 10, 10)).toBe("[█████░░░░░]");
    expect(bar(10, 10, 10)).toBe("[██████████]");
    expect(bar(0, 0, 4)).toBe("[████]");
    expect([seconds(999), seconds(9_000), seconds(75_000)]).toEqual(["0s", "9s", "1m15s"]);
  });
});
