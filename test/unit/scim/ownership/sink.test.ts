import { describe, expect, it } from "vitest";
import type { StatusDocument } from "../../../../src/changes/model.ts";
import type { ScimChange, ScimGroup, ScimUser } from "../../../../src/scim/events.ts";
import { createScimOwnership } from "../../../../src/scim/ownership/sink.ts";
import { FakeClock } from "../../../support/fake-clock.ts";
import { MemoryStatusStore, recordingQueue } from "../../../support/memory-stores.ts";
import { MemoryDirectory, MemoryMappings } from "./memory-scim.ts";

/**
 * The sink the SCIM provider calls after each stored write, over in-memory stand-ins for the SCIM
 * store, the mappings, the status table and the jobs queue: what it reads, what it accepts, and what
 * a repeat does.
 */

const X = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const Y = "5e3b1a7e-8c1d-4f3a-9b2e-000000000002";
const AT = "2026-11-23T10:00:00.000Z";

function setup() {
  const directory = new MemoryDirectory();
  const mappings = new MemoryMappings();
  const store = new MemoryStatusStore();
  const { queue, sent } = recordingQueue();
  const sink = createScimOwnership({
    directory,
    mappings,
    accept: { store, jobsQueue: queue, clock: new FakeClock(Date.parse(AT)) },
  });
  const user = (name: string, patch: Partial<ScimUser> = {}): ScimUser => {
    const stored = { id: `u-${name}`, userName: `${name}@corp.example`, active: true, ...patch };
    directory.users.set(stored.id, stored);
    return stored;
  };
  const group = (id: string, displayName: string, ...members: ScimUser[]): ScimGroup => {
    const stored = { id, displayName, members: members.map((m) => ({ value: m.id })) };
    directory.groups.set(id, stored);
    return stored;
  };
  const write = (change: ScimChange, occurredAt = AT, correlationId = "c1") =>
    sink({ change, requestedBy: "entra-prod", occurredAt, correlationId });
  const docs = () => [...store.rows.values()].map((row) => row.doc);
  const summary = () =>
    docs().map((d: StatusDocument) => `${d.action} ${d.email} ${d.itwinId === X ? "X" : "Y"}`);
  return { directory, mappings, store, sent, user, group, write, docs, summary };
}

describe("createScimOwnership", () => {
  it("accepts an added member as a queued owner change from scim, with the token's name and the write's time", async () => {
    const { user, group, write, docs, sent } = setup();
    const ann = user("ann");
    const before = group("g1", `owners ${X}`);
    const after = group("g1", `owners ${X}`, ann);
    await write({ kind: "group-written", before, after });
    expect(docs()).toMatchObject([
      {
        status: "queued",
        itwinId: X,
        email: "ann@corp.example",
        action: "add",
        source: "scim",
        requestedBy: "entra-prod",
        occurredAt: AT,
        via: "scim",
        correlationId: "c1",
        reason: `added to SCIM group "owners ${X}"`,
      },
    ]);
    expect(sent.map((s) => s.job.requestId)).toEqual([docs()[0]?.id]);
  });

  it("looks up only the members a write touched", async () => {
    const { user, group, write, directory } = setup();
    const [ann, ben, cid] = [user("ann"), user("ben"), user("cid")];
    const before = group("g1", `owners ${X}`, ann, ben);
    const after = group("g1", `owners ${X}`, ann, ben, cid);
    await write({ kind: "group-written", before, after });
    expect(directory.reads.sort()).toEqual(["groups of u-cid", "user u-cid"]);
  });

  it("removes a leaver from every mapped group's iTwin, by name or by explicit mapping, and not from others", async () => {
    const { user, group, write, mappings, summary } = setup();
    const ann = user("ann");
    group("g1", `owners ${X}`, ann);
    group("g2", "Tower owners", ann);
    group("g3", "all staff", ann);
    mappings.put("g2", Y);
    user("ann", { active: false });
    await write({ kind: "user-written", before: ann, after: { ...ann, active: false } });
    expect(summary().sort()).toEqual(["remove ann@corp.example X", "remove ann@corp.example Y"]);
  });

  it("accepts the changes of one request once, however often it is reported; another arrival anew", async () => {
    const { user, group, write, docs } = setup();
    const ann = user("ann");
    const change: ScimChange = {
      kind: "group-written",
      before: group("g1", `owners ${X}`),
      after: group("g1", `owners ${X}`, ann),
    };
    await write(change);
    await write(change);
    expect(docs()).toHaveLength(1);
    // An identity provider's retry is a new request: its change is accepted too, and finds the work done.
    await write(change, "2026-11-23T10:00:30.000Z", "c2");
    expect(docs().map((d) => `${d.action} ${d.email} ${d.occurredAt}`)).toEqual([
      `add ann@corp.example ${AT}`,
      "add ann@corp.example 2026-11-23T10:00:30.000Z",
    ]);
  });

  it("fails when a change cannot be accepted, so the provider answers with an error and the IdP retries", async () => {
    const { user, group, write, store } = setup();
    const ann = user("ann");
    store.create = async () => {
      throw new Error("table unavailable");
    };
    await expect(
      write({
        kind: "group-written",
        before: group("g1", `owners ${X}`),
        after: group("g1", `owners ${X}`, ann),
      }),
    ).rejects.toThrow("table unavailable");
  });
});
