import { describe, expect, it } from "vitest";
import { changeMapping, type MappingRequest } from "../../../../src/scim/ownership/change-mapping.ts";
import { FakeClock } from "../../../support/fake-clock.ts";
import { MemoryStatusStore, recordingQueue } from "../../../support/memory-stores.ts";
import { MemoryDirectory, MemoryMappings } from "./memory-scim.ts";

/** Mapping and unmapping a group: the owner changes that follow, the stored mapping, and races. */

const X = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";

function setup() {
  const directory = new MemoryDirectory();
  const mappings = new MemoryMappings();
  const store = new MemoryStatusStore();
  const clock = new FakeClock(Date.parse("2026-11-23T10:00:00.000Z"));
  for (const name of ["ann", "ben"]) {
    directory.users.set(`u-${name}`, { id: `u-${name}`, userName: `${name}@corp.example`, active: true });
  }
  directory.groups.set("g1", {
    id: "g1",
    displayName: "Bridge owners",
    members: [{ value: "u-ann" }, { value: "u-ben" }],
  });
  const deps = { directory, mappings, accept: { store, jobsQueue: recordingQueue().queue, clock } };
  const change = (itwinId: string | undefined, groupId = "g1") => {
    const request: MappingRequest = {
      groupId,
      itwinId,
      requestedBy: "it-lead@corp.example",
      correlationId: "c1",
    };
    return changeMapping(request, deps);
  };
  const lines = async (itwinId: string | undefined) => {
    const result = await change(itwinId);
    if (result.kind !== "done") throw new Error(`expected done, got ${result.kind}`);
    return result.results.map((r) => `${r.kind} ${r.doc.action} ${r.doc.email}`);
  };
  return { mappings, store, clock, change, lines };
}

describe("changeMapping", () => {
  it("makes the members owners when mapped and removes them when unmapped, storing each generation", async () => {
    const { mappings, lines } = setup();
    expect(await lines(X)).toEqual(["accepted add ann@corp.example", "accepted add ben@corp.example"]);
    expect(await mappings.get("g1")).toMatchObject({ itwinId: X, generation: 1 });
    expect(await lines(undefined)).toEqual([
      "accepted remove ann@corp.example",
      "accepted remove ben@corp.example",
    ]);
    expect(await mappings.get("g1")).toMatchObject({ itwinId: undefined, generation: 2 });
  });

  it("makes new changes when a group is mapped again, not repeats of its first mapping", async () => {
    const { store, lines } = setup();
    await lines(X);
    await lines(undefined);
    expect(await lines(X)).toEqual(["accepted add ann@corp.example", "accepted add ben@corp.example"]);
    expect(store.rows.size).toBe(6);
  });

  it("changes nothing and writes nothing when the mapping is already so", async () => {
    const { mappings, lines } = setup();
    await lines(X);
    expect(await lines(X)).toEqual([]);
    expect((await mappings.get("g1")).generation).toBe(1);
  });

  it("answers no-group for a group the SCIM store does not have", async () => {
    const { change, mappings } = setup();
    expect(await change(X, "g-unknown")).toEqual({ kind: "no-group" });
    expect(mappings.rows.size).toBe(0);
  });

  it("reports a conflict when another request changed the mapping meanwhile, and keeps that one", async () => {
    const { change, mappings } = setup();
    mappings.beforeSet = () => {
      mappings.beforeSet = undefined;
      mappings.put("g1", "5e3b1a7e-8c1d-4f3a-9b2e-000000000009");
    };
    expect(await change(X)).toEqual({ kind: "conflict" });
    expect((await mappings.get("g1")).itwinId).toBe("5e3b1a7e-8c1d-4f3a-9b2e-000000000009");
  });

  it("plans the same changes when retried after the mapping could not be written: nothing twice", async () => {
    const { change, mappings, store, clock } = setup();
    const set = mappings.set.bind(mappings);
    mappings.set = async () => {
      throw new Error("table unavailable");
    };
    await expect(change(X)).rejects.toThrow("table unavailable");
    mappings.set = set;
    clock.advance(5_000);
    const retry = await change(X);
    expect(retry.kind === "done" && retry.results.map((r) => r.kind)).toEqual(["key-reused", "key-reused"]);
    expect(store.rows.size).toBe(2);
    expect((await mappings.get("g1")).itwinId).toBe(X);
  });
});
