import { describe, expect, it } from "vitest";
import { isOwnerEvidence, personPartition, replaces } from "../../../src/people/ownership.ts";
import { ITWIN_ID } from "../../support/fixtures.ts";
import { MemoryPersonIndex } from "../../support/memory-stores.ts";

/** The per-person index's rules: what counts as owning, which observation wins, and the key spelling. */

const fact = (evidence: Parameters<typeof isOwnerEvidence>[0], seenAt: string, itwinId = ITWIN_ID) => ({
  email: "kim@corp.example",
  itwinId,
  evidence,
  requestId: `r-${evidence}`,
  seenAt,
});

describe("per-person index rules", () => {
  it("counts adds, invitations, known owners and listings as owning, removals as not", () => {
    expect(["added", "invited", "already-owner", "listed"].every((e) => isOwnerEvidence(e as never))).toBe(
      true,
    );
    expect(isOwnerEvidence("removed")).toBe(false);
    expect(isOwnerEvidence("not-owner")).toBe(false);
  });

  it("lets a newer or equally new observation replace the stored one, never an older one", () => {
    expect(replaces({ seenAt: "2026-11-23T10:00:00.000Z" })).toBe(true);
    expect(replaces({ seenAt: "2026-11-23T10:00:01.000Z" }, { seenAt: "2026-11-23T10:00:00.000Z" })).toBe(
      true,
    );
    expect(replaces({ seenAt: "2026-11-23T10:00:00.000Z" }, { seenAt: "2026-11-23T10:00:00.000Z" })).toBe(
      true,
    );
    expect(replaces({ seenAt: "2026-11-23T09:59:59.999Z" }, { seenAt: "2026-11-23T10:00:00.000Z" })).toBe(
      false,
    );
  });

  it("spells a person's partition without the characters table keys forbid", () => {
    const key = personPartition("o'neil+ops@xn--bcher-kva.example");
    expect(key).toBe("person|o'neil%2Bops%40xn--bcher-kva.example");
    expect(personPartition("a/b\\c#d?e@corp.example")).not.toMatch(/[/\\#?]/);
  });

  it("keeps the removal when an older add's write lands after it", async () => {
    const people = new MemoryPersonIndex();
    const other = "5e3b1a7e-8c1d-4f3a-9b2e-000000000002";
    await people.note(fact("removed", "2026-11-23T10:00:05.000Z"));
    await people.note(fact("added", "2026-11-23T10:00:01.000Z"));
    await people.note(fact("invited", "2026-11-23T10:00:02.000Z", other));
    expect((await people.ownedBy("kim@corp.example")).map((entry) => entry.itwinId)).toEqual([other]);
  });
});
