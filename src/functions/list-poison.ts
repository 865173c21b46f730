import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `GET /api/poison/{queue}`: the first messages of a poison queue and why each is there. The handler
 * (handlers/poison.ts) loads on the first request: operators call it rarely, and a cold start should not read it.
 */
const listPoisonLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/poison.ts").then((handler) => handler.listPoisonHttp(request, context));

app.http("listPoison", {
  route: "poison/{queue}",
  methods: ["GET"],
  authLevel: "admin",
  handler: listPoisonLazily,
});
