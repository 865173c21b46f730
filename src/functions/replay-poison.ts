import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `POST /api/poison/{queue}/replay`: puts poisoned messages back to work. The handler (handlers/poison.ts)
 * loads on the first request: operators call it rarely, and a cold start should not read it.
 */
const replayPoisonLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/poison.ts").then((handler) => handler.replayPoisonHttp(request, context));

app.http("replayPoison", {
  route: "poison/{queue}/replay",
  methods: ["POST"],
  authLevel: "admin",
  handler: replayPoisonLazily,
});
