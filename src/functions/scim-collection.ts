import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { services } from "../services.ts";

/**
 * `GET|POST /api/scim/v2/{resource}`: the SCIM Users and Groups collections (list, create) and the
 * discovery endpoints (ServiceProviderConfig, ResourceTypes, Schemas). Anonymous at the Functions level:
 * identity providers send a bearer token, not a function key; src/scim/http.ts checks it (design §3).
 */
export async function scimCollection(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  // Loaded on the first SCIM request: cold starts without SCIM traffic never read scimmy (wiring.ts).
  const [{ handleScim }, scim] = await Promise.all([import("../scim/http.ts"), services().scim()]);
  return handleScim(request, context, scim.http);
}

app.http("scimCollection", {
  route: "scim/v2/{resource}",
  methods: ["GET", "POST"],
  authLevel: "anonymous",
  handler: scimCollection,
});
