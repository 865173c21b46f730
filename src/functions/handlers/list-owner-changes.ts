import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { makeCursor, nextLink, parseListRequest } from "../../changes/query/filters.ts";
import { ChangeQueries } from "../../changes/query/reader.ts";
import type { ListResponse } from "../../changes/query/schema.ts";
import { systemClock } from "../../clock.ts";
import { problem, problemResponse, unavailableResponse } from "../../http/problem.ts";
import { invocationLogger } from "../../observability/log.ts";
import { services } from "../../services.ts";

/** `GET /api/owner-changes?itwinId=&email=&status=&source=&action=&since=&until=&limit=&cursor=` (design §3, "The query API"). */
export async function listOwnerChanges(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const parsed = parseListRequest(request.query);
  if (!parsed.ok) {
    const fields = [...new Set(parsed.errors.map((error) => error.path))].join(", ");
    return problemResponse(
      problem("validation", `Invalid query parameter(s): ${fields}`, { errors: parsed.errors }),
    );
  }
  const { filters, limit, after } = parsed.value;
  try {
    await services().ready();
    const page = await new ChangeQueries(services().storage.statusTable, systemClock.now).list(
      filters,
      limit,
      after,
    );
    const body: ListResponse = {
      items: page.items.map((item) => ({
        ...item,
        statusUrl: new URL(`/api/owner-changes/${item.id}`, request.url).toString(),
      })),
    };
    if (page.after !== undefined) {
      body.cursor = makeCursor(filters, page.after);
      body.next = nextLink(new URL(request.url).pathname, request.query, body.cursor);
    }
    return { status: 200, jsonBody: body, headers: { "cache-control": "no-store" } };
  } catch (error) {
    invocationLogger(context).error("owner-change query failed", { error: (error as Error).message });
    return unavailableResponse("The status store could not be read; try again later");
  }
}
