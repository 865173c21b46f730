import { describe, expect, it } from "vitest";
import { canonicalise, fixBooleans } from "../../../../src/scim/protocol/canonical.ts";

const identity = { id: "u-1", meta: { resourceType: "User", created: "2026-01-01T00:00:00.000Z" } };

describe("canonicalise", () => {
  it("keeps our id and meta over an Okta full PUT that echoes read-only attributes, and never keeps a password", () => {
    const okta = {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      id: "something-else",
      meta: { resourceType: "User", created: "1999-01-01T00:00:00Z", location: "https://elsewhere/Users/x" },
      userName: "alice@corp.example",
      name: { givenName: "Alice", familyName: "Example" },
      emails: [{ primary: true, value: "alice@corp.example", type: "work" }],
      active: true,
      groups: [{ value: "g-1" }],
      password: "Pa55word!",
    };
    const stored = canonicalise("User", okta, identity);
    expect(stored).toMatchObject({
      id: "u-1",
      meta: identity.meta,
      userName: "alice@corp.example",
      active: true,
    });
    expect(stored).not.toHaveProperty("password");
    expect(stored).not.toHaveProperty("groups");
  });

  it("gives attribute names their canonical case and converts Entra's string booleans", () => {
    const stored = canonicalise("User", { UserName: "a@corp.example", Active: "False" }, identity);
    expect(stored).toMatchObject({ userName: "a@corp.example", active: false });
  });

  it('lists each member once and drops "$ref": null', () => {
    const body = { displayName: "G", members: [{ value: "a", $ref: null }, { value: "b" }, { value: "a" }] };
    expect(canonicalise("Group", body, { ...identity, id: "g-1" }).members).toEqual([
      { value: "a" },
      { value: "b" },
    ]);
  });

  it.each([
    ["a User without userName", "User", { active: true }, "invalidValue"],
    ["a Group without displayName", "Group", { members: [] }, "invalidValue"],
    ["a userName that is not a string", "User", { userName: 5 }, "invalidValue"],
    [
      "a member value that cannot be a row key",
      "Group",
      { displayName: "G", members: [{ value: "a#b" }] },
      "invalidValue",
    ],
    ["a body that is not an object", "User", ["a"], "invalidSyntax"],
  ] as const)("refuses %s with 400 %s", (_name, kind, body, scimType) => {
    expect(() => canonicalise(kind, body, identity)).toThrowError(
      expect.objectContaining({ status: 400, scimType }),
    );
  });
});

describe("fixBooleans", () => {
  it("converts only boolean attributes, at any depth, and leaves other strings alone", () => {
    expect(
      fixBooleans({ active: "TRUE", emails: [{ primary: "false", value: "False" }], title: "True" }),
    ).toEqual({
      active: true,
      emails: [{ primary: false, value: "False" }],
      title: "True",
    });
  });
});
