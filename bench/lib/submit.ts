/** Submitting owner changes to the app's HTTP intake, in batches of up to 100 (design §3). */
import { runPool } from "./util.ts";

export interface Change {
  itwinId: string;
  email: string;
  action: "add" | "remove";
  dryRun?: boolean;
}

export interface Submitted {
  ids: string[];
  /** Epoch ms just before the first POST left. */
  firstAt: number;
  /** Epoch ms when the last 202 arrived. */
  lastAt: number;
}

/** POSTs `{changes: [...]}` batches to `baseUrl`; any answer but 202 with one id per change throws. */
export async function submitBatches(
  baseUrl: string,
  changes: readonly Change[],
  options: { batchSize?: number; concurrency?: number } = {},
): Promise<Submitted> {
  const batchSize = options.batchSize ?? 100;
  const batches: Change[][] = [];
  for (let i = 0; i < changes.length; i += batchSize) batches.push(changes.slice(i, i + batchSize));
  const ids: string[][] = new Array(batches.length);
  const firstAt = Date.now();
  await runPool(batches, options.concurrency ?? 2, async (batch, index) => {
    const response = await fetch(`${baseUrl}/api/owner-changes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ changes: batch }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    if (response.status !== 202) {
      throw new Error(
        `intake answered ${response.status} to a batch of ${batch.length}: ${text.slice(0, 500)}`,
      );
    }
    const body = JSON.parse(text) as { items: { id?: string }[] };
    const batchIds = body.items.map((item) => item.id).filter((id): id is string => typeof id === "string");
    if (batchIds.length !== batch.length) {
      throw new Error(`intake accepted ${batchIds.length} of ${batch.length}: ${text.slice(0, 500)}`);
    }
    ids[index] = batchIds;
  });
  return { ids: ids.flat(), firstAt, lastAt: Date.now() };
}
