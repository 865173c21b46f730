import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { handleScim } from "../scim/http.ts";
import { services } from "../services.ts";

/**
 * `GET|PUT|PATCH|DELETE /api/scim/v2/{resource}/{id}`: one SCIM User or Group, or one ResourceType or
 * Schema. Anonymous at the Functions level, bearer token checked by src/scim/http.ts (design §3).
 */
export function scimResource(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return handleScim(request, context, services().scim);
}

app.http("scimResource", {
  route: "scim/v2/{resource}/{id}",
  methods: ["GET", "PUT", "PATCH", "DELETE"],
  authLevel: "anonymous",
  handler: scimResource,
});
