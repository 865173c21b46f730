import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AzuriteInstance, startAzurite } from "../../dev/stack/azurite.ts";
import { TablePersonIndex } from "../../src/people/person-index.ts";

/** The per-person index in a real (azurite) table: the first note inserts, later ones compare and swap. */
let azurite: AzuriteInstance;
let index: TablePersonIndex;

beforeAll(async () => {
  azurite = await startAzurite();
  const table = TableClient.fromConnectionString(azurite.connectionString, "PersonIndex", {
    allowInsecureConnection: true,
  });
  await table.createTable();
  index = new TablePersonIndex(table);
});
afterAll(async () => {
  await azurite?.close();
});

const ITWIN_A = "5e3b1a7e-8c1d-4f3a-9b2e-0000000000a1";
const ITWIN_B = "5e3b1a7e-8c1d-4f3a-9b2e-0000000000b2";
const email = "leaver@corp.example";
const at = (minute: number) => `2026-11-23T12:${String(minute).padStart(2, "0")}:00.000Z`;

describe("TablePersonIndex", () => {
  it("keeps the newest observation per iTwin, whichever write lands last", async () => {
    await index.note({ email, itwinId: ITWIN_A, evidence: "added", requestId: "r-1", seenAt: at(10) });
    await index.note({
      email,
      itwinId: ITWIN_B,
      evidence: "already-owner",
      requestId: "r-2",
      seenAt: at(10),
    });
    expect((await index.ownedBy(email)).map((known) => known.itwinId)).toEqual([ITWIN_A, ITWIN_B]);

    await index.note({ email, itwinId: ITWIN_A, evidence: "removed", requestId: "r-3", seenAt: at(20) });
    // An "owner" observation made before the removal, arriving after it, must not bring the iTwin back.
    await index.note({ email, itwinId: ITWIN_A, evidence: "listed", requestId: "r-4", seenAt: at(15) });
    expect(await index.ownedBy(email)).toEqual([
      { itwinId: ITWIN_B, evidence: "already-owner", requestId: "r-2", seenAt: at(10) },
    ]);

    await index.note({ email, itwinId: ITWIN_A, evidence: "added", requestId: "r-5", seenAt: at(30) });
    expect((await index.ownedBy(email)).map((known) => known.requestId)).toEqual(["r-5", "r-2"]);
  });
});
