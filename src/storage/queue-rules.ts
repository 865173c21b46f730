/**
 * Azure Storage queue rules that the app, the local runner and the tools must agree on, one place each.
 * Pure core.
 */

/** Azure's queue name rule: 3–63 characters of lower-case letters, digits and single inner hyphens. */
export function isValidQueueName(name: string): boolean {
  return /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(name);
}

/** The Functions host's name for the queue a message goes to after `maxDequeueCount` failed deliveries. */
export function poisonQueueName(queue: string): string {
  return `${queue}-poison`;
}

/**
 * Where a batch's bundle of jobs waits to be fanned out (design §2.1): a queue of its own beside the
 * jobs queue, so the single jobs join the jobs queue at accept time, in the order crash recovery expects.
 */
export function bundleQueueName(jobsQueue: string): string {
  return `${jobsQueue}-bundles`;
}

/** The host gives a poison queue no poison queue of its own: its failures are only retried. */
export function isPoisonQueue(queue: string): boolean {
  return queue.toLowerCase().endsWith("-poison");
}

export type Base64TextResult = { ok: true; text: string } | { ok: false; error: string };

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a message body that is base64 of UTF-8 text, as the host does with `messageEncoding: "base64"`
 * (what SDK producers send by default). Strict like .NET's `Convert.FromBase64String`: white space is
 * ignored, anything else must be padded base64, and the bytes must be UTF-8.
 */
export function decodeBase64Text(raw: string): Base64TextResult {
  const compact = raw.replace(/\s+/g, "");
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    return { ok: false, error: "message is not valid base64" };
  }
  try {
    return { ok: true, text: UTF8.decode(Buffer.from(compact, "base64")) };
  } catch {
    return { ok: false, error: "message is base64 but not UTF-8 text" };
  }
}
