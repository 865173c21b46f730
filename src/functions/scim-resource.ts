import { app } from "@azure/functions";
import { scimHandler } from "./scim-collection.ts";

/**
 * `GET|PUT|PATCH|DELETE /api/scim/v2/{resource}/{id}`: one SCIM User or Group, or one ResourceType or
 * Schema. Anonymous at the Functions level, bearer token checked by src/scim/http.ts (design §3).
 */
app.http("scimResource", {
  route: "scim/v2/{resource}/{id}",
  methods: ["GET", "PUT", "PATCH", "DELETE"],
  authLevel: "anonymous",
  handler: scimHandler,
});
