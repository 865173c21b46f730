import { describe, expect, it } from "vitest";
import { checkPolicy, leavesNoHumanOwner, removalWindowStart } from "../../../src/changes/policy.ts";
import { ITWIN_ID, openPolicy, SERVICE_CLIENT_EMAIL } from "../../support/fixtures.ts";

const SERVICE = SERVICE_CLIENT_EMAIL;
const open = openPolicy;
const ITWIN = ITWIN_ID;

describe("checkPolicy", () => {
  it("allows everything when nothing is configured", () => {
    expect(checkPolicy({ itwinId: ITWIN, email: "a@any.example", action: "add" }, open)).toEqual({
      allowed: true,
    });
  });
  it("restricts added owners to the allowed domains, saying why, but lets anyone be removed", () => {
    const policy = { ...open, allowedEmailDomains: ["corp.example"] };
    expect(checkPolicy({ itwinId: ITWIN, email: "a@evil.example", action: "add" }, policy)).toEqual({
      allowed: false,
      code: "EmailDomainNotAllowed",
      message: "evil.example is not among the allowed email domains",
    });
    expect(checkPolicy({ itwinId: ITWIN, email: "a@corp.example", action: "add" }, policy)).toEqual({
      allowed: true,
    });
    expect(checkPolicy({ itwinId: ITWIN, email: "a@evil.example", action: "remove" }, policy)).toEqual({
      allowed: true,
    });
  });
  it("restricts iTwins and protects owners from removal, saying why in the verdict", () => {
    expect(
      checkPolicy(
        { itwinId: ITWIN, email: "a@corp.example", action: "add" },
        { ...open, allowedItwinIds: ["other"] },
      ),
    ).toEqual({
      allowed: false,
      code: "ItwinNotAllowed",
      message: `iTwin ${ITWIN} is not among the allowed iTwins`,
    });
    const protectedPolicy = { ...open, protectedOwners: ["boss@corp.example"] };
    expect(
      checkPolicy({ itwinId: ITWIN, email: "boss@corp.example", action: "remove" }, protectedPolicy),
    ).toEqual({
      allowed: false,
      code: "ProtectedOwner",
      message: "boss@corp.example is a protected owner and is never removed",
    });
    expect(
      checkPolicy({ itwinId: ITWIN, email: "boss@corp.example", action: "add" }, protectedPolicy),
    ).toEqual({ allowed: true });
  });
});

describe("leavesNoHumanOwner", () => {
  const service = { id: "s", email: "Itwin-Owner-Automation-Dev@apps.imsoidc.bentley.com" };
  const bob = { id: "b", email: "bob@corp.example" };
  const alice = { id: "a", email: "alice@corp.example" };
  it("does not count the service client as a human owner", () => {
    expect(leavesNoHumanOwner([service, bob], "b", SERVICE)).toBe(true);
    expect(leavesNoHumanOwner([service, bob, alice], "b", SERVICE)).toBe(false);
    expect(leavesNoHumanOwner([bob, alice], "b", SERVICE)).toBe(false);
    expect(leavesNoHumanOwner([bob], "b", SERVICE)).toBe(true);
  });
  it("counts members without a visible email as humans", () => {
    expect(leavesNoHumanOwner([service, bob, { id: "x", email: null }], "b", SERVICE)).toBe(false);
  });
});

describe("removalWindowStart", () => {
  it("names the aligned window a moment falls in, the same on every instance", () => {
    const hour = 3_600_000;
    expect(removalWindowStart(Date.parse("2026-11-23T17:59:59.999Z"), hour)).toBe("2026-11-23T17:00:00.000Z");
    expect(removalWindowStart(Date.parse("2026-11-23T18:00:00.000Z"), hour)).toBe("2026-11-23T18:00:00.000Z");
  });
});
