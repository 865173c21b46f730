import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { handleScim } from "../scim/http.ts";
import { services } from "../services.ts";

/**
 * `GET|POST /api/scim/v2/{resource}`: the SCIM Users and Groups collections (list, create) and the
 * discovery endpoints (ServiceProviderConfig, ResourceTypes, Schemas). Anonymous at the Functions level:
 * identity providers send a bearer token, not a function key; src/scim/http.ts checks it (design §3).
 */
export function scimCollection(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return handleScim(request, context, services().scim);
}

app.http("scimCollection", {
  route: "scim/v2/{resource}",
  methods: ["GET", "POST"],
  authLevel: "anonymous",
  handler: scimCollection,
});
