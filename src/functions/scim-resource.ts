import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { services } from "../services.ts";

/**
 * `GET|PUT|PATCH|DELETE /api/scim/v2/{resource}/{id}`: one SCIM User or Group, or one ResourceType or
 * Schema. Anonymous at the Functions level, bearer token checked by src/scim/http.ts (design §3).
 */
export async function scimResource(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  // Loaded on the first SCIM request: cold starts without SCIM traffic never read scimmy (wiring.ts).
  const [{ handleScim }, scim] = await Promise.all([import("../scim/http.ts"), services().scim()]);
  return handleScim(request, context, scim.http);
}

app.http("scimResource", {
  route: "scim/v2/{resource}/{id}",
  methods: ["GET", "PUT", "PATCH", "DELETE"],
  authLevel: "anonymous",
  handler: scimResource,
});
