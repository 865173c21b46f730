import { describe, expect, it } from "vitest";
import { OwnerDirectory } from "../../../src/itwin/owner-directory.ts";
import type { Member } from "../../../src/itwin/owners-client.ts";
import { FakeClock } from "../../support/fake-clock.ts";

const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";

function setup(initial: Member[]) {
  const clock = new FakeClock(1_000_000);
  let owners = [...initial];
  let listings = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const client = {
    listOwners: async () => {
      listings++;
      const snapshot = [...owners];
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      return snapshot;
    },
  };
  const directory = new OwnerDirectory(client, { ttlMs: 60_000, clock });
  return {
    clock,
    directory,
    listings: () => listings,
    setOwners: (next: Member[]) => (owners = next),
    holdListings: () => (hold = true),
    releaseListing: () => release?.(),
  };
}

const alice = { id: "m-a", email: "alice@corp.example" };
const bob = { id: "m-b", email: "Bob@Corp.example" };

describe("OwnerDirectory", () => {
  it("reuses one listing for many lookups of changes accepted before it", async () => {
    const { clock, directory, listings } = setup([alice, bob, { id: "m-x", email: null }]);
    const acceptedAt = clock.now() - 10;
    expect(await directory.find(ITWIN, "alice@corp.example", acceptedAt)).toMatchObject({
      member: alice,
      owners: { length: 3 },
    });
    expect((await directory.find(ITWIN, "bob@corp.example", acceptedAt)).member).toEqual(bob);
    expect((await directory.find(ITWIN, "nobody@corp.example", acceptedAt)).member).toBeUndefined();
    expect(listings()).toBe(1);
  });

  it("lists again before denying an owner to a change accepted after the listing", async () => {
    const { clock, directory, listings, setOwners } = setup([alice]);
    await directory.find(ITWIN, "alice@corp.example", clock.now());
    clock.advance(1000);
    setOwners([alice, bob]);
    expect((await directory.find(ITWIN, "bob@corp.example", clock.now())).member).toEqual(bob);
    expect(listings()).toBe(2);
  });

  it("coalesces concurrent lookups into one listing", async () => {
    const { clock, directory, listings, holdListings, releaseListing } = setup([alice, bob]);
    holdListings();
    const lookups = Promise.all([
      directory.find(ITWIN, "alice@corp.example", clock.now()),
      directory.find(ITWIN, "bob@corp.example", clock.now()),
      directory.find(ITWIN, "carol@corp.example", clock.now()),
    ]);
    await Promise.resolve();
    releaseListing();
    const results = await lookups;
    expect(results.map((r) => r.member?.id)).toEqual(["m-a", "m-b", undefined]);
    expect(listings()).toBe(1);
  });

  it("keeps the listing true after our own writes, and expires it after the TTL", async () => {
    const { clock, directory, listings } = setup([alice]);
    const acceptedAt = clock.now();
    await directory.find(ITWIN, "alice@corp.example", acceptedAt);
    directory.noteAdded(ITWIN, bob);
    expect(await directory.find(ITWIN, "bob@corp.example", acceptedAt)).toMatchObject({
      member: bob,
      owners: [alice, bob],
    });
    directory.noteRemoved(ITWIN, "alice@corp.example");
    expect(await directory.find(ITWIN, "bob@corp.example", acceptedAt)).toMatchObject({ owners: [bob] });
    expect(listings()).toBe(1);
    clock.advance(60_001);
    await directory.find(ITWIN, "bob@corp.example", acceptedAt);
    expect(listings()).toBe(2);
  });

  it("lists afresh when asked to after the cache proved wrong", async () => {
    const { clock, directory, listings } = setup([alice]);
    await directory.find(ITWIN, "alice@corp.example", clock.now());
    clock.advance(1);
    await directory.find(ITWIN, "alice@corp.example", clock.now() - 5, { fresh: true });
    expect(listings()).toBe(2);
  });

  it("lists again when another instance removed an owner since (a newer lease generation)", async () => {
    const { clock, directory, listings } = setup([alice, bob]);
    await directory.find(ITWIN, "alice@corp.example", clock.now(), { generation: 3 });
    await directory.find(ITWIN, "bob@corp.example", clock.now(), { generation: 3 });
    expect(listings()).toBe(1);
    directory.noteRemoved(ITWIN, "alice@corp.example", 4);
    await directory.find(ITWIN, "bob@corp.example", clock.now(), { generation: 4 });
    expect(listings()).toBe(1);
    clock.advance(1);
    await directory.find(ITWIN, "bob@corp.example", clock.now(), { generation: 5 });
    expect(listings()).toBe(2);
  });
});

describe("OwnerDirectory: spelling", () => {
  it("finds an owner the API lists with a Unicode or capitalised domain under intake's punycode spelling", async () => {
    const listed = { id: "m-u", email: "Ann@Bücher.Example" };
    const { clock, directory } = setup([alice, listed]);
    const found = await directory.find(ITWIN, "ann@xn--bcher-kva.example", clock.now());
    expect(found.member).toEqual(listed);
  });
});
