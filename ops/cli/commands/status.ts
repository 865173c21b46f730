import type { Command } from "commander";
import { describeDocument } from "../format.ts";
import { type Context, helpAfter } from "../program.ts";

/** `status ID`: one change's status document, with its history. */
export function registerStatus(program: Command, context: Context): void {
  program
    .command("status")
    .description("show one change: what was asked, by whom, why, and what happened (with its history)")
    .argument("<id>", "the change's id (k-… or r-…), as submit, list and the HTTP API print it")
    .addHelpText(
      "after",
      helpAfter(
        [
          "owner-changes status k-3LzKhN13RQ0ZnaH_PZT14_5zhd3SRqb4",
          "owner-changes status k-3LzKhN13RQ0ZnaH_PZT14_5zhd3SRqb4 --json | jq .history",
        ],
        "\nExit 0 when the change exists, whatever its state (read it from the output or --json).\n",
      ),
    )
    .action(async (id: string, _options: unknown, command: Command) => {
      const client = await context.client(command);
      const doc = await client.get(id);
      context.out(context.json(command) ? JSON.stringify(doc) : describeDocument(doc));
    });
}
