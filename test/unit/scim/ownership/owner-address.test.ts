import { describe, expect, it } from "vitest";
import type { ScimUser } from "../../../../src/scim/events.ts";
import { isActive } from "../../../../src/scim/events.ts";
import { ownerAddress, ownerEmail } from "../../../../src/scim/ownership/owner-address.ts";

/** A SCIM user's owner address: primary email, else the work email, else userName, spelled one way. */

const user = (patch: Partial<ScimUser> = {}): ScimUser => ({
  id: "u1",
  userName: "Ann@Corp.example",
  ...patch,
});

describe("ownerAddress", () => {
  it("takes the primary email first, whatever its type and place", () => {
    const emails = [
      { value: "ann.work@corp.example", type: "work" },
      { value: "Ann.Home@Corp.example", type: "home", primary: true },
    ];
    expect(ownerAddress(user({ emails }))).toBe("ann.home@corp.example");
  });

  it("takes the work email when none is primary (type compared without case), else userName", () => {
    const emails = [
      { value: "ann@home.example", type: "home" },
      { value: "ann@corp.example", type: "Work" },
    ];
    expect(ownerAddress(user({ emails }))).toBe("ann@corp.example");
    expect(ownerAddress(user({ emails: [{ value: "ann@home.example", type: "home" }] }))).toBe(
      "ann@corp.example",
    );
    expect(ownerAddress(user())).toBe("ann@corp.example");
  });

  it("spells the address as every intake does (lower case, punycode domain)", () => {
    expect(ownerAddress(user({ userName: " Bob@BÜCHER.example " }))).toBe("bob@xn--bcher-kva.example");
  });

  it("gives none when the chosen value is not an address, rather than falling back to the next one", () => {
    const emails = [{ value: "not an address", primary: true }];
    expect(ownerAddress(user({ emails }))).toBeUndefined();
    expect(ownerAddress(user({ userName: "ann" }))).toBeUndefined();
    expect(ownerAddress(user({ userName: `${"a".repeat(310)}@corp.example` }))).toBeUndefined();
  });
});

describe("ownerEmail", () => {
  it("is the address of an active user; absent `active` counts as active", () => {
    expect(isActive(user())).toBe(true);
    expect(ownerEmail(user())).toBe("ann@corp.example");
    expect(ownerEmail(user({ active: true }))).toBe("ann@corp.example");
  });

  it("is none for an inactive or unknown user", () => {
    expect(ownerEmail(user({ active: false }))).toBeUndefined();
    expect(ownerEmail(undefined)).toBeUndefined();
  });
});
