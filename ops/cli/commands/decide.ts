import type { Command } from "commander";
import { statusText } from "../format.ts";
import { type Context, helpAfter } from "../program.ts";

/** `approve ID` / `reject ID`: decide a removal the mass-removal policy held (master key). */
export function registerDecide(program: Command, context: Context): void {
  for (const decision of ["approve", "reject"] as const) {
    program
      .command(decision)
      .description(
        decision === "approve"
          ? "release a held removal: it is queued and applied (needs the master key)"
          : "refuse a held removal: it ends rejected (needs the master key)",
      )
      .argument("<id>", "the held change's id (owner-changes list --status held)")
      .requiredOption("--by <who>", "who decides (kept in the change's history)")
      .option("--reason <text>", "why (kept in the history)")
      .addHelpText(
        "after",
        helpAfter(
          [
            `owner-changes ${decision} k-3LzKhN13RQ0ZnaH_PZT14_5zhd3SRqb4 --by you@corp.example --reason 'planned reorg'`,
            `owner-changes list --status held --json | jq -r '.items[].id' | xargs -n1 owner-changes ${decision} --by you@corp.example`,
          ],
          "\nA change that is not held answers 409: exit 1.\n",
        ),
      )
      .action(async (id: string, options: { by: string; reason?: string }, command: Command) => {
        const client = await context.client(command);
        const doc = await client.decide(id, decision, {
          by: options.by,
          ...(options.reason === undefined ? {} : { reason: options.reason }),
        });
        context.out(
          context.json(command)
            ? JSON.stringify(doc)
            : `${decision === "approve" ? "approved" : "rejected"} ${doc.id}: now ${statusText(doc)} (${doc.action} ${doc.email} on ${doc.itwinId})`,
        );
      });
  }
}
