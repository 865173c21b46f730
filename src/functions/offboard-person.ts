import { app, type HttpRequest, type InvocationContext } from "@azure/functions";

/**
 * `POST /api/people/{email}/offboard`: removes a leaver from every iTwin the service knows them to own.
 * The handler (handlers/offboard-person.ts) loads on the first request: most instances never serve one,
 * and a cold start should not read it.
 */
const offboardPersonHttpLazily = (request: HttpRequest, context: InvocationContext) =>
  import("./handlers/offboard-person.ts").then((handler) => handler.offboardPersonHttp(request, context));

app.http("offboardPerson", {
  route: "people/{email}/offboard",
  methods: ["POST"],
  authLevel: "admin",
  handler: offboardPersonHttpLazily,
});
