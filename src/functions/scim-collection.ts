import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { services } from "../services.ts";

/** Both SCIM routes: src/scim/http.ts tells the collection from one resource by the route's parameters. */
export async function scimHandler(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  // Loaded on the first SCIM request: cold starts without SCIM traffic never read scimmy (wiring.ts).
  const [{ handleScim }, scim] = await Promise.all([import("../scim/http.ts"), services().scim()]);
  return handleScim(request, context, scim.http);
}

/**
 * `GET|POST /api/scim/v2/{resource}`: the SCIM Users and Groups collections (list, create) and the
 * discovery endpoints (ServiceProviderConfig, ResourceTypes, Schemas). Anonymous at the Functions level:
 * identity providers send a bearer token, not a function key; src/scim/http.ts checks it (design §3).
 */
app.http("scimCollection", {
  route: "scim/v2/{resource}",
  methods: ["GET", "POST"],
  authLevel: "anonymous",
  handler: scimHandler,
});
