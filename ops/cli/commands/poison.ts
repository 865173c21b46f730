import { type Command, Option } from "commander";
import { POISON_QUEUES, type PoisonQueueKind } from "../../../src/poison/plan.ts";
import { DEFAULT_REPLAY, MAX_REPLAY, type PoisonMessage } from "../../../src/poison/schemas.ts";
import { EXIT } from "../exit-codes.ts";
import { table } from "../format.ts";
import { type Context, helpAfter, integer, UsageError } from "../program.ts";

/** `poison list|replay`: the poison queues through `GET /api/poison/{queue}` and `POST …/replay` (master key). */

function changeText(message: PoisonMessage): string {
  const change = message.change;
  if (change === undefined) return "";
  return [change.action, change.email, change.itwinId && `on ${change.itwinId}`].filter(Boolean).join(" ");
}

export function registerPoison(program: Command, context: Context): void {
  const poison = program
    .command("poison")
    .description("look into the poison queues and put messages back to work (needs the master key)")
    .addHelpText(
      "after",
      helpAfter(["owner-changes poison list", "owner-changes poison replay --queue jobs --all --dry-run"]),
    );
  const queueOption = () =>
    new Option(
      "--queue <queue>",
      "requests (owner-change-requests-poison) or jobs (owner-change-jobs-poison)",
    ).choices(POISON_QUEUES);

  poison
    .command("list")
    .description(
      "show the first 32 messages of a poison queue (both without --queue): when, why, what they ask",
    )
    .addOption(queueOption())
    .addHelpText(
      "after",
      helpAfter(["owner-changes poison list", "owner-changes poison list --queue jobs --json"]),
    )
    .action(async (options: { queue?: PoisonQueueKind }, command: Command) => {
      const client = await context.client(command);
      const lists = [];
      for (const queue of options.queue === undefined ? POISON_QUEUES : [options.queue]) {
        lists.push(await client.poisonList(queue));
      }
      if (context.json(command)) {
        context.out(JSON.stringify(options.queue === undefined ? { queues: lists } : lists[0]));
        return;
      }
      for (const list of lists) {
        context.out(
          `${list.queue}: ${list.messages.length === 0 ? "empty" : `${list.messages.length} message(s)${list.messages.length === 32 ? " (the first 32)" : ""}`}`,
        );
        if (list.messages.length > 0) {
          context.out(
            table(
              ["MESSAGE", "INSERTED", "REASON", "CHANGE"],
              list.messages.map((message) => [
                message.messageId,
                message.insertedOn,
                message.reason,
                changeText(message),
              ]),
            ),
          );
        }
      }
    });

  poison
    .command("replay")
    .description("put poisoned messages back to work once their cause is fixed")
    .addOption(queueOption().makeOptionMandatory())
    .option("--id <messageId...>", "these messages (see poison list)")
    .option("--all", "every message, up to --max")
    .option(
      "--max <n>",
      `at most this many messages (1-${MAX_REPLAY})`,
      integer(1, MAX_REPLAY),
      DEFAULT_REPLAY,
    )
    .option("--dry-run", "say what would be replayed (among the first 32) and change nothing")
    .addHelpText(
      "after",
      helpAfter(
        [
          "owner-changes poison replay --queue jobs --all --dry-run",
          "owner-changes poison replay --queue jobs --all",
          "owner-changes poison replay --queue requests --id 6f1c0d4e-… --id 9a2b…",
        ],
        `
requests: the original request goes back on owner-change-requests and is validated again (fix the
sender first if the reason says it is malformed). jobs: the change of a job that failed after repeated
deliveries (its status says failed) is submitted again as a new request (source poison-replay), whose id
is printed; jobs of changes in any other state are skipped. Exit 1 when a message named by --id was
skipped or not found.
`,
      ),
    )
    .action(
      async (
        options: { queue: PoisonQueueKind; id?: string[]; all?: boolean; max: number; dryRun?: boolean },
        command: Command,
      ) => {
        if (!options.all && (options.id ?? []).length === 0)
          throw new UsageError("replay needs --id <message id> or --all");
        const client = await context.client(command);
        const result = await client.poisonReplay(options.queue, {
          ...(options.id === undefined ? {} : { ids: options.id }),
          ...(options.all ? { all: true } : {}),
          max: options.max,
          dryRun: options.dryRun === true,
        });
        if (context.json(command)) context.out(JSON.stringify(result));
        else {
          const verb = result.dryRun ? "would replay" : "replayed";
          for (const entry of result.replayed) {
            context.out(
              `${verb}  ${entry.messageId}${entry.requestId ? `  → new request ${entry.requestId}` : ""}`,
            );
          }
          for (const entry of result.skipped) context.out(`skipped  ${entry.messageId}: ${entry.reason}`);
          context.out(
            `${result.replayed.length} ${verb}, ${result.skipped.length} skipped${result.dryRun ? " (dry run: nothing changed)" : ""}`,
          );
        }
        if (options.id !== undefined && result.skipped.length > 0) context.setExit(EXIT.failed);
      },
    );
}
