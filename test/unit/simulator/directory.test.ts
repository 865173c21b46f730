import { describe, expect, it } from "vitest";
import {
  INVITATION_LIFETIME_MS,
  ItwinDirectory,
  namesFromEmail,
  stableUuid,
} from "../../../dev/simulator/directory.ts";
import { RAIL_YARD_GENERATED_OWNERS, SEEDED_ITWINS, seedDemoItwins } from "../../../dev/simulator/seed.ts";
import { CLIENT_ID, manualClock, SERVICE_EMAIL } from "./helpers.ts";

const INVITER = SERVICE_EMAIL;

function directory(clock = manualClock(Date.UTC(2025, 0, 1))) {
  return { clock, dir: new ItwinDirectory({ now: clock.now, orgDomain: "corp.example" }) };
}

describe("ItwinDirectory.addOwner", () => {
  it("adds users of the organisation's domain (any case) as members", () => {
    const { dir } = directory();
    const { id } = dir.add({ name: "t" });
    const outcome = dir.addOwner(id, "Jane.Doe@CORP.example", INVITER);
    expect(outcome).toMatchObject({
      kind: "member",
      member: {
        email: "Jane.Doe@CORP.example",
        givenName: "Jane",
        surname: "Doe",
        organization: "Corp Example",
      },
    });
    expect(dir.owners(id)).toHaveLength(1);
  });

  it("invites everyone else, once: a second invite returns the pending invitation", () => {
    const { dir, clock } = directory();
    const { id } = dir.add();
    const first = dir.addOwner(id, "ext@partner.test", INVITER);
    expect(first).toMatchObject({
      kind: "invitation",
      existing: false,
      invitation: {
        email: "ext@partner.test",
        invitedByEmail: INVITER,
        status: "Pending",
        createdDate: "2025-01-01T00:00:00.000Z",
        expirationDate: "2025-01-08T00:00:00.000Z",
      },
    });
    clock.advance(1000);
    const second = dir.addOwner(id, "EXT@partner.test", INVITER);
    expect(second).toMatchObject({ kind: "invitation", existing: true });
    if (first.kind === "invitation" && second.kind === "invitation") {
      expect(second.invitation.id).toBe(first.invitation.id);
    }
    expect(dir.owners(id)).toHaveLength(0);
    expect(dir.invitations(id)).toHaveLength(1);
  });

  it("forgets expired invitations and issues a new one", () => {
    const { dir, clock } = directory();
    const { id } = dir.add();
    dir.addOwner(id, "ext@partner.test", INVITER);
    clock.advance(INVITATION_LIFETIME_MS);
    expect(dir.invitations(id)).toHaveLength(0);
    expect(dir.addOwner(id, "ext@partner.test", INVITER)).toMatchObject({
      kind: "invitation",
      existing: false,
    });
  });

  it("reports an existing owner (case-insensitive) as already-owner", () => {
    const { dir } = directory();
    const { id } = dir.add({ owners: [{ email: "carol@corp.example" }] });
    expect(dir.addOwner(id, " CAROL@corp.example ", INVITER)).toMatchObject({
      kind: "already-owner",
      member: { email: "carol@corp.example" },
    });
  });

  it("reports an unknown iTwin", () => {
    const { dir } = directory();
    expect(dir.addOwner("nope", "a@corp.example", INVITER)).toEqual({ kind: "itwin-not-found" });
  });
});

describe("ItwinDirectory.removeOwner and acceptInvitation", () => {
  it("removes by member id and tells unknown member from unknown iTwin", () => {
    const { dir } = directory();
    const { id } = dir.add({ owners: [{ email: "a@corp.example" }, { email: null }] });
    const [first, missing] = dir.owners(id);
    expect(missing).toMatchObject({ email: null, givenName: null, surname: null, organization: null });
    expect(dir.removeOwner(id, first?.id ?? "")).toBe("removed");
    expect(dir.removeOwner(id, first?.id ?? "")).toBe("member-not-found");
    expect(dir.removeOwner("nope", "x")).toBe("itwin-not-found");
    expect(dir.owners(id)).toHaveLength(1);
  });

  it("turns an accepted invitation into an owner", () => {
    const { dir } = directory();
    const { id } = dir.add();
    const outcome = dir.addOwner(id, "ext@partner.test", INVITER);
    if (outcome.kind !== "invitation") throw new Error("expected an invitation");
    expect(dir.acceptInvitation(id, outcome.invitation.id)).toMatchObject({
      email: "ext@partner.test",
      organization: "Partner Test",
    });
    expect(dir.invitations(id)).toHaveLength(0);
    expect(dir.addOwner(id, "ext@partner.test", INVITER)).toMatchObject({ kind: "already-owner" });
  });

  it("refuses a duplicate iTwin id and unknown lookups", () => {
    const { dir } = directory();
    dir.add({ id: "5E3B1A7E-0000-4000-8000-000000000009" });
    expect(() => dir.add({ id: "5e3b1a7e-0000-4000-8000-000000000009" })).toThrow(/already exists/);
    expect(() => dir.owners("missing")).toThrow(/Unknown iTwin/);
  });
});

describe("seed", () => {
  it("creates the three demo iTwins with stable ids", () => {
    const build = () => {
      const { dir } = directory();
      seedDemoItwins(dir, CLIENT_ID, dir.organizationName);
      return dir;
    };
    const dir = build();
    expect(dir.list().map((itwin) => [itwin.id, itwin.name, itwin.owners])).toEqual([
      [SEEDED_ITWINS.bridgeRetrofit, "Bridge Retrofit", 3],
      [SEEDED_ITWINS.railYard, "Rail Yard", 1 + RAIL_YARD_GENERATED_OWNERS],
      [SEEDED_ITWINS.waterPlant, "Water Plant", 1],
    ]);
    const bridge = dir.owners(SEEDED_ITWINS.bridgeRetrofit);
    expect(bridge.map((member) => member.email)).toEqual([INVITER, "carol@corp.example", null]);
    expect(bridge[0]).toMatchObject({ givenName: CLIENT_ID, surname: null });
    const rail = dir.owners(SEEDED_ITWINS.railYard);
    expect(rail[1]?.email).toBe("owner001@corp.example");
    expect(rail[250]?.email).toBe("owner250@corp.example");
    expect(
      build()
        .owners(SEEDED_ITWINS.bridgeRetrofit)
        .map((member) => member.id),
    ).toEqual(bridge.map((member) => member.id));
  });
});

describe("helpers", () => {
  it("derives names from addresses", () => {
    expect(namesFromEmail("mary-jane.watson@x.test")).toEqual({ givenName: "Mary", surname: "Jane Watson" });
    expect(namesFromEmail("carol@x.test")).toEqual({ givenName: "Carol", surname: null });
  });

  it("makes stable, UUID-shaped ids", () => {
    expect(stableUuid("a")).toBe(stableUuid("a"));
    expect(stableUuid("a")).not.toBe(stableUuid("b"));
    expect(stableUuid("a")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
