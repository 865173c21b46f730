import { type Command, InvalidArgumentError, Option } from "commander";
import { STATUSES } from "../../../src/changes/model.ts";
import type { ListFilters } from "../client.ts";
import { integer } from "../program.ts";

/** The query API's filters as options, shared by `list` and `watch`. */

export interface FilterOptions {
  itwin?: string;
  email?: string;
  status?: string;
  source?: string;
  action?: string;
  since?: string;
  until?: string;
  limit?: number;
}

const RELATIVE = /^(\d+)([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90m", "24h", "7d" → the instant that long before `now`; an ISO-8601 instant as it is. Pure. */
export function parseInstant(value: string, now: number): string {
  const relative = RELATIVE.exec(value.trim());
  if (relative) {
    const [, amount, unit] = relative;
    return new Date(now - Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]).toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError(
      "must be an ISO-8601 instant (2026-12-01T08:00:00Z) or a duration back from now (90m, 24h, 7d)",
    );
  }
  return value;
}

function statusList(value: string): string {
  const unknown = value
    .split(",")
    .filter((status) => !(STATUSES as readonly string[]).includes(status.trim()));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`must be among ${STATUSES.join(", ")} (comma-separated)`);
  return value;
}

export function addFilterOptions(command: Command, now: () => number): Command {
  return command
    .option("--itwin <id>", "only this iTwin")
    .option("--email <address>", "only this person")
    .option("--status <list>", `only these statuses, comma-separated (${STATUSES.join(", ")})`, statusList)
    .option("--source <name>", "only changes from this source")
    .addOption(new Option("--action <action>", "only adds or only removes").choices(["add", "remove"]))
    .option("--since <instant>", "created at or after: ISO-8601, or 90m / 24h / 7d back from now", (value) =>
      parseInstant(value, now()),
    )
    .option("--until <instant>", "created before: ISO-8601, or a duration back from now", (value) =>
      parseInstant(value, now()),
    )
    .option("--limit <n>", "items per page (1-200)", integer(1, 200));
}

export function toFilters(options: FilterOptions): ListFilters {
  const filters: ListFilters = {};
  if (options.itwin !== undefined) filters.itwinId = options.itwin;
  if (options.email !== undefined) filters.email = options.email;
  if (options.status !== undefined) filters.status = options.status;
  if (options.source !== undefined) filters.source = options.source;
  if (options.action !== undefined) filters.action = options.action;
  if (options.since !== undefined) filters.since = options.since;
  if (options.until !== undefined) filters.until = options.until;
  if (options.limit !== undefined) filters.limit = options.limit;
  return filters;
}
