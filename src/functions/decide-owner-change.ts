import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `POST /api/owner-changes/{id}/approve` or `/reject`: a person releases or refuses a held removal. The
 * handler (handlers/decide-owner-change.ts) loads on the first decision: they are rare, and a cold start
 * should not read it.
 */
const decideOwnerChangeLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/decide-owner-change.ts").then((handler) => handler.decideOwnerChange(request, context));

app.http("decideOwnerChange", {
  route: "owner-changes/{id}/{decision}",
  methods: ["POST"],
  authLevel: "admin",
  handler: decideOwnerChangeLazily,
});
