import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { systemClock } from "../../src/clock.ts";
import type { ScimEvent, ScimGroup, ScimUser } from "../../src/scim/events.ts";
import {
  type Caller,
  createResource,
  deleteResource,
  getResource,
  patchResource,
  replaceResource,
  type ScimDeps,
} from "../../src/scim/resources.ts";
import { TableScimStore } from "../../src/scim/scim-store.ts";
import { MEMBERS, NAMES, nameKey } from "../../src/scim/store/rows.ts";

/**
 * The SCIM store and operations on a real (azurite) table, with a scripted event sink: what a failed
 * report leaves, what the identity provider's retry then reports, deletes, membership rows in
 * transactions, name uniqueness and racing writes. The routes' own test is scim-protocol.test.ts.
 */

let azurite: AzuriteInstance;
let table: TableClient;
let store: TableScimStore;
const events: ScimEvent[] = [];
let failReports = 0;

const deps = (): ScimDeps => ({
  store,
  newId: randomUUID,
  clock: systemClock,
  sink: async (event) => {
    if (failReports > 0) {
      failReports--;
      throw new Error("the accept path is down");
    }
    events.push(event);
  },
});
const caller: Caller = { requestedBy: "entra", receivedAt: "2026-03-01T10:00:00.000Z", correlationId: "c-1" };
const PATCH_OP = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"];
const patch = (...Operations: unknown[]) => ({ schemas: PATCH_OP, Operations });
const addMembers = (...ids: string[]) =>
  patch({ op: "add", path: "members", value: ids.map((value) => ({ value })) });
const ids = (group: { members?: { value: string }[] } | undefined) =>
  (group?.members ?? []).map((member) => member.value).sort();
const lastEvent = () => events.at(-1)?.change;

beforeAll(async () => {
  azurite = await startAzurite();
  table = TableClient.fromConnectionString(azurite.connectionString, "ScimStore", {
    allowInsecureConnection: true,
  });
  await table.createTable();
  store = new TableScimStore(table, systemClock);
});
afterAll(async () => {
  await azurite?.close();
});
beforeEach(() => {
  events.length = 0;
  failReports = 0;
});

async function user(userName: string): Promise<string> {
  return String((await createResource(deps(), "User", { userName, active: true }, caller)).id);
}
async function group(displayName: string, members: string[] = []): Promise<string> {
  const body = { displayName, members: members.map((value) => ({ value })) };
  return String((await createResource(deps(), "Group", body, caller)).id);
}

describe("a failed report", () => {
  it("is a failure the identity provider retries, and the retry reports the member again", async () => {
    const [alice, g] = [await user("fail-alice@corp.example"), await group("fail-1")];
    failReports = 1;
    await expect(patchResource(deps(), "Group", g, addMembers(alice), caller)).rejects.toThrow(/accept path/);
    expect(ids(await store.getGroup(g))).toEqual([alice]);

    await patchResource(deps(), "Group", g, addMembers(alice), caller);
    const change = lastEvent();
    expect(change?.kind).toBe("group-written");
    expect(ids((change as { before: ScimGroup }).before)).toEqual([]);
    expect(ids((change as { after: ScimGroup }).after)).toEqual([alice]);

    // Reported now: the next write starts from it.
    await patchResource(
      deps(),
      "Group",
      g,
      patch({ op: "replace", path: "displayName", value: "fail-1b" }),
      caller,
    );
    expect(ids((lastEvent() as { before: ScimGroup }).before)).toEqual([alice]);
  });

  it("shows a member an unreported write touched with the opposite standing, even after it was put back", async () => {
    const alice = await user("flip-alice@corp.example");
    const groupId = await group("flip-1", [alice]);
    failReports = 1;
    await expect(
      patchResource(
        deps(),
        "Group",
        groupId,
        patch({ op: "Remove", path: "members", value: [{ value: alice }] }),
        caller,
      ),
    ).rejects.toThrow();
    await patchResource(deps(), "Group", groupId, addMembers(alice), caller);
    // The failed removal may have been accepted in part: the add is reported, so alice ends an owner.
    expect(ids((lastEvent() as { before: ScimGroup }).before)).toEqual([]);
    expect(ids((lastEvent() as { after: ScimGroup }).after)).toEqual([alice]);
  });

  it("reports a deactivation again on retry, and a reactivation after a failed one as a change", async () => {
    const alice = await user("deact-alice@corp.example");
    const deactivate = patch({ op: "replace", value: { active: false } });
    failReports = 1;
    await expect(patchResource(deps(), "User", alice, deactivate, caller)).rejects.toThrow();
    await patchResource(deps(), "User", alice, deactivate, caller);
    expect(lastEvent()).toMatchObject({
      kind: "user-written",
      before: { active: true },
      after: { active: false },
    });

    failReports = 1;
    await expect(
      patchResource(deps(), "User", alice, patch({ op: "Replace", path: "active", value: "True" }), caller),
    ).rejects.toThrow();
    await patchResource(deps(), "User", alice, deactivate, caller);
    expect(lastEvent()).toMatchObject({ before: { active: true }, after: { active: false } });
  });
});

describe("delete", () => {
  it("keeps a deleted group invisible but reportable until its report is confirmed, then drops its rows", async () => {
    const [alice, bob] = [await user("del-alice@corp.example"), await user("del-bob@corp.example")];
    const g = await group("del-1", [alice, bob]);
    failReports = 1;
    await expect(deleteResource(deps(), "Group", g, caller)).rejects.toThrow();
    await expect(getResource(deps(), "Group", g, true)).rejects.toMatchObject({ status: 404 });
    expect(await store.groupsOfUser(alice)).toEqual([]);

    await deleteResource(deps(), "Group", g, caller);
    expect(lastEvent()).toMatchObject({ kind: "group-deleted", before: { id: g, displayName: "del-1" } });
    expect(ids((lastEvent() as { before: ScimGroup }).before)).toEqual([alice, bob].sort());
    await expect(deleteResource(deps(), "Group", g, caller)).rejects.toMatchObject({ status: 404 });
    expect(await memberRowsOf(g)).toEqual([]);
    // The name is free again.
    await group("del-1");
  });

  it("takes a deleted user out of every group, and reports the user as it was", async () => {
    const alice = await user("gone-alice@corp.example");
    const [g1, g2] = [await group("gone-1", [alice]), await group("gone-2", [alice])];
    expect((await store.groupsOfUser(alice)).map((found) => found.id).sort()).toEqual([g1, g2].sort());
    await deleteResource(deps(), "User", alice, caller);
    expect(lastEvent()).toMatchObject({
      kind: "user-deleted",
      before: { id: alice, userName: "gone-alice@corp.example" },
    });
    expect(ids(await store.getGroup(g1))).toEqual([]);
    expect(await store.getUser(alice)).toBeUndefined();
    expect(await store.groupsOfUser(alice)).toEqual([]);
  });
});

describe("membership rows", () => {
  it("stores a group of 230 members in transactions and replaces them, leaving no stray rows", async () => {
    const members = Array.from({ length: 230 }, (_, index) => `m-${String(index).padStart(3, "0")}`);
    const g = await group("big-1", members);
    expect(ids(await store.getGroup(g))).toEqual(members);
    expect((await store.groupsOfUser("m-229")).map((found) => found.id)).toEqual([g]);

    const kept = members.slice(0, 10).map((value) => ({ value }));
    await replaceResource(deps(), "Group", g, { displayName: "big-1", members: kept }, caller);
    expect(ids(await store.getGroup(g))).toEqual(members.slice(0, 10));
    expect(await memberRowsOf(g)).toHaveLength(10);
    expect(await store.groupsOfUser("m-229")).toEqual([]);
  });

  it("keeps every member when two PATCHes race on one group", async () => {
    const g = await group("race-1");
    await Promise.all(
      ["r-a", "r-b", "r-c", "r-d"].map((id) => patchResource(deps(), "Group", g, addMembers(id), caller)),
    );
    expect(ids(await store.getGroup(g))).toEqual(["r-a", "r-b", "r-c", "r-d"]);
  });
});

describe("names", () => {
  it("refuses a second userName differing only in case, and frees a name on rename", async () => {
    const first = await user("Name-Carol@corp.example");
    await expect(user("name-carol@CORP.example")).rejects.toMatchObject({
      status: 409,
      scimType: "uniqueness",
    });
    await replaceResource(deps(), "User", first, { userName: "name-carol2@corp.example" }, caller);
    const second = await user("name-carol@corp.example");
    expect(((await store.getUser(second)) as ScimUser).userName).toBe("name-carol@corp.example");
    await expect(
      patchResource(
        deps(),
        "User",
        second,
        patch({ op: "replace", path: "userName", value: "NAME-CAROL2@corp.example" }),
        caller,
      ),
    ).rejects.toMatchObject({ status: 409 });
  });
});

describe("a name whose write never followed its claim", () => {
  const claimFor = async (userName: string, holder: string, claimedAt: number) => {
    const rowKey = nameKey("User", userName);
    await table.upsertEntity({ partitionKey: NAMES, rowKey, id: holder, claimedAt }, "Replace");
  };

  it("is taken over once the grace has passed, so a failed rename cannot block the userName for good", async () => {
    // A rename of this user to stale-dave claimed the name, then failed before writing the user.
    const renamer = await user("renamer@corp.example");
    await claimFor("stale-dave@corp.example", renamer, Date.now() - 10 * 60_000);
    await user("stale-dave@corp.example");
  });

  it("is kept within the grace, whether its holder exists yet or not: that write may be on its way", async () => {
    await claimFor("fresh-erin@corp.example", randomUUID(), Date.now());
    await expect(user("fresh-erin@corp.example")).rejects.toMatchObject({ status: 409 });
    await claimFor("fresh-finn@corp.example", await user("finn-renaming@corp.example"), Date.now());
    await expect(user("fresh-finn@corp.example")).rejects.toMatchObject({ status: 409 });
  });
});

async function memberRowsOf(groupId: string): Promise<string[]> {
  const found: string[] = [];
  const rows = table.listEntities({
    queryOptions: {
      filter: `PartitionKey eq '${MEMBERS}' and RowKey ge 'g|${groupId}|' and RowKey lt 'g|${groupId}|~'`,
    },
  });
  for await (const row of rows) found.push(String(row.rowKey));
  return found;
}
