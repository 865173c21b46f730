import { describe, expect, it } from "vitest";
import { discover, discoveryEndpoint } from "../../../../src/scim/protocol/discovery.ts";
import { MAX_RESULTS } from "../../../../src/scim/protocol/scimmy.ts";

describe("discovery endpoints", () => {
  it("announces PATCH and filtering, no bulk, sort, etag or password change, and bearer tokens", async () => {
    expect(await discover("ServiceProviderConfig", undefined)).toMatchObject({
      patch: { supported: true },
      filter: { supported: true, maxResults: MAX_RESULTS },
      bulk: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      changePassword: { supported: false },
      authenticationSchemes: [expect.objectContaining({ type: "oauthbearertoken" })],
    });
  });

  it("lists User (with the enterprise extension) and Group as resource types, and each one by id", async () => {
    const types = (await discover("ResourceTypes", undefined)) as {
      totalResults: number;
      Resources: unknown[];
    };
    expect(types.totalResults).toBe(2);
    expect(types.Resources).toEqual([
      expect.objectContaining({
        id: "User",
        endpoint: "/Users",
        schemaExtensions: [
          expect.objectContaining({ schema: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" }),
        ],
      }),
      expect.objectContaining({ id: "Group", endpoint: "/Groups" }),
    ]);
    expect(await discover("ResourceTypes", "Group")).toMatchObject({ id: "Group" });
  });

  it("serves the schemas, each by its URN, and 404 for an unknown one", async () => {
    const schemas = (await discover("Schemas", undefined)) as { Resources: { id: string }[] };
    expect(schemas.Resources.map((schema) => schema.id)).toEqual(
      expect.arrayContaining([
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
      ]),
    );
    expect(await discover("Schemas", "urn:ietf:params:scim:schemas:core:2.0:Group")).toMatchObject({
      name: "Group",
    });
    await expect(discover("Schemas", "urn:nope")).rejects.toMatchObject({ status: 404 });
  });

  it("finds endpoints case-insensitively and nothing else", () => {
    expect(discoveryEndpoint("schemas")).toBe("Schemas");
    expect(discoveryEndpoint("Users")).toBeUndefined();
  });
});
