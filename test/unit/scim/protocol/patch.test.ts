import { describe, expect, it } from "vitest";
import { applyPatch, normaliseOps } from "../../../../src/scim/protocol/patch.ts";

/** PATCH as Entra and Okta send it (issue 10 §1, "Real clients' quirks"), applied to stored resources. */

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const meta = {
  resourceType: "Group",
  created: "2026-01-01T00:00:00.000Z",
  lastModified: "2026-01-01T00:00:00.000Z",
};

const group = (...members: string[]) => ({
  schemas: [GROUP],
  id: "g-1",
  displayName: "Owners 5e3b1a7e-8c1d-4f3a-9b2e-000000000001",
  members: members.map((value) => ({ value })),
  meta,
});
const user = (extra: Record<string, unknown> = {}) => ({
  schemas: [USER],
  id: "u-1",
  userName: "alice@corp.example",
  active: true,
  emails: [{ value: "alice@corp.example", type: "work", primary: true }],
  meta: { ...meta, resourceType: "User" },
  ...extra,
});
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const memberIds = (doc: Record<string, unknown>) =>
  ((doc.members ?? []) as { value: string }[]).map((member) => member.value);

describe("Entra's dialect", () => {
  it("takes capitalised ops: Add, Replace, Remove", () => {
    const added = applyPatch(
      "Group",
      group("a"),
      patch({ op: "Add", path: "members", value: [{ value: "b" }] }),
    );
    expect(memberIds(added)).toEqual(["a", "b"]);
    const renamed = applyPatch(
      "Group",
      group(),
      patch({ op: "Replace", path: "displayName", value: "New name" }),
    );
    expect(renamed.displayName).toBe("New name");
    const removed = applyPatch(
      "Group",
      group("a", "b"),
      patch({ op: "Remove", path: 'members[value eq "a"]' }),
    );
    expect(memberIds(removed)).toEqual(["b"]);
  });

  it('removes members given as path "members" with a value list, which scim-patch alone would ignore', () => {
    const body = patch({
      op: "Remove",
      path: "members",
      value: [{ value: "a" }, { value: "c", $ref: null }],
    });
    expect(memberIds(applyPatch("Group", group("a", "b", "c"), body))).toEqual(["b"]);
    expect(normaliseOps(body.Operations)).toEqual([
      { op: "remove", path: 'members[value eq "a"]' },
      { op: "remove", path: 'members[value eq "c"]' },
    ]);
  });

  it('removes with the RFC filter path members[value eq "id"], and succeeds when the member is gone already', () => {
    const body = patch({ op: "Remove", path: 'members[value eq "b"]' });
    const once = applyPatch("Group", group("a", "b"), body);
    expect(memberIds(once)).toEqual(["a"]);
    expect(memberIds(applyPatch("Group", once, body))).toEqual(["a"]);
  });

  it('drops "$ref": null from added members instead of refusing or storing it', () => {
    const body = patch({ op: "Add", path: "members", value: [{ value: "b", $ref: null }] });
    expect(applyPatch("Group", group(), body).members).toEqual([{ value: "b" }]);
  });

  it('reads active "False" / "True" (any case) as booleans, with a path and inside a pathless value', () => {
    expect(applyPatch("User", user(), patch({ op: "Replace", path: "active", value: "False" })).active).toBe(
      false,
    );
    const back = applyPatch(
      "User",
      user({ active: false }),
      patch({ op: "Replace", value: { active: "TRUE" } }),
    );
    expect(back.active).toBe(true);
  });

  it("replaces the work email through a filtered path, and takes the enterprise manager as a bare id", () => {
    const body = patch(
      { op: "Replace", path: 'emails[type eq "work"].value', value: "alice.new@corp.example" },
      { op: "Add", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", value: "u-9" },
    );
    const patched = applyPatch("User", user(), body);
    expect(patched.emails).toEqual([{ value: "alice.new@corp.example", type: "work", primary: true }]);
    expect(patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]).toEqual({
      manager: { value: "u-9" },
    });
  });
});

describe("Okta's dialect", () => {
  it('deactivates with a pathless {"op":"replace","value":{"active":false}}', () => {
    expect(applyPatch("User", user(), patch({ op: "replace", value: { active: false } })).active).toBe(false);
  });

  it("adds members to a group pushed with members: [], and an add of a member present lists it once", () => {
    const pushed = applyPatch(
      "Group",
      group(),
      patch({ op: "add", path: "members", value: [{ value: "a" }] }),
    );
    expect(memberIds(pushed)).toEqual(["a"]);
    const again = patch({ op: "add", path: "members", value: [{ value: "a" }, { value: "b" }] });
    expect(memberIds(applyPatch("Group", pushed, again))).toEqual(["a", "b"]);
  });

  it("applies remove + add in one request, in order", () => {
    const body = patch(
      { op: "remove", path: 'members[value eq "a"]' },
      { op: "add", path: "members", value: [{ value: "c" }] },
    );
    expect(memberIds(applyPatch("Group", group("a", "b"), body))).toEqual(["b", "c"]);
  });

  it("replaces all members, and replace with [] empties the group", () => {
    const all = patch({ op: "replace", path: "members", value: [{ value: "c" }, { value: "d" }] });
    expect(memberIds(applyPatch("Group", group("a", "b"), all))).toEqual(["c", "d"]);
    const none = patch({ op: "replace", path: "members", value: [] });
    expect(memberIds(applyPatch("Group", group("a"), none))).toEqual([]);
  });
});

describe("what a PATCH may not do", () => {
  it("keeps our id and meta whatever the operations say", () => {
    const body = patch({ op: "replace", value: { id: "mine", meta: { created: "1999-01-01T00:00:00Z" } } });
    const patched = applyPatch("User", user(), body);
    expect(patched.id).toBe("u-1");
    expect(patched.meta).toEqual({ ...meta, resourceType: "User" });
  });

  it.each([
    ["no Operations", {}, "invalidSyntax"],
    ["an empty list", patch(), "invalidSyntax"],
    ["an unknown op", patch({ op: "move", path: "displayName", value: "x" }), "invalidSyntax"],
    ["a remove without a path", patch({ op: "remove" }), "noTarget"],
    ["a path that cannot be parsed", patch({ op: "replace", path: "members[[", value: 1 }), "invalidSyntax"],
    ["a value of the wrong type", patch({ op: "replace", path: "active", value: "maybe" }), "invalidValue"],
    [
      "a member that cannot be an id",
      patch({ op: "add", path: "members", value: [{ value: "a/b" }] }),
      "invalidValue",
    ],
  ])("answers 400 for %s", (_name, body, scimType) => {
    const kind = JSON.stringify(body).includes("members") ? "Group" : "User";
    const stored = kind === "Group" ? group("a") : user();
    expect(() => applyPatch(kind, stored, body)).toThrowError(
      expect.objectContaining({ status: 400, scimType }),
    );
  });
});
