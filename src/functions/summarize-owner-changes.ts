import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `GET /api/owner-changes/summary`: counts by status and outcome over a time range (design §3, "The query API"). The
 * route's literal segment wins over `owner-changes/{id}`, in the host and in the local runner. The
 * handler (handlers/summarize-owner-changes.ts) loads on the first request.
 */
const summarizeOwnerChangesLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/summarize-owner-changes.ts").then((handler) =>
    handler.summarizeOwnerChanges(request, context),
  );

app.http("summarizeOwnerChanges", {
  route: "owner-changes/summary",
  methods: ["GET"],
  authLevel: "function",
  handler: summarizeOwnerChangesLazily,
});
