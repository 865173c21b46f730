/**
 * `npm run poison -- list|replay`: look into the poison queues and put messages back to work.
 * See `--help`, and README "Operating".
 */
import { parseArgs } from "node:util";
import type { QueueClient } from "@azure/storage-queue";
import { type StatusStore, TableStatusStore } from "../src/changes/status-store.ts";
import { ConfigError, parseStorageSettings } from "../src/config.ts";
import { applyLocalSettings, readLocalSettings } from "../src/local-settings.ts";
import { type PoisonQueueKind, type PoisonSummary, planReplay } from "../src/poison/plan.ts";
import { createStorageClients } from "../src/storage/clients.ts";

const describe = (change: PoisonSummary["change"]) =>
  change === undefined ? undefined : `${change.action} ${change.email} on ${change.itwinId}`;

const USAGE = `Usage: npm run poison -- <list|replay> [options]

  list      Show what a poison queue holds (the first 32 messages; nothing is changed):
            when each arrived, why, and what it asks for.
  replay    Put poisoned messages back to work:
            --queue requests: the original request goes back on owner-change-requests and is
              validated again (fix the sender first if the reason says it is malformed: an unfixed
              message only comes back).
            --queue jobs: the change of a job that failed after repeated deliveries (its status says
              failed) is submitted again as a new request (source "poison-replay"), with its own
              status document; jobs of changes in any other state are skipped.
            Each replayed message is removed from the poison queue after it was sent on.

Options:
  --queue requests|jobs   which poison queue (default: requests)
  --id <message id>       only this message; may be repeated (replay needs --id or --all)
  --all                   every message, up to --max
  --max <n>               at most n messages (default 100, at most 1000)
  --dry-run               say what would be done (for the first 32) and change nothing
  -h, --help              this text

Settings come from the environment, unset ones from ./local.settings.json: AzureWebJobsStorage (or
AzureWebJobsStorage__queueServiceUri/__tableServiceUri/__credential/__clientId for a managed identity or
your az login), OWNER_CHANGE_REQUESTS_QUEUE, OWNER_CHANGE_JOBS_QUEUE.
`;

/** Poisoned messages stay hidden this long while being looked at; unreplayed ones then reappear. */
const VISIBILITY_SECONDS = 30;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      queue: { type: "string", default: "requests" },
      id: { type: "string", multiple: true },
      all: { type: "boolean", default: false },
      max: { type: "string", default: "100" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const kind = values.queue;
  if (kind !== "requests" && kind !== "jobs")
    return usageError(`--queue must be requests or jobs, not ${kind}`);
  const max = Number(values.max);
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    return usageError("--max takes a whole number from 1 to 1000");
  if (command !== "list" && command !== "replay") return usageError(`unknown command ${command}`);
  if (command === "replay" && !values.all && (values.id ?? []).length === 0) {
    return usageError("replay needs --id <message id> or --all");
  }

  const local = await readLocalSettings("local.settings.json", false);
  if (local) applyLocalSettings(process.env, local.values);
  const storage = createStorageClients(parseStorageSettings(process.env));
  const poison = kind === "requests" ? storage.requestsPoisonQueue : storage.jobsPoisonQueue;
  if (command === "list") return list(poison, kind);
  return replay(poison, storage.requestsQueue, new TableStatusStore(storage.statusTable), kind, {
    ids: new Set(values.id ?? []),
    max,
    dryRun: values["dry-run"],
  });
}

async function list(poison: QueueClient, kind: PoisonQueueKind): Promise<number> {
  const { peekedMessageItems: items } = await poison.peekMessages({ numberOfMessages: 32 });
  const { approximateMessagesCount: total } = await poison.getProperties();
  process.stdout.write(
    `${poison.name}: about ${total ?? items.length} message(s); the first ${items.length}:\n`,
  );
  for (const item of items) {
    const plan = planReplay(kind, item.messageId, item.messageText);
    process.stdout.write(
      `  ${item.messageId}  ${item.insertedOn.toISOString()}  ${plan.summary.reason}${describe(plan.summary.change) ? `  [${describe(plan.summary.change)}]` : ""}\n`,
    );
  }
  return 0;
}

async function replay(
  poison: QueueClient,
  requests: QueueClient,
  store: StatusStore,
  kind: PoisonQueueKind,
  options: { ids: Set<string>; max: number; dryRun: boolean },
): Promise<number> {
  if (options.dryRun) return dryRun(poison, kind, options.ids);
  let seen = 0;
  let replayed = 0;
  let skipped = 0;
  // Bounded: every round hides what it received, so the queue cannot hand the same message back
  // within the run; at most max/32 + 1 rounds.
  for (let round = 0; seen < options.max && round <= Math.ceil(options.max / 32); round++) {
    const wanted = Math.min(32, options.max - seen);
    const { receivedMessageItems: items } = await poison.receiveMessages({
      numberOfMessages: wanted,
      visibilityTimeout: VISIBILITY_SECONDS,
    });
    if (items.length === 0) break;
    for (const item of items) {
      seen += 1;
      if (options.ids.size > 0 && !options.ids.has(item.messageId)) continue;
      const plan = planReplay(kind, item.messageId, item.messageText);
      if (!plan.replay) {
        skipped += 1;
        process.stdout.write(`  skip    ${item.messageId}: ${plan.why}\n`);
        continue;
      }
      if (plan.requestId !== undefined) {
        // Only a change recorded as failed is tried again: a job poisoned for another reason (a lost
        // claim race, a held removal) must not bypass what its record says.
        const status = (await store.get(plan.requestId))?.doc.status;
        if (status !== "failed") {
          skipped += 1;
          process.stdout.write(
            `  skip    ${item.messageId}: its change ${plan.requestId} is ${status ?? "unknown"}, not failed\n`,
          );
          continue;
        }
      }
      process.stdout.write(
        `  replay  ${item.messageId}: ${describe(plan.summary.change) ?? plan.summary.reason}\n`,
      );
      await requests.sendMessage(plan.text);
      await poison.deleteMessage(item.messageId, item.popReceipt);
      replayed += 1;
    }
    process.stderr.write(`poison: ${seen} looked at, ${replayed} replayed, ${skipped} skipped\n`);
  }
  process.stdout.write(`${replayed} replayed onto ${requests.name}, ${skipped} skipped, ${seen} looked at\n`);
  return 0;
}

/** A dry run only peeks (the first 32), so it hides nothing from a real replay right after it. */
async function dryRun(poison: QueueClient, kind: PoisonQueueKind, ids: Set<string>): Promise<number> {
  const { peekedMessageItems: items } = await poison.peekMessages({ numberOfMessages: 32 });
  let would = 0;
  for (const item of items) {
    if (ids.size > 0 && !ids.has(item.messageId)) continue;
    const plan = planReplay(kind, item.messageId, item.messageText);
    if (plan.replay) would += 1;
    process.stdout.write(
      `  ${plan.replay ? "would replay" : "would skip"}  ${item.messageId}: ${plan.replay ? (describe(plan.summary.change) ?? plan.summary.reason) : plan.why}\n`,
    );
  }
  process.stdout.write(
    `dry run (first ${items.length} looked at): nothing changed; ${would} would be replayed\n`,
  );
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`poison: ${message}\n\n${USAGE}`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `poison: ${error instanceof ConfigError ? error.message : (error as Error).message}\n`,
    );
    process.exit(1);
  },
);
