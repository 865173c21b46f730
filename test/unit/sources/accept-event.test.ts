import { describe, expect, it } from "vitest";
import { requestIdFor } from "../../../src/changes/ids.ts";
import { OffboardingStore } from "../../../src/people/offboarding-store.ts";
import { offboardingIdFor } from "../../../src/people/plan.ts";
import {
  acceptMapped,
  type Delivery,
  deliveryKey,
  offboardWith,
  type SourceAcceptDeps,
} from "../../../src/sources/accept-event.ts";
import { type MappedItem, mapEvent } from "../../../src/sources/evaluate.ts";
import { FakeClock } from "../../support/fake-clock.ts";
import {
  MemoryPersonIndex,
  MemoryRows,
  MemoryStatusStore,
  recordingQueue,
} from "../../support/memory-stores.ts";
import { inlineMapping } from "./examples.ts";

/** Keys and the accept path for mapped deliveries: a retried delivery is the same request, never a second. */

const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const OTHER = "5e3b1a7e-8c1d-4f3a-9b2e-000000000003";

/** The accept path and the real offboarding, over memory stores; the leaver is known to own two iTwins. */
async function harness() {
  const store = new MemoryStatusStore();
  const { queue, sent } = recordingQueue();
  const people = new MemoryPersonIndex();
  for (const itwinId of [ITWIN, OTHER]) {
    await people.note({
      email: "leaver@corp.example",
      itwinId,
      evidence: "added",
      requestId: "k-x",
      seenAt: "2026-01-01T00:00:00.000Z",
    });
  }
  const accept = { store, jobsQueue: queue, clock: new FakeClock() };
  const deps: SourceAcceptDeps = {
    ...accept,
    offboard: offboardWith({ ...accept, people, offboardings: new OffboardingStore(new MemoryRows()) }),
  };
  return { store, sent, deps };
}

const delivery = (several: boolean, key = "sha256:abc"): Delivery => ({
  source: "crm",
  key,
  several,
  correlationId: "inv-1",
});

async function items(document: Record<string, unknown>, payload: unknown): Promise<MappedItem[]> {
  const mapped = await mapEvent(inlineMapping(document, {}, "crm"), payload);
  if (mapped.kind !== "mapped") throw new Error(`not mapped: ${JSON.stringify(mapped)}`);
  return mapped.items;
}

describe("acceptMapped", () => {
  it("keys a change by the mapping's id, records it via source and sends its job; a retry is a duplicate", async () => {
    const { store, sent, deps } = await harness();
    const mapped = await items(
      { itwinId: "i", email: "e", action: "'add'", id: "ticket" },
      {
        i: ITWIN,
        e: "a@corp.example",
        ticket: "CRM-7",
      },
    );
    const [first] = await acceptMapped(mapped, delivery(false), deps);
    expect(first).toEqual({
      kind: "accepted",
      what: "change",
      id: requestIdFor("CRM-7", "crm"),
      status: "queued",
    });
    expect(store.rows.get(first?.id ?? "")?.doc).toMatchObject({
      via: "source",
      source: "crm",
      senderId: "CRM-7",
    });
    expect(await acceptMapped(mapped, delivery(false, "sha256:other"), deps)).toEqual([
      { kind: "duplicate", what: "change", id: first?.id, status: "queued" },
    ]);
    expect(sent).toHaveLength(2); // never taken by a worker, so the repeat re-sends its job (accept.ts)
  });

  it("keys a change without an id by the delivery, and several changes by <key>#<index>", async () => {
    const { deps } = await harness();
    const one = await items({ itwinId: "i", email: "e", action: "'add'" }, { i: ITWIN, e: "a@corp.example" });
    expect((await acceptMapped(one, delivery(false, "msg_9"), deps))[0]?.id).toBe(
      requestIdFor("msg_9", "crm"),
    );
    const two = await items(
      { changes: "grants", itwinId: "$", email: "$payload.e", action: "'remove'", id: "$payload.ticket" },
      { grants: [ITWIN, OTHER], e: "b@corp.example", ticket: "CRM-8" },
    );
    const results = await acceptMapped(two, delivery(true), deps);
    expect(results.map((result) => result.id)).toEqual([
      requestIdFor("CRM-8#0", "crm"),
      requestIdFor("CRM-8#1", "crm"),
    ]);
  });

  it("answers key-reused when the same key comes back with another change", async () => {
    const { deps } = await harness();
    const document = { itwinId: "i", email: "e", action: "'add'", id: "'CRM-9'" };
    await acceptMapped(await items(document, { i: ITWIN, e: "a@corp.example" }), delivery(false), deps);
    const [again] = await acceptMapped(
      await items(document, { i: OTHER, e: "a@corp.example" }),
      delivery(false),
      deps,
    );
    expect(again).toEqual({ kind: "key-reused", id: requestIdFor("CRM-9", "crm") });
  });

  it("offboards a leaver with the delivery's key: one remove per known iTwin, via source", async () => {
    const { store, deps, sent } = await harness();
    const leaver = await items(
      { email: "e", action: "'offboard'", reason: "'left'", occurredAt: "at" },
      { e: "Leaver@Corp.example", at: "2026-11-20T17:00:00Z" },
    );
    const [result] = await acceptMapped(leaver, delivery(false, "msg_hr_1"), deps);
    expect(result).toEqual({
      kind: "accepted",
      what: "offboarding",
      id: offboardingIdFor("msg_hr_1", "crm"),
      status: "processing",
    });
    const children = [...store.rows.values()].map((row) => row.doc);
    expect(
      children.map((doc) => [doc.itwinId, doc.action, doc.via, doc.source, doc.parentId, doc.reason]),
    ).toEqual([
      [ITWIN, "remove", "source", "crm", result?.id, "left"],
      [OTHER, "remove", "source", "crm", result?.id, "left"],
    ]);
    expect(sent).toHaveLength(2);
    expect(await acceptMapped(leaver, delivery(false, "msg_hr_1"), deps)).toEqual([
      { ...result, kind: "duplicate" },
    ]);
    const someoneElse = await items({ email: "e", action: "'offboard'" }, { e: "other@corp.example" });
    expect(await acceptMapped(someoneElse, delivery(false, "msg_hr_1"), deps)).toEqual([
      { kind: "key-reused", id: result?.id },
    ]);
  });
});

describe("deliveryKey", () => {
  it("is the webhook id when there is one, else the SHA-256 of the bytes", () => {
    const bytes = new TextEncoder().encode("{}");
    expect(deliveryKey("msg_1", bytes)).toBe("msg_1");
    expect(deliveryKey(undefined, bytes)).toBe("sha256:RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o");
    expect(deliveryKey(undefined, new TextEncoder().encode("{} "))).not.toBe(deliveryKey(undefined, bytes));
  });
});
