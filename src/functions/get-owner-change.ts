import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { REQUEST_ID_PATTERN } from "../changes/ids.ts";
import { problem, problemResponse, unavailableResponse } from "../http/problem.ts";
import { invocationLogger } from "../observability/log.ts";
import { services } from "../services.ts";

/** `GET /api/owner-changes/{id}` (design §3): the status document (§5). */
export async function getOwnerChange(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const id = request.params.id ?? "";
  const notFound = () =>
    problemResponse(problem("notFound", `No owner-change request has the id ${JSON.stringify(id)}`));
  if (!REQUEST_ID_PATTERN.test(id)) return notFound();
  try {
    await services().ready();
    const stored = await services().store.get(id);
    if (stored === undefined) return notFound();
    return { status: 200, jsonBody: stored.doc, headers: { "cache-control": "no-store" } };
  } catch (error) {
    invocationLogger(context, { requestId: id }).error("status lookup failed", {
      error: (error as Error).message,
    });
    return unavailableResponse("The status store could not be read; try again later");
  }
}

app.http("getOwnerChange", {
  route: "owner-changes/{id}",
  methods: ["GET"],
  authLevel: "function",
  handler: getOwnerChange,
});
