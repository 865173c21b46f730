import type { Command } from "commander";
import type { ChangeSummary, ListFilters } from "../client.ts";
import { summaryRows } from "../format.ts";
import { type Context, helpAfter, integer } from "../program.ts";
import { addFilterOptions, type FilterOptions, toFilters } from "./filters.ts";

/**
 * `watch`: follows a filter by polling the query API and prints each change that appears or moves on.
 * The first round is the baseline (only counted); after it, a line per new or changed item. Each round
 * reads at most WINDOW items, newest first: older changes that move on are not seen. Ends on Ctrl-C,
 * `--timeout` or `--count` events, always with exit 0.
 */

const WINDOW = 1000;
const PAGE = 200;

export type WatchEvent = { kind: "new" | "changed"; item: ChangeSummary };

/** Pure: what moved between two rounds, in the newest round's order (oldest first, as a log reads). */
export function watchEvents(
  previous: ReadonlyMap<string, string>,
  current: readonly ChangeSummary[],
): WatchEvent[] {
  const events: WatchEvent[] = [];
  for (const item of [...current].reverse()) {
    const before = previous.get(item.id);
    if (before === undefined) events.push({ kind: "new", item });
    else if (before !== fingerprint(item)) events.push({ kind: "changed", item });
  }
  return events;
}

export function fingerprint(item: ChangeSummary): string {
  return `${item.status}/${item.outcome ?? ""}/${item.updatedAt}`;
}

export function registerWatch(program: Command, context: Context): void {
  const command = program
    .command("watch")
    .description("follow a filter live: print each change that appears or changes status, until Ctrl-C");
  addFilterOptions(command, () => context.io.clock.now())
    .option("--interval <seconds>", "pause between polls", integer(1, 300), 2)
    .option("--timeout <seconds>", "stop after this long", integer(1, 7 * 86_400))
    .option("--count <n>", "stop after this many events", integer(1, 1_000_000))
    .addHelpText(
      "after",
      helpAfter(
        [
          "owner-changes watch --status held",
          "owner-changes watch --source cli --since 1h --timeout 600",
          "owner-changes watch --itwin 5e3b1a7e-8c1d-4f3a-9b2e-000000000001 --json --count 10",
        ],
        `
The first poll only counts what matches now; after it, one line per change that appears or moves on
(JSON Lines with --json: {"event":"new"|"changed","item":{…}}). Each poll reads the newest ${WINDOW} matches.
Ctrl-C, --timeout and --count all end it with exit 0.
`,
      ),
    )
    .action(
      async (
        options: FilterOptions & { interval: number; timeout?: number; count?: number },
        command: Command,
      ) => {
        const client = await context.client(command);
        const { clock } = context.io;
        const filters = toFilters(options);
        const controller = new AbortController();
        const stopListening = context.io.onInterrupt(() => controller.abort());
        const deadline =
          options.timeout === undefined ? Number.POSITIVE_INFINITY : clock.now() + options.timeout * 1000;
        const json = context.json(command);
        const known = new Map<string, string>();
        let events = 0;
        try {
          for (let round = 0; ; round++) {
            const items = await newest(filters, (f, cursor) => client.list(f, cursor, controller.signal));
            const moved = watchEvents(known, items);
            for (const item of items) known.set(item.id, fingerprint(item));
            if (round === 0) {
              context.err(
                `watching: ${items.length} change(s) match now; new ones and changes follow (Ctrl-C stops)`,
              );
            } else {
              for (const event of moved.slice(
                0,
                options.count === undefined ? undefined : options.count - events,
              )) {
                context.out(
                  json
                    ? JSON.stringify({ event: event.kind, item: event.item })
                    : [event.kind.padEnd(7), ...(summaryRows([event.item])[0] ?? [])].join("  "),
                );
                events += 1;
              }
            }
            if ((options.count !== undefined && events >= options.count) || clock.now() >= deadline) break;
            await clock.sleep(Math.min(options.interval * 1000, deadline - clock.now()), controller.signal);
          }
        } catch (error) {
          if (!controller.signal.aborted) throw error;
        } finally {
          stopListening();
        }
      },
    );
}

async function newest(
  filters: ListFilters,
  list: (filters: ListFilters, cursor?: string) => Promise<{ items: ChangeSummary[]; cursor?: string }>,
): Promise<ChangeSummary[]> {
  const items: ChangeSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < WINDOW / PAGE; page++) {
    const answer = await list({ ...filters, limit: filters.limit ?? PAGE }, cursor);
    items.push(...answer.items);
    cursor = answer.cursor;
    if (cursor === undefined || items.length >= WINDOW) break;
  }
  return items;
}
