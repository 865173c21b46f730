import { describe, expect, it } from "vitest";
import { checkPolicy, type Policy, wouldRemoveLastOwner } from "../../../src/changes/policy.ts";

const open: Policy = { allowedEmailDomains: [], allowedItwinIds: [], protectedOwners: [], dryRun: false };
const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";

describe("checkPolicy", () => {
  it("allows everything when nothing is configured", () => {
    expect(checkPolicy({ itwinId: ITWIN, email: "a@any.example", action: "add" }, open)).toEqual({
      allowed: true,
    });
  });
  it("restricts added owners to the allowed domains, but lets anyone be removed", () => {
    const policy = { ...open, allowedEmailDomains: ["corp.example"] };
    expect(checkPolicy({ itwinId: ITWIN, email: "a@evil.example", action: "add" }, policy)).toMatchObject({
      allowed: false,
      code: "EmailDomainNotAllowed",
    });
    expect(checkPolicy({ itwinId: ITWIN, email: "a@corp.example", action: "add" }, policy)).toEqual({
      allowed: true,
    });
    expect(checkPolicy({ itwinId: ITWIN, email: "a@evil.example", action: "remove" }, policy)).toEqual({
      allowed: true,
    });
  });
  it("restricts iTwins and protects owners from removal", () => {
    expect(
      checkPolicy(
        { itwinId: ITWIN, email: "a@corp.example", action: "add" },
        { ...open, allowedItwinIds: ["other"] },
      ),
    ).toMatchObject({ code: "ItwinNotAllowed" });
    const protectedPolicy = { ...open, protectedOwners: ["boss@corp.example"] };
    expect(
      checkPolicy({ itwinId: ITWIN, email: "boss@corp.example", action: "remove" }, protectedPolicy),
    ).toMatchObject({ code: "ProtectedOwner" });
    expect(
      checkPolicy({ itwinId: ITWIN, email: "boss@corp.example", action: "add" }, protectedPolicy),
    ).toEqual({ allowed: true });
  });
});

describe("wouldRemoveLastOwner", () => {
  it("does not count the service client as a human owner", () => {
    expect(wouldRemoveLastOwner(1, true)).toBe(true);
    expect(wouldRemoveLastOwner(2, true)).toBe(false);
    expect(wouldRemoveLastOwner(1, false)).toBe(false);
    expect(wouldRemoveLastOwner(0, false)).toBe(true);
  });
});
