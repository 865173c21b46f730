import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../dev/simulator/server.ts";
import { type AppStack, startAppStack } from "../../dev/stack/app-stack.ts";
import { waitFor } from "../../dev/stack/poll.ts";
import type { StatusDocument } from "../../src/changes/model.ts";
import { TableStatusStore } from "../../src/changes/status-store.ts";
import { scimClient } from "../support/scim-client.ts";

/**
 * What SCIM writes do to iTwin ownership, end to end: the SCIM routes, the ownership sink, the accept
 * path, the worker and the simulator's owners API, through the real runner and azurite. Each iTwin is
 * made here with one human owner who stays ("keeper"), so removals are never the last owner's. More
 * than three removals from one iTwin within the hour are held, as in production with the threshold set.
 */

const TOKEN = `entra-${"e".repeat(40)}`;
const MASS_REMOVAL_THRESHOLD = 3;
const FINAL = new Set(["succeeded", "failed", "rejected", "held"]);

let stack: AppStack;
let simulator: RunningSimulator;
let scim: ReturnType<typeof scimClient>;
let statuses: TableStatusStore;

beforeAll(async () => {
  stack = await startAppStack({
    env: {
      SCIM_BEARER_TOKENS: `entra=${TOKEN}`,
      POLICY_MASS_REMOVAL_THRESHOLD: String(MASS_REMOVAL_THRESHOLD),
    },
  });
  simulator = stack.simulator;
  scim = scimClient(stack.runner.url, TOKEN);
  const table = TableClient.fromConnectionString(stack.azurite.connectionString, "OwnerChanges", {
    allowInsecureConnection: true,
  });
  statuses = new TableStatusStore(table);
});
afterAll(async () => {
  await stack?.stop();
});

function newItwin(name: string): string {
  return simulator.state.addItwin({ name, owners: [{ email: "keeper@corp.example" }] }).id;
}

const ownersOf = (itwinId: string) =>
  simulator.state
    .owners(itwinId)
    .map((member) => member.email)
    .filter((email) => email !== "keeper@corp.example")
    .sort();

/** The SCIM changes to this iTwin, once `count` of them exist and all are final; bounded in time. */
async function settledChanges(itwinId: string, count: number): Promise<StatusDocument[]> {
  return waitFor(
    async () => {
      const docs = (await statuses.listDocuments()).filter((d) => d.itwinId === itwinId && d.via === "scim");
      return docs.length >= count && docs.every((d) => FINAL.has(d.status)) ? docs : undefined;
    },
    `${count} settled SCIM changes for ${itwinId}`,
    45_000,
    250,
  );
}

const summary = (docs: StatusDocument[]) =>
  docs.map((d) => `${d.action} ${d.email} ${d.status}/${d.outcome ?? d.error?.code}`).sort();

async function mapping(method: string, groupId: string, body?: unknown) {
  const response = await fetch(`${stack.runner.url}/api/scim-mappings/${groupId}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & { changes?: Record<string, unknown>[] },
  };
}

describe("a SCIM group standing for an iTwin", () => {
  it("makes its active members owners without waiting for the owners API; a removed or deleted one stops being one", async () => {
    const itwinId = newItwin("scim-members");
    const ann = await scim.createUser("ann@corp.example");
    const ben = await scim.createUser("Ben@Corp.example");
    const cid = await scim.createUser("cid@corp.example", { active: false });
    // The owners API holds the first add for 6 s: the SCIM answer must not wait for it.
    simulator.state.setFaults({
      rules: [{ method: "POST", pathIncludes: itwinId, times: 1, stallMs: 6_000 }],
    });
    const groupId = await scim.createGroup(`iTwin owners ${itwinId.toUpperCase()}`, [ann, ben, cid]);
    const accepted = (await statuses.listDocuments()).filter((d) => d.itwinId === itwinId);
    expect(accepted.map((d) => d.email).sort()).toEqual(["ann@corp.example", "ben@corp.example"]);
    expect(ownersOf(itwinId)).toHaveLength(0);

    const added = await settledChanges(itwinId, 2);
    expect(summary(added)).toEqual([
      "add ann@corp.example succeeded/added",
      "add ben@corp.example succeeded/added",
    ]);
    expect(added[0]).toMatchObject({ source: "scim", requestedBy: "entra", via: "scim" });
    expect(added[0]?.reason).toBe(`added to SCIM group "iTwin owners ${itwinId.toUpperCase()}"`);
    expect(ownersOf(itwinId)).toEqual(["ann@corp.example", "ben@corp.example"]);

    // Entra removes members by value list, with its capitalised op.
    await scim.patch(`/Groups/${groupId}`, { op: "Remove", path: "members", value: [{ value: ben }] });
    const all = await settledChanges(itwinId, 3);
    expect(summary(all)).toContain("remove ben@corp.example succeeded/removed");
    expect(ownersOf(itwinId)).toEqual(["ann@corp.example"]);

    // A deleted user owns nothing any more (Entra's hard delete, 30 days after the soft one).
    expect((await scim.call("DELETE", `/Users/${ann}`)).status).toBe(204);
    const last = await settledChanges(itwinId, 4);
    expect(summary(last)).toContain("remove ann@corp.example succeeded/removed");
    expect(ownersOf(itwinId)).toEqual([]);
  });

  it("removes a leaver from every group's iTwin, adds them back when reactivated, and follows (un)mapping", async () => {
    const byName = newItwin("scim-leaver-name");
    const byMapping = newItwin("scim-leaver-mapping");
    const dan = await scim.createUser("dan@corp.example");
    await scim.createGroup(`Owners ${byName}`, [dan]);
    const towerId = await scim.createGroup("Tower owners", [dan]);

    const mapped = await mapping("PUT", towerId, { itwinId: byMapping, by: "it-lead@corp.example" });
    expect(mapped.status).toBe(200);
    expect(mapped.body).toMatchObject({ itwinId: byMapping, mappedBy: "mapping" });
    expect(mapped.body.changes).toMatchObject([
      { email: "dan@corp.example", action: "add", status: "queued" },
    ]);
    expect((await mapping("GET", towerId)).body).toMatchObject({
      displayName: "Tower owners",
      mappedBy: "mapping",
    });
    await settledChanges(byName, 1);
    await settledChanges(byMapping, 1);
    expect([ownersOf(byName), ownersOf(byMapping)]).toEqual([["dan@corp.example"], ["dan@corp.example"]]);

    // Entra deactivates with the string "False"; Okta reactivates with a pathless replace.
    await scim.patch(`/Users/${dan}`, { op: "Replace", path: "active", value: "False" });
    await settledChanges(byName, 2);
    await settledChanges(byMapping, 2);
    expect([ownersOf(byName), ownersOf(byMapping)]).toEqual([[], []]);
    await scim.patch(`/Users/${dan}`, { op: "replace", value: { active: true } });
    await settledChanges(byName, 3);
    const back = await settledChanges(byMapping, 3);
    expect([ownersOf(byName), ownersOf(byMapping)]).toEqual([["dan@corp.example"], ["dan@corp.example"]]);
    expect(back.map((d) => d.reason).sort()).toEqual([
      `SCIM group "Tower owners" was mapped to iTwin ${byMapping}`,
      'SCIM user "dan@corp.example" was deactivated',
      'SCIM user "dan@corp.example" was reactivated',
    ]);

    const unmapped = await mapping("DELETE", towerId);
    expect(unmapped.body).toMatchObject({ itwinId: null, mappedBy: null });
    expect(unmapped.body.changes).toMatchObject([{ email: "dan@corp.example", action: "remove" }]);
    await settledChanges(byMapping, 4);
    expect([ownersOf(byName), ownersOf(byMapping)]).toEqual([["dan@corp.example"], []]);
  });

  it("holds the removals beyond the mass-removal threshold when the group is deleted", async () => {
    const itwinId = newItwin("scim-mass-removal");
    const names = ["eva", "fay", "gus", "hal", "ida"];
    const members = [];
    for (const name of names) members.push(await scim.createUser(`${name}@corp.example`));
    const groupId = await scim.createGroup(`Owners ${itwinId}`, members);
    await settledChanges(itwinId, names.length);
    expect(ownersOf(itwinId)).toHaveLength(names.length);

    const deleted = await scim.call("DELETE", `/Groups/${groupId}`);
    expect(deleted.status).toBe(204);
    const removals = (await settledChanges(itwinId, 2 * names.length)).filter((d) => d.action === "remove");
    const statusCount = (status: string) => removals.filter((d) => d.status === status).length;
    expect([statusCount("succeeded"), statusCount("held")]).toEqual([
      MASS_REMOVAL_THRESHOLD,
      names.length - MASS_REMOVAL_THRESHOLD,
    ]);
    expect(ownersOf(itwinId)).toHaveLength(names.length - MASS_REMOVAL_THRESHOLD);
  });
});
