import { describe, expect, it } from "vitest";
import { jobFor } from "../../../src/changes/accept.ts";
import type { StatusDocument } from "../../../src/changes/model.ts";
import { fanOut } from "../../../src/worker/fan-out.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import { queuedDoc } from "../../support/fixtures.ts";
import { MemoryStatusStore, recordingQueue } from "../../support/memory-stores.ts";

/** A batch's bundle becoming single jobs: all of a fresh one, only untaken changes of one overtaken. */

const NOW = Date.parse("2026-11-23T12:00:00.000Z");
const TRUSTED_FOR_MS = 30_000;

function setup() {
  const store = new MemoryStatusStore();
  const docs: StatusDocument[] = [
    queuedDoc({ id: "r-aaaaaaaa", email: "a@corp.example" }),
    // Taken by the first fan-out's job and now waiting for a scheduled retry.
    queuedDoc({
      id: "r-bbbbbbbb",
      email: "b@corp.example",
      attempts: 1,
      retryAt: "2026-11-23T12:00:20.000Z",
    }),
    queuedDoc({ id: "r-cccccccc", email: "c@corp.example", status: "succeeded", attempts: 1 }),
  ];
  for (const doc of docs) store.put(doc);
  // A change whose record is missing: never stored, or long gone.
  const bundle = { v: 1 as const, jobs: [...docs.map(jobFor), jobFor(queuedDoc({ id: "r-dddddddd" }))] };
  const { queue: jobsQueue, sent } = recordingQueue();
  const deps = { jobsQueue, store, clock: new FakeClock(NOW), trustedForMs: TRUSTED_FOR_MS };
  return { bundle, sent, deps };
}

describe("fanOut", () => {
  it("sends every job of a fresh bundle on its first delivery, reading nothing", async () => {
    const { bundle, sent, deps } = setup();
    const result = await fanOut(bundle, { dequeueCount: 1, insertedAt: NOW - 1_000 }, deps);
    expect(result).toEqual({ sent: 4, skipped: 0 });
    expect(sent.map((s) => s.job)).toEqual(bundle.jobs);
  });

  it("sends a bundle delivered again, or one that waited past the trusted age, only to untaken changes", async () => {
    for (const delivery of [
      { dequeueCount: 2, insertedAt: NOW - 1_000 },
      { dequeueCount: 1, insertedAt: NOW - TRUSTED_FOR_MS },
    ]) {
      const { bundle, sent, deps } = setup();
      expect(await fanOut(bundle, delivery, deps)).toEqual({ sent: 1, skipped: 3 });
      expect(sent.map((s) => s.job.requestId)).toEqual(["r-aaaaaaaa"]);
    }
  });
});
