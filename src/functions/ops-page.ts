import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `GET /api/ops`: the ops page, one HTML document that works the public API with the operator's key.
 * Anonymous, because the page holds no data and no key (a browser cannot send a key header with a
 * navigation); every call its script makes carries the key. The handler and the page's text load on the
 * first request (handlers/ops-page.ts): few instances ever serve it, and a cold start should not read it.
 */
const opsPageLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/ops-page.ts").then((handler) => handler.opsPageHandler(request, context));

app.http("opsPage", {
  route: "ops",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: opsPageLazily,
});
