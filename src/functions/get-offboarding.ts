import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `GET /api/offboardings/{id}`: an offboarding with its children and rolled-up status. The handler
 * (handlers/get-offboarding.ts) loads on the first request: most instances never serve one, and a cold
 * start should not read it.
 */
const getOffboardingLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/get-offboarding.ts").then((handler) => handler.getOffboarding(request, context));

app.http("getOffboarding", {
  route: "offboardings/{id}",
  methods: ["GET"],
  authLevel: "function",
  handler: getOffboardingLazily,
});
