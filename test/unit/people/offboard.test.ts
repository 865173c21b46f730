import { describe, expect, it } from "vitest";
import {
  OffboardingInputError,
  OffboardingKeyReusedError,
  offboardPerson,
} from "../../../src/people/offboard.ts";
import { OffboardingStore } from "../../../src/people/offboarding-store.ts";
import {
  NOTHING_TO_REMOVE,
  offboardingIdFor,
  parseOffboardInput,
  planOffboarding,
} from "../../../src/people/plan.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import {
  MemoryPersonIndex,
  MemoryRows,
  MemoryStatusStore,
  recordingQueue,
} from "../../support/memory-stores.ts";

/**
 * offboardPerson over in-memory stores: one parent, one accepted removal per known iTwin, and the same
 * parent and children however often the same key comes back.
 */

const A = "5e3b1a7e-8c1d-4f3a-9b2e-00000000000a";
const B = "5e3b1a7e-8c1d-4f3a-9b2e-00000000000b";
const C = "5e3b1a7e-8c1d-4f3a-9b2e-00000000000c";
const EMAIL = "max@corp.example";

function setup() {
  const clock = new FakeClock(Date.parse("2026-11-23T12:00:00.000Z"));
  const store = new MemoryStatusStore();
  const people = new MemoryPersonIndex();
  const offboardings = new OffboardingStore(new MemoryRows());
  const { queue: jobsQueue, sent } = recordingQueue();
  const learn = (itwinId: string) =>
    people.note({
      email: EMAIL,
      itwinId,
      evidence: "added",
      requestId: "r-add",
      seenAt: "2026-11-01T00:00:00Z",
    });
  return {
    clock,
    store,
    people,
    offboardings,
    sent,
    learn,
    deps: { store, jobsQueue, clock, people, offboardings },
  };
}

const input = (patch: Record<string, unknown> = {}) => ({
  email: "Max@Corp.example",
  source: "offboard",
  idempotencyKey: "leaver-1",
  correlationId: "c-1",
  via: "offboard" as const,
  reason: "left the company",
  ...patch,
});

describe("offboardPerson", () => {
  it("accepts one queued removal per known iTwin, each naming its parent and the offboarding's time", async () => {
    const { deps, learn, sent, offboardings } = setup();
    await learn(B);
    await learn(A);
    const result = await offboardPerson(input(), deps);
    expect(result.kind).toBe("accepted");
    expect(result.parentId).toBe(offboardingIdFor("leaver-1", "offboard"));
    expect(result.children.map((child) => [child.itwinId, child.action, child.status])).toEqual([
      [A, "remove", "queued"],
      [B, "remove", "queued"],
    ]);
    for (const child of result.children) {
      expect(child).toMatchObject({
        email: EMAIL,
        via: "offboard",
        parentId: result.parentId,
        occurredAt: "2026-11-23T12:00:00.000Z",
        reason: "left the company",
      });
    }
    expect(sent.map((message) => message.job.requestId)).toEqual(result.children.map((child) => child.id));
    expect(await offboardings.get(result.parentId)).toMatchObject({ email: EMAIL, itwinIds: [A, B] });
  });

  it("returns the same parent and children for the same key, never a second set", async () => {
    const { deps, learn, store, clock } = setup();
    await learn(A);
    await learn(B);
    const first = await offboardPerson(input(), deps);
    const rows = store.rows.size;
    // Meanwhile the person became known on a third iTwin, and time moved on: the plan stays as it was.
    await learn(C);
    clock.advance(60_000);
    const again = await offboardPerson(input({ reason: "reworded" }), deps);
    expect(again.kind).toBe("duplicate");
    expect(again.parentId).toBe(first.parentId);
    expect(again.children.map((child) => child.id)).toEqual(first.children.map((child) => child.id));
    expect(store.rows.size).toBe(rows);
  });

  it("accepts the children an interrupted first call left unaccepted", async () => {
    const { deps, learn, store, offboardings, sent } = setup();
    await learn(A);
    const parsed = parseOffboardInput(input());
    if (!parsed.ok) throw new Error("invalid fixture");
    const id = offboardingIdFor("leaver-1", "offboard");
    // The first call recorded the parent and died before accepting any child.
    await offboardings.create(
      planOffboarding(parsed.input, await deps.people.ownedBy(EMAIL), id, new Date()),
    );
    const result = await offboardPerson(input(), deps);
    expect(result).toMatchObject({ kind: "duplicate", parentId: id });
    expect(result.children).toHaveLength(1);
    expect(store.rows.get(result.children[0]?.id ?? "")?.doc.parentId).toBe(id);
    expect(sent).toHaveLength(1);
  });

  it("records a parent without children, and says why, for a person with no known iTwins", async () => {
    const { deps, offboardings, sent } = setup();
    const result = await offboardPerson(input(), deps);
    expect(result).toMatchObject({ kind: "accepted", children: [] });
    expect(await offboardings.get(result.parentId)).toMatchObject({ itwinIds: [], note: NOTHING_TO_REMOVE });
    expect(sent).toEqual([]);
  });

  it("refuses a key reused for another person, and an invalid email before storing anything", async () => {
    const { deps, offboardings } = setup();
    await offboardPerson(input(), deps);
    await expect(offboardPerson(input({ email: "ned@corp.example" }), deps)).rejects.toBeInstanceOf(
      OffboardingKeyReusedError,
    );
    const invalid = offboardPerson(input({ email: "max at corp", idempotencyKey: "leaver-2" }), deps);
    await expect(invalid).rejects.toBeInstanceOf(OffboardingInputError);
    await expect(invalid).rejects.toMatchObject({ errors: [{ path: "email" }] });
    expect(await offboardings.get(offboardingIdFor("leaver-2", "offboard"))).toBeUndefined();
  });
});
