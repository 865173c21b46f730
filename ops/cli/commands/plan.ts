import { type Command, Option } from "commander";
import { EXIT } from "../exit-codes.ts";
import type { FileChange } from "../files.ts";
import { table } from "../format.ts";
import { type Context, helpAfter } from "../program.ts";
import { FORMAT_CHOICES, readChangesFile } from "./read-file.ts";

/**
 * `plan --file`: a dry run on this machine. It checks every line as submit does and shows, per iTwin,
 * what the file asks for. It sends nothing and reads nothing from the service: the HTTP API has no owner
 * listing, and whether an add finds someone already an owner is the worker's call when it applies it.
 */

export interface ItwinPlan {
  itwinId: string;
  add: { email: string; line: number }[];
  remove: { email: string; line: number }[];
}

/** Pure: the file's changes per iTwin (in file order), and what a person would want to know first. */
export function planChanges(changes: readonly FileChange[]): { itwins: ItwinPlan[]; warnings: string[] } {
  const byItwin = new Map<string, ItwinPlan>();
  const seen = new Map<string, { action: string; line: number }>();
  const warnings: string[] = [];
  for (const { line, change } of changes) {
    let plan = byItwin.get(change.itwinId);
    if (plan === undefined) {
      plan = { itwinId: change.itwinId, add: [], remove: [] };
      byItwin.set(change.itwinId, plan);
    }
    plan[change.action].push({ email: change.email, line });
    const person = `${change.itwinId} ${change.email}`;
    const earlier = seen.get(person);
    if (earlier !== undefined) {
      warnings.push(
        earlier.action === change.action
          ? `line ${line} repeats line ${earlier.line}: ${change.action} ${change.email} on ${change.itwinId}`
          : `lines ${earlier.line} and ${line} both add and remove ${change.email} on ${change.itwinId}: without occurredAt the order they are applied in is not defined`,
      );
    } else seen.set(person, { action: change.action, line });
  }
  return { itwins: [...byItwin.values()], warnings };
}

export function registerPlan(program: Command, context: Context): void {
  program
    .command("plan")
    .description("check a file and show per iTwin what it would change, without sending anything")
    .requiredOption("--file <path>", "a .csv or .jsonl file, as for submit")
    .addOption(
      new Option("--format <format>", "the file's format, when its name does not say").choices(
        FORMAT_CHOICES,
      ),
    )
    .option("--detail", "list every change under its iTwin")
    .addHelpText(
      "after",
      helpAfter(
        [
          "owner-changes plan --file examples/reorg.csv",
          "owner-changes plan --file changes.jsonl --detail",
          "owner-changes plan --file changes.csv --json",
        ],
        `
Nothing is sent and nothing is read from the service: it checks every line as submit does and groups
the changes per iTwin. Whether someone is already an owner is decided when the change is applied
(outcome already-owner / not-owner); removals above the service's mass-removal threshold will be held.
`,
      ),
    )
    .action(async (options: { file: string; format?: string; detail?: boolean }, command: Command) => {
      const parsed = await readChangesFile(context, command, options.file, options.format, {});
      if (parsed === undefined) return context.setExit(EXIT.usage);
      const { itwins, warnings } = planChanges(parsed.changes);
      if (context.json(command)) {
        context.out(
          JSON.stringify({
            file: options.file,
            valid: true,
            changes: parsed.changes.length,
            itwins,
            warnings,
          }),
        );
        return;
      }
      context.out(
        table(
          ["ITWIN", "ADD", "REMOVE"],
          itwins.map((plan) => [plan.itwinId, plan.add.length, plan.remove.length]),
        ),
      );
      if (options.detail) {
        for (const plan of itwins) {
          context.out(`\n${plan.itwinId}`);
          for (const [sign, list] of [
            ["+", plan.add],
            ["-", plan.remove],
          ] as const) {
            for (const entry of list) context.out(`  ${sign} ${entry.email}  (line ${entry.line})`);
          }
        }
      }
      for (const warning of warnings) context.err(`warning: ${warning}`);
      context.out(
        `\n${parsed.changes.length} change(s) on ${itwins.length} iTwin(s); every line is valid. Nothing was sent: owner-changes submit --file ${options.file}`,
      );
    });
}
