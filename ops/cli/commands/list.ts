import type { Command } from "commander";
import type { ChangeSummary } from "../client.ts";
import { SUMMARY_HEADER, summaryRows, table } from "../format.ts";
import { type Context, helpAfter, integer } from "../program.ts";
import { addFilterOptions, type FilterOptions, toFilters } from "./filters.ts";

/** Pages followed by `--all` at most, whatever their size: a page may hold fewer items than asked for. */
const MAX_PAGES = 500;

export function registerList(program: Command, context: Context): void {
  const command = program
    .command("list")
    .description("list changes newest first, filtered (one page, or --all pages up to --max items)");
  addFilterOptions(command, () => context.io.clock.now())
    .option("--cursor <cursor>", "go on from where a previous page ended")
    .option("--all", "follow the pages to the end, up to --max items")
    .option("--max <n>", "with --all: stop after this many items", integer(1, 100_000), 1000)
    .addHelpText(
      "after",
      helpAfter([
        "owner-changes list --status held",
        "owner-changes list --email bob@corp.example --since 7d",
        "owner-changes list --status failed,rejected --since 24h --all --json",
        "owner-changes list --itwin 5e3b1a7e-8c1d-4f3a-9b2e-000000000002 --action remove --limit 200",
      ]),
    )
    .action(
      async (options: FilterOptions & { cursor?: string; all?: boolean; max: number }, command: Command) => {
        const client = await context.client(command);
        const filters = toFilters(options);
        const items: ChangeSummary[] = [];
        let cursor = options.cursor;
        for (let page = 0; page < (options.all ? MAX_PAGES : 1); page++) {
          // Never more than --max in all, so the cursor printed at the end skips nothing.
          const limit = options.all
            ? Math.min(options.limit ?? 200, options.max - items.length)
            : options.limit;
          const answer = await client.list({ ...filters, ...(limit === undefined ? {} : { limit }) }, cursor);
          items.push(...answer.items);
          cursor = answer.cursor;
          if (cursor === undefined || items.length >= options.max) break;
        }
        if (context.json(command)) {
          context.out(JSON.stringify({ items: items, ...(cursor === undefined ? {} : { cursor }) }));
          return;
        }
        if (items.length > 0) context.out(table(SUMMARY_HEADER, summaryRows(items)));
        context.out(
          `${items.length} change(s)${cursor === undefined ? "" : `; more: --cursor ${cursor}${options.all ? "" : " (or --all)"}`}`,
        );
      },
    );
}
