import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `GET|PUT|DELETE /api/scim-mappings/{groupId}`: a SCIM group's explicit iTwin mapping. The handler
 * (handlers/scim-mappings.ts) loads on the first request: most instances never serve one, and a cold start
 * should not read it.
 */
const scimMappingsLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/scim-mappings.ts").then((handler) => handler.scimMappings(request, context));

app.http("scimMappings", {
  route: "scim-mappings/{groupId}",
  methods: ["GET", "PUT", "DELETE"],
  authLevel: "admin",
  handler: scimMappingsLazily,
});
