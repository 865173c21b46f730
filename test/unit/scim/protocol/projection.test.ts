import { describe, expect, it } from "vitest";
import { needsMembers, project } from "../../../../src/scim/protocol/projection.ts";

const group = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  id: "g-1",
  displayName: "Owners",
  members: [{ value: "u-1" }],
  meta: {
    resourceType: "Group",
    created: "2026-01-01T00:00:00.000Z",
    lastModified: "2026-01-02T00:00:00.000Z",
  },
};
const ORIGIN = "https://app.example";

describe("project", () => {
  it("leaves members out for excludedAttributes=members (Entra, on every group read), with an absolute location", () => {
    const out = project("Group", group, { excludedAttributes: "members" }, ORIGIN);
    expect(out).not.toHaveProperty("members");
    expect(out).toMatchObject({ id: "g-1", displayName: "Owners", schemas: group.schemas });
    expect((out.meta as Record<string, unknown>).location).toBe(`${ORIGIN}/api/scim/v2/Groups/g-1`);
  });

  it("keeps schemas and id with attributes=, which scimmy alone would drop schemas from", () => {
    expect(project("Group", group, { attributes: "displayName" }, ORIGIN)).toEqual({
      schemas: group.schemas,
      id: "g-1",
      displayName: "Owners",
    });
  });

  it("returns everything by default, members included", () => {
    expect(project("Group", group, {}, ORIGIN).members).toEqual([{ value: "u-1" }]);
  });
});

describe("needsMembers", () => {
  it.each([
    [{}, true],
    [{ excludedAttributes: "members" }, false],
    [{ excludedAttributes: "Members,externalId" }, false],
    [{ excludedAttributes: "externalId" }, true],
    [{ attributes: "displayName" }, false],
    [{ attributes: "displayName,members.value" }, true],
    [{ attributes: "urn:ietf:params:scim:schemas:core:2.0:Group:members" }, true],
  ])("%j → %s", (projection, expected) => {
    expect(needsMembers(projection)).toBe(expected);
  });
});
