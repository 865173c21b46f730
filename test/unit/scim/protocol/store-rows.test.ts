import { describe, expect, it } from "vitest";
import type { ScimUser } from "../../../../src/scim/events.ts";
import {
  deletedGroup,
  groupBefore,
  type MemberEntity,
  memberDelta,
  nameKey,
  type ResourceEntity,
  resourceEntity,
  userBefore,
} from "../../../../src/scim/store/rows.ts";

/** The store's reporting rule (src/scim/store/rows.ts): what `before` says after a failed report. */

const alice = (active: boolean): ScimUser => ({ id: "u-1", userName: "alice@corp.example", active });
const row = (value: string, present: boolean, pending = false): MemberEntity => ({
  partitionKey: "scim-members",
  rowKey: `g|g-1|${value}`,
  present,
  pending,
});
const group = { id: "g-1", displayName: "Owners", members: [] };

/** The row a write leaves, as the next request reads it. */
const written = (kind: "User" | "Group", doc: Record<string, unknown>, over?: ResourceEntity) =>
  resourceEntity(kind, doc, over);
const confirmed = (entity: ResourceEntity): ResourceEntity => ({ ...entity, pending: false, reported: "" });

describe("resourceEntity", () => {
  it("keeps the state last reported while a write is unconfirmed, through further writes", () => {
    const reported = confirmed(written("User", alice(true)));
    const failed = written("User", alice(false), reported);
    expect(failed).toMatchObject({ pending: true, reported: JSON.stringify(alice(true)) });
    const next = written("User", { ...alice(false), title: "x" }, failed);
    expect(next.reported).toBe(JSON.stringify(alice(true)));
  });

  it("stores lower-cased names for filtering and hashes them into the uniqueness key", () => {
    const entity = written("User", { ...alice(true), userName: "Alice@Corp.example", externalId: "X1" });
    expect(entity).toMatchObject({ name: "alice@corp.example", externalId: "X1" });
    expect(nameKey("User", "Alice@Corp.example")).toBe(nameKey("User", "alice@corp.example"));
    expect(nameKey("User", "a")).not.toBe(nameKey("Group", "a"));
    expect(nameKey("User", "a/b#c?")).toMatch(/^User\|[A-Za-z0-9_-]{43}$/);
  });

  it("keeps a group's members out of its row, and refuses a document too large for one", () => {
    expect(JSON.parse(written("Group", { ...group, members: [{ value: "a" }] }).document)).toEqual({
      id: "g-1",
      displayName: "Owners",
    });
    expect(() => written("User", { ...alice(true), title: "x".repeat(40_000) })).toThrowError(
      expect.objectContaining({ status: 400, scimType: "invalidValue" }),
    );
  });
});

describe("userBefore", () => {
  it("is the stored user when its last write was reported, and nothing for a user never reported", () => {
    expect(userBefore(confirmed(written("User", alice(true))), alice(false))).toEqual(alice(true));
    expect(userBefore(written("User", alice(true)), alice(true))).toBeUndefined();
  });

  it("is the state last reported after a failed report, so the retry reports the deactivation again", () => {
    const failed = written("User", alice(false), confirmed(written("User", alice(true))));
    expect(userBefore(failed, alice(false))).toEqual(alice(true));
  });

  it("flips active when a later write put it back: the failed report may have been partly accepted", () => {
    const failed = written("User", alice(false), confirmed(written("User", alice(true))));
    expect(userBefore(failed, alice(true))).toEqual(alice(false));
  });
});

describe("groupBefore", () => {
  const reportedGroup = confirmed(written("Group", group));

  it("lists the present members when nothing is pending", () => {
    expect(groupBefore(reportedGroup, [row("a", true), row("b", true)], [])?.members).toEqual([
      { value: "a" },
      { value: "b" },
    ]);
  });

  it("shows members an unconfirmed write touched with the opposite standing", () => {
    const rows = [
      row("kept", true),
      row("added-unreported", true, true),
      row("removed-unreported", false, true),
    ];
    const failed = written("Group", group, reportedGroup);
    const after = [{ value: "kept" }, { value: "added-unreported" }];
    expect(groupBefore(failed, rows, after)?.members).toEqual([
      { value: "kept" },
      { value: "removed-unreported" },
    ]);
  });

  it("reports a member again when a write puts back what an unconfirmed write took away", () => {
    const rows = [row("back", false, true)];
    const failed = written("Group", group, reportedGroup);
    expect(groupBefore(failed, rows, [{ value: "back" }])?.members).toEqual([]);
  });

  it("is nothing for a group never reported: every member is new to the sink", () => {
    expect(groupBefore(written("Group", group), [row("a", true, true)], [{ value: "a" }])).toBeUndefined();
  });
});

describe("deletedGroup", () => {
  it("names every member, and every one an unconfirmed write removed", () => {
    const rows = [row("a", true), row("b", false, true), row("c", false)];
    expect(deletedGroup(group, rows).members).toEqual([{ value: "a" }, { value: "b" }]);
  });
});

describe("memberDelta", () => {
  it("writes new members and changed displays, removes the missing ones", () => {
    const current = [{ value: "a" }, { value: "b", display: "B" }, { value: "c" }];
    const next = [{ value: "a" }, { value: "b", display: "Bee" }, { value: "d" }];
    expect(memberDelta(current, next)).toEqual({
      upserts: [{ value: "b", display: "Bee" }, { value: "d" }],
      removed: ["c"],
    });
  });
});
