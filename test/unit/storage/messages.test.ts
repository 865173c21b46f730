import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { jobFor } from "../../../src/changes/accept.ts";
import { type Job, jobBundleSchema } from "../../../src/changes/model.ts";
import { escapedBytes, jobBundles, MAX_BUNDLE_BYTES } from "../../../src/storage/messages.ts";
import { queuedDoc } from "../../support/fixtures.ts";

/** How a batch's jobs become queue messages: as few as fit, none over the size a message may have. */

const job = (i: number, email = `user-${i}@corp.example`): Job =>
  jobFor(queuedDoc({ id: `r-${String(i).padStart(8, "0")}`, email }));

/** The jobs a bundle carries. */
const jobsIn = (text: string): Job[] => (JSON.parse(text) as { v: 1; jobs: Job[] }).jobs;

describe("jobBundles", () => {
  it("makes no bundle of no jobs", () => {
    expect(jobBundles([])).toEqual([]);
  });

  it("puts a batch of 100 ordinary jobs in one bundle, in order", () => {
    const jobs = Array.from({ length: 100 }, (_, i) => job(i));
    const messages = jobBundles(jobs);
    expect(messages).toHaveLength(1);
    expect(jobBundleSchema.parse(JSON.parse(messages[0] as string)).jobs).toEqual(jobs);
  });

  it("splits by bytes, so long addresses never make a message over the limit, and loses no job", () => {
    // Long addresses full of `&`, which XML escaping lengthens fivefold: 100 of them pass 64 KiB.
    const long = (i: number) => `${"a&".repeat(150)}${String(i).padStart(4, "0")}@${"d".repeat(10)}.example`;
    const jobs = Array.from({ length: 100 }, (_, i) => job(i, long(i)));
    const messages = jobBundles(jobs);
    expect(messages.length).toBeGreaterThan(1);
    for (const text of messages) {
      const escaped = text.replaceAll("&", "&amp;").replaceAll('"', "&quot;");
      expect(Buffer.byteLength(escaped)).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
      expect(escapedBytes(text)).toBe(Buffer.byteLength(escaped));
    }
    expect(messages.flatMap(jobsIn)).toEqual(jobs);
  });
});
