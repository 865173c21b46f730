import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `GET /api/openapi.json`: the OpenAPI 3.1 document of every route (design §3). Anonymous: it holds the
 * contract, which the repository publishes anyway, and no data; tools fetch it without a key. The
 * generator (zod-openapi and the document's schemas) loads on the first request, so a cold start does
 * not read it.
 */
const openApiLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/openapi.ts").then((handler) => handler.getOpenApiDocument(request, context));

app.http("getOpenApiDocument", {
  route: "openapi.json",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: openApiLazily,
});
