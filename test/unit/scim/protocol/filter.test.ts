import { describe, expect, it } from "vitest";
import { compileFilter } from "../../../../src/scim/protocol/filter.ts";

/** SCIM filters as identity providers send them, evaluated on stored resources. */

const alice = {
  id: "u-1",
  userName: "Alice@Corp.example",
  externalId: "AbC-1",
  active: true,
  emails: [
    { value: "alice@corp.example", type: "work", primary: true },
    { value: "alice@home.example", type: "home" },
  ],
};
const group = {
  id: "g-1",
  displayName: "Owners 5E3B1A7E-8C1D-4F3A-9B2E-000000000001",
  members: [{ value: "u-1" }],
};

const matches = (filter: string, resource: Record<string, unknown> = alice) =>
  compileFilter(filter).matches(resource);

describe("compileFilter", () => {
  it("matches userName eq in any case (Entra and Okta look users up by it)", () => {
    expect(matches('userName eq "alice@corp.example"')).toBe(true);
    expect(matches('USERNAME eq "ALICE@CORP.EXAMPLE"')).toBe(true);
    expect(matches('userName eq "bob@corp.example"')).toBe(false);
  });

  it("compares externalId case-exactly, as RFC 7643 defines it", () => {
    expect(matches('externalId eq "AbC-1"')).toBe(true);
    expect(matches('externalId eq "abc-1"')).toBe(false);
  });

  it('reads emails[type eq "work"].value as one email that is both work and that address', () => {
    expect(matches('emails[type eq "work"].value eq "alice@corp.example"')).toBe(true);
    // The home address exists, but not as the work one: scim2-parse-filter would say true here.
    expect(matches('emails[type eq "work"].value eq "alice@home.example"')).toBe(false);
  });

  it("combines with and (and or)", () => {
    expect(matches('userName eq "alice@corp.example" and externalId eq "AbC-1"')).toBe(true);
    expect(matches('userName eq "alice@corp.example" and externalId eq "other"')).toBe(false);
    expect(matches('userName eq "nobody" or externalId eq "AbC-1"')).toBe(true);
  });

  it("matches displayName eq on groups, and members by value", () => {
    expect(matches('displayName eq "owners 5e3b1a7e-8c1d-4f3a-9b2e-000000000001"', group)).toBe(true);
    expect(matches('members[value eq "u-1"]', group)).toBe(true);
    expect(matches('members[value eq "u-2"]', group)).toBe(false);
  });

  it("takes the core schema URN before an attribute name", () => {
    expect(matches('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@corp.example"')).toBe(true);
  });

  it("gives the store a hint for an equality on id, userName, externalId or displayName, folded as compared", () => {
    expect(compileFilter('userName eq "Alice@Corp.example"').hint).toEqual({
      attribute: "username",
      value: "alice@corp.example",
    });
    expect(compileFilter('externalId eq "AbC-1" and active eq true').hint).toEqual({
      attribute: "externalid",
      value: "AbC-1",
    });
    expect(compileFilter('displayName eq "X"').hint).toEqual({ attribute: "displayname", value: "x" });
    expect(compileFilter('id eq "G-1" and members[value eq "u-1"]').hint).toEqual({
      attribute: "id",
      value: "G-1",
    });
    // Either branch of an or may match other rows: no hint.
    expect(compileFilter('userName eq "a" or userName eq "b"').hint).toBeUndefined();
    expect(compileFilter('emails[type eq "work"].value eq "a@b"').hint).toBeUndefined();
  });

  it.each([
    ["a comparison without a value", "userName eq"],
    ["a dangling and", 'userName eq "a" and'],
    ["a dangling or", 'userName eq "a" or'],
    ["an unknown operator", 'userName gx "a"'],
    ["an unclosed parenthesis", '(userName eq "a"'],
    ["a lone word", "foo"],
    ["a value-path without a value", "emails[value eq]"],
  ])("answers 400 invalidFilter for %s", (_name, filter) => {
    expect(() => compileFilter(filter)).toThrowError(
      expect.objectContaining({ status: 400, scimType: "invalidFilter" }),
    );
  });
});
