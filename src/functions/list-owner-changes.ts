import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `GET /api/owner-changes`: changes newest first, filtered, in pages (design §3, "The query API"). The handler
 * (handlers/list-owner-changes.ts) and the query code load on the first request: senders' instances
 * never list, and a cold start should not read them.
 */
const listOwnerChangesLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/list-owner-changes.ts").then((handler) => handler.listOwnerChanges(request, context));

app.http("listOwnerChanges", {
  route: "owner-changes",
  methods: ["GET"],
  authLevel: "function",
  handler: listOwnerChangesLazily,
});
