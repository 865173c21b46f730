import SCIMMY from "scimmy";

/**
 * scimmy, set up once per process (pure: library state only). scimmy keeps its resource declarations
 * and service provider configuration in module state; declaring twice throws, and tests import this
 * module from many files, so every declaration is guarded. The User resource carries the enterprise
 * extension because Entra sends its attributes, and scimmy's schema coercion drops undeclared ones.
 */

/** Where the routes live (host.json routePrefix `api` + our routes); scimmy builds locations from it. */
export const SCIM_BASE_PATH = "/api/scim/v2";

export type ScimKind = "User" | "Group";

export const ENDPOINTS: Readonly<Record<ScimKind, string>> = { User: "Users", Group: "Groups" };

// Declared under explicit names: scimmy otherwise uses the class's name, which minification shortens
// (test/integration/bundle.test.ts runs discovery through the minified bundle).
if (!SCIMMY.Resources.declared("User")) {
  SCIMMY.Resources.declare(
    SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false),
    "User",
  ).basepath(SCIM_BASE_PATH);
}
if (!SCIMMY.Resources.declared("Group")) {
  SCIMMY.Resources.declare(SCIMMY.Resources.Group, "Group").basepath(SCIM_BASE_PATH);
}

/** What ServiceProviderConfig announces; list paging caps at MAX_RESULTS (list.ts). */
export const MAX_RESULTS = 200;
SCIMMY.Config.set({
  patch: true,
  filter: { supported: true, maxResults: MAX_RESULTS },
  bulk: false,
  sort: false,
  etag: false,
  changePassword: false,
  authenticationSchemes: [
    {
      type: "oauthbearertoken",
      name: "Bearer token",
      description: "Authorization: Bearer <token>, one of the tokens in the SCIM_BEARER_TOKENS setting",
    },
  ],
});

export { SCIMMY };
export const ScimError = SCIMMY.Types.Error;
export type ScimError = InstanceType<typeof SCIMMY.Types.Error>;
