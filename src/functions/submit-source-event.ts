import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `POST /api/sources/{name}`: a system's own webhook payload, mapped into owner changes (docs/sources.md).
 * The handler (handlers/submit-source-event.ts) loads on the first request: most instances never serve one, and a cold
 * start should not read it.
 */
const submitSourceEventLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/submit-source-event.ts").then((handler) => handler.submitSourceEvent(request, context));

app.http("submitSourceEvent", {
  route: "sources/{name}",
  methods: ["POST"],
  authLevel: "function",
  handler: submitSourceEventLazily,
});
