import { describe, expect, it } from "vitest";
import type { ScimChange, ScimGroup, ScimUser } from "../../../../src/scim/events.ts";
import { affectedUsers, type Knowledge, planChanges } from "../../../../src/scim/ownership/plan.ts";
import { mappingTransition, transitionOf } from "../../../../src/scim/ownership/transition.ts";

/**
 * What each SCIM write means for ownership, from the write and what is known about the users: the
 * pure core, with the users and their other groups' iTwins given by hand.
 */

const X = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const Y = "5e3b1a7e-8c1d-4f3a-9b2e-000000000002";

const ann: ScimUser = { id: "u-ann", userName: "ann@corp.example", active: true };
const ben: ScimUser = { id: "u-ben", userName: "ben@corp.example", active: true };
const cid: ScimUser = { id: "u-cid", userName: "cid@corp.example", active: true };
const gone: ScimUser = { id: "u-gone", userName: "gone@corp.example", active: false };

function group(displayName: string, ...members: ScimUser[]): ScimGroup {
  return { id: "g1", displayName, members: members.map((user) => ({ value: user.id })) };
}

/** Knows these users; `others` gives a user's iTwins through groups other than the one written. */
function knowing(users: ScimUser[], others: Record<string, string[]> = {}): Knowledge {
  return {
    users: new Map(users.map((user) => [user.id, user])),
    itwinsOf: new Map(Object.entries(others).map(([id, itwins]) => [id, new Set(itwins)])),
  };
}

const plan = (change: ScimChange, knowledge: Knowledge, mappings = new Map<string, string>()) =>
  planChanges(transitionOf(change, mappings), knowledge).map(
    (c) => `${c.action} ${c.email} ${c.itwinId === X ? "X" : c.itwinId === Y ? "Y" : c.itwinId}`,
  );

const written = (before: ScimGroup | undefined, after: ScimGroup): ScimChange => ({
  kind: "group-written",
  before,
  after,
});

describe("a group standing for an iTwin", () => {
  const all = knowing([ann, ben, cid, gone]);

  it("makes an added member whose user is active an owner, and removes a removed one", () => {
    expect(plan(written(group(`owners ${X}`, ann), group(`owners ${X}`, ann, ben)), all)).toEqual([
      "add ben@corp.example X",
    ]);
    expect(plan(written(group(`owners ${X}`, ann, ben), group(`owners ${X}`, ann)), all)).toEqual([
      "remove ben@corp.example X",
    ]);
  });

  it("gives the reason, naming the group", () => {
    const transition = transitionOf(written(group(`owners ${X}`), group(`owners ${X}`, ann)), new Map());
    expect(planChanges(transition, all)).toEqual([
      { itwinId: X, email: "ann@corp.example", action: "add", reason: `added to SCIM group "owners ${X}"` },
    ]);
  });

  it("makes no owner of a member whose user is unknown or inactive", () => {
    const stranger = { id: "u-nobody", userName: "x@corp.example" };
    expect(plan(written(group(`owners ${X}`), group(`owners ${X}`, stranger, gone)), all)).toEqual([]);
    expect(plan(written(group(`owners ${X}`, stranger, gone), group(`owners ${X}`)), all)).toEqual([]);
  });

  it("keeps a person another group keeps there, and adds nobody such a group already made owner", () => {
    const viaOther = knowing([ann, ben], { "u-ben": [X] });
    expect(plan(written(group(`owners ${X}`, ann, ben), group(`owners ${X}`, ann)), viaOther)).toEqual([]);
    expect(plan(written(group(`owners ${X}`, ann), group(`owners ${X}`, ann, ben)), viaOther)).toEqual([]);
    const elsewhere = knowing([ann, ben], { "u-ben": [Y] });
    expect(plan(written(group(`owners ${X}`, ann, ben), group(`owners ${X}`, ann)), elsewhere)).toEqual([
      "remove ben@corp.example X",
    ]);
  });

  it("turns a full replace of the member list into the diff, adds first", () => {
    const changes = plan(written(group(`owners ${X}`, ann, ben), group(`owners ${X}`, ben, cid)), all);
    expect(changes).toEqual(["add cid@corp.example X", "remove ann@corp.example X"]);
  });

  it("removes every owner it made when the group is deleted", () => {
    const change: ScimChange = { kind: "group-deleted", before: group(`owners ${X}`, ann, ben, gone) };
    expect(plan(change, all)).toEqual(["remove ann@corp.example X", "remove ben@corp.example X"]);
    const transition = transitionOf(change, new Map());
    expect(planChanges(transition, all)[0]?.reason).toBe(`SCIM group "owners ${X}" was deleted`);
  });

  it("adds every member when created with them, and nothing for a group that stands for no iTwin", () => {
    expect(plan(written(undefined, group(`owners ${X}`, ann, gone)), all)).toEqual([
      "add ann@corp.example X",
    ]);
    expect(plan(written(undefined, group("plain", ann)), all)).toEqual([]);
    expect(plan(written(group("plain", ann), group("plain", ben)), all)).toEqual([]);
    expect(affectedUsers(transitionOf(written(group("plain", ann), group("plain", ben)), new Map()))).toEqual(
      [],
    );
  });

  it("adds or removes the whole member set when renamed to or from an iTwin id, and moves it between two", () => {
    expect(plan(written(group("plain", ann, ben), group(`owners ${X}`, ann, ben)), all)).toEqual([
      "add ann@corp.example X",
      "add ben@corp.example X",
    ]);
    expect(plan(written(group(`owners ${X}`, ann), group("plain", ann)), all)).toEqual([
      "remove ann@corp.example X",
    ]);
    expect(plan(written(group(`owners ${X}`, ann), group(`owners ${Y}`, ann)), all)).toEqual([
      "add ann@corp.example Y",
      "remove ann@corp.example X",
    ]);
    const transition = transitionOf(written(group("plain", ann), group(`owners ${X}`, ann)), new Map());
    expect(planChanges(transition, all)[0]?.reason).toBe(`SCIM group "plain" was renamed "owners ${X}"`);
  });

  it("follows the explicit mapping, not the name, and a rename then changes nothing", () => {
    const mapped = new Map([["g1", Y]]);
    expect(plan(written(group(`owners ${X}`), group(`owners ${X}`, ann)), all, mapped)).toEqual([
      "add ann@corp.example Y",
    ]);
    expect(plan(written(group("a", ann), group(`owners ${X}`, ann)), all, mapped)).toEqual([]);
  });

  it("reads only the members whose share changed", () => {
    const transition = transitionOf(
      written(group(`owners ${X}`, ann, ben), group(`owners ${X}`, ben, cid)),
      new Map(),
    );
    expect(affectedUsers(transition).sort()).toEqual(["u-ann", "u-cid"]);
  });
});

describe("mapping a group", () => {
  const all = knowing([ann, ben]);
  const plain = group("plain", ann, ben);
  const named = group(`owners ${X}`, ann);
  const lines = (t: ReturnType<typeof mappingTransition>) =>
    planChanges(t, all).map((c) => `${c.action} ${c.email} ${c.itwinId === X ? "X" : "Y"}: ${c.reason}`);

  it("adds the members when mapped, removes them when unmapped", () => {
    expect(lines(mappingTransition(plain, undefined, X))).toEqual([
      `add ann@corp.example X: SCIM group "plain" was mapped to iTwin ${X}`,
      `add ben@corp.example X: SCIM group "plain" was mapped to iTwin ${X}`,
    ]);
    expect(lines(mappingTransition(plain, X, undefined))).toEqual([
      'remove ann@corp.example X: SCIM group "plain" was unmapped',
      'remove ben@corp.example X: SCIM group "plain" was unmapped',
    ]);
  });

  it("moves the members from the iTwin the name gave to the mapped one, and back when unmapped", () => {
    expect(lines(mappingTransition(named, undefined, Y))).toEqual([
      `add ann@corp.example Y: SCIM group "owners ${X}" was mapped to iTwin ${Y}`,
      `remove ann@corp.example X: SCIM group "owners ${X}" was mapped to iTwin ${Y}`,
    ]);
    expect(lines(mappingTransition(named, Y, undefined)).map((line) => line.split(":")[0])).toEqual([
      "add ann@corp.example X",
      "remove ann@corp.example Y",
    ]);
    expect(lines(mappingTransition(named, undefined, X))).toEqual([]);
  });
});

describe("a user", () => {
  const userWritten = (before: ScimUser | undefined, after: ScimUser): ScimChange => ({
    kind: "user-written",
    before,
    after,
  });
  const inXAndY = (id: string) => knowing([], { [id]: [X, Y] });

  it("who leaves (active true → false) is removed from every mapped group's iTwin, and added back on return", () => {
    const away = { ...ann, active: false };
    expect(plan(userWritten(ann, away), inXAndY(ann.id))).toEqual([
      "remove ann@corp.example X",
      "remove ann@corp.example Y",
    ]);
    expect(plan(userWritten(away, ann), inXAndY(ann.id))).toEqual([
      "add ann@corp.example X",
      "add ann@corp.example Y",
    ]);
    const transition = transitionOf(userWritten(ann, away), new Map());
    expect(planChanges(transition, inXAndY(ann.id))[0]?.reason).toBe(
      'SCIM user "ann@corp.example" was deactivated',
    );
    expect(planChanges(transitionOf(userWritten(away, ann), new Map()), inXAndY(ann.id))[0]?.reason).toBe(
      'SCIM user "ann@corp.example" was reactivated',
    );
  });

  it("who was never marked active, then is marked inactive, leaves too", () => {
    const { active: _active, ...unmarked } = ann;
    expect(plan(userWritten(unmarked, { ...ann, active: false }), inXAndY(ann.id))).toHaveLength(2);
  });

  it("who is deleted is removed everywhere", () => {
    const change: ScimChange = { kind: "user-deleted", before: ann };
    expect(plan(change, inXAndY(ann.id))).toEqual(["remove ann@corp.example X", "remove ann@corp.example Y"]);
    expect(planChanges(transitionOf(change, new Map()), inXAndY(ann.id))[0]?.reason).toBe(
      'SCIM user "ann@corp.example" was deleted',
    );
  });

  it("whose address changed is added under the new one before the old one is removed", () => {
    const moved = { ...ann, emails: [{ value: "Ann.Smith@corp.example", primary: true }] };
    expect(plan(userWritten(ann, moved), knowing([], { [ann.id]: [X] }))).toEqual([
      "add ann.smith@corp.example X",
      "remove ann@corp.example X",
    ]);
  });

  it("created after being listed in a group becomes an owner then", () => {
    expect(plan(userWritten(undefined, ann), knowing([], { [ann.id]: [X] }))).toEqual([
      "add ann@corp.example X",
    ]);
  });

  it("whose other attributes changed, or who changed while inactive, changes nothing and is not looked up", () => {
    const renamed = { ...ann, displayName: "Ann Smith" };
    const transition = transitionOf(userWritten(ann, renamed), new Map());
    expect(affectedUsers(transition)).toEqual([]);
    expect(planChanges(transition, inXAndY(ann.id))).toEqual([]);
    const movedWhileAway = { ...gone, userName: "gone2@corp.example" };
    expect(plan(userWritten(gone, movedWhileAway), inXAndY(gone.id))).toEqual([]);
  });
});
