import { describe, expect, it } from "vitest";
import { mapEvent } from "../../../src/sources/evaluate.ts";
import { inlineMapping } from "./examples.ts";

/** How a mapping reads a payload, whatever the product: the rules docs/sources.md states. */

const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const basic = { itwinId: "itwin", email: "who", action: "what" };

describe("mapEvent", () => {
  it("reads each field as text, normalised by the owner-change schema, with the mapping's name as source", async () => {
    const mapped = await mapEvent(inlineMapping(basic, {}, "crm"), {
      itwin: ` ${ITWIN.toUpperCase()} `,
      who: "Ann@Corp.Example",
      what: "ADD",
    });
    expect(mapped).toEqual({
      kind: "mapped",
      several: false,
      items: [
        {
          kind: "change",
          change: { itwinId: ITWIN, email: "ann@corp.example", action: "add", source: "crm", dryRun: false },
        },
      ],
    });
  });

  it("takes nothing, null and blank text from an optional field as absent, and a one-item array as its item", async () => {
    const mapping = inlineMapping({ ...basic, reason: "note", requestedBy: "by", id: "[ref]" });
    const mapped = await mapEvent(mapping, {
      itwin: ITWIN,
      who: "a@corp.example",
      what: "remove",
      note: "  ",
      by: null,
      ref: "T-1",
    });
    expect(mapped).toMatchObject({ kind: "mapped", items: [{ change: { id: "T-1" } }] });
    const change =
      mapped.kind === "mapped" && mapped.items[0]?.kind === "change" ? mapped.items[0].change : {};
    expect(Object.keys(change)).not.toContain("reason");
    expect(Object.keys(change)).not.toContain("requestedBy");
  });

  it("refuses values it would have to guess at: several, numbers, objects", async () => {
    const mapped = await mapEvent(inlineMapping({ ...basic, id: "n", reason: "o" }), {
      itwin: [ITWIN, ITWIN],
      who: "a@corp.example",
      what: "add",
      n: 4711,
      o: { text: "x" },
    });
    expect(mapped).toEqual({
      kind: "unreadable",
      errors: [
        { path: "itwinId", message: "must yield text; yields 2 values" },
        { path: "id", message: "must yield text; yields a number" },
        { path: "reason", message: "must yield text; yields an object" },
      ],
    });
  });

  it("names a missing required field once, an unknown action, and what the schema refuses", async () => {
    const mapped = await mapEvent(inlineMapping({ ...basic, occurredAt: "when" }), {
      who: "nobody",
      what: "promote",
      when: "yesterday",
    });
    expect(mapped.kind === "unreadable" && mapped.errors).toEqual([
      { path: "itwinId", message: "yields nothing" },
      { path: "action", message: 'must yield "add", "remove" or "offboard"' },
      { path: "email", message: expect.any(String) },
      { path: "occurredAt", message: "must be an ISO 8601 date-time with a time zone" },
    ]);
  });

  it("reports a JSONata error at run time against the field that raised it", async () => {
    const mapped = await mapEvent(inlineMapping({ ...basic, occurredAt: "$fromMillis(when)" }), {
      itwin: ITWIN,
      who: "a@corp.example",
      what: "add",
      when: "not a number",
    });
    expect(mapped).toEqual({
      kind: "unreadable",
      errors: [{ path: "occurredAt", message: expect.stringMatching(/^JSONata: .*fromMillis/) }],
    });
  });

  it("skips when the filter yields false or nothing, and refuses a filter that yields anything else", async () => {
    const mapping = inlineMapping({ ...basic, filter: "kind" });
    expect(await mapEvent(mapping, { kind: false })).toMatchObject({ kind: "skipped" });
    expect(await mapEvent(mapping, {})).toMatchObject({ kind: "skipped" });
    expect(await mapEvent(mapping, { kind: "yes" })).toEqual({
      kind: "unreadable",
      errors: [{ path: "filter", message: "must yield true or false; yields a string" }],
    });
    expect(
      await mapEvent(mapping, { kind: true, itwin: ITWIN, who: "a@corp.example", what: "add" }),
    ).toMatchObject({ kind: "mapped" });
  });

  it("reads an offboarding without an iTwin, and a change without one as unreadable", async () => {
    const mapping = inlineMapping({ email: "who", action: "what" });
    expect(await mapEvent(mapping, { who: "leaver@corp.example", what: "Offboard" })).toEqual({
      kind: "mapped",
      several: false,
      items: [{ kind: "offboard", person: { email: "leaver@corp.example", source: "test" } }],
    });
    expect(await mapEvent(mapping, { who: "leaver@corp.example", what: "remove" })).toEqual({
      kind: "unreadable",
      errors: [{ path: "itwinId", message: "yields nothing" }],
    });
  });

  it("evaluates the fields per item of `changes`, with the whole delivery as $payload, and names the item", async () => {
    const mapping = inlineMapping({
      changes: "grants",
      itwinId: "itwin",
      email: "$payload.person",
      action: "'add'",
    });
    const mapped = await mapEvent(mapping, {
      person: "b@corp.example",
      grants: [{ itwin: ITWIN }, { itwin: "nope" }, {}],
    });
    expect(mapped).toEqual({
      kind: "unreadable",
      errors: [
        { path: "changes[1].itwinId", message: "must be an iTwin id (a UUID)" },
        { path: "changes[2].itwinId", message: "yields nothing" },
      ],
    });
    const fine = await mapEvent(mapping, { person: "b@corp.example", grants: { itwin: ITWIN } });
    expect(fine).toMatchObject({ kind: "mapped", several: true, items: [{ change: { itwinId: ITWIN } }] });
  });

  it("refuses more than 100 changes from one delivery", async () => {
    const mapping = inlineMapping({
      changes: "grants",
      itwinId: "$",
      email: "'c@corp.example'",
      action: "'add'",
    });
    const mapped = await mapEvent(mapping, { grants: Array.from({ length: 101 }, () => ITWIN) });
    expect(mapped).toEqual({
      kind: "unreadable",
      errors: [{ path: "changes", message: "yields 101 changes; at most 100" }],
    });
  });
});
