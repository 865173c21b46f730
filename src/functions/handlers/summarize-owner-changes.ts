import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { parseQuery } from "../../changes/query/filters.ts";
import { ChangeQueries } from "../../changes/query/reader.ts";
import { summaryQuerySchema } from "../../changes/query/schema.ts";
import { summarize, summaryRange } from "../../changes/query/summary.ts";
import { systemClock } from "../../clock.ts";
import { problem, problemResponse, unavailableResponse } from "../../http/problem.ts";
import { invocationLogger } from "../../observability/log.ts";
import { services } from "../../services.ts";

/** `GET /api/owner-changes/summary?since=&until=&bucket=hour|day` (design §3, "The query API"). */
export async function summarizeOwnerChanges(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const parsed = parseQuery(summaryQuerySchema, request.query, Object.keys(summaryQuerySchema.shape));
  const range = parsed.ok ? summaryRange(parsed.value, systemClock.now()) : parsed;
  if (!range.ok) {
    const fields = [...new Set(range.errors.map((error) => error.path))].join(", ");
    return problemResponse(
      problem("validation", `Invalid query parameter(s): ${fields}`, { errors: range.errors }),
    );
  }
  try {
    await services().ready();
    const queries = new ChangeQueries(services().storage.statusTable, systemClock.now);
    const changes = await queries.countable(range.value.since, range.value.until);
    return {
      status: 200,
      jsonBody: summarize(range.value, changes),
      headers: { "cache-control": "no-store" },
    };
  } catch (error) {
    invocationLogger(context).error("owner-change summary failed", { error: (error as Error).message });
    return unavailableResponse("The status store could not be read; try again later");
  }
}
