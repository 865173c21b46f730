import { describe, expect, it } from "vitest";
import { itwinIdInName, itwinOfGroup } from "../../../../src/scim/ownership/itwin-of-group.ts";

/** Which iTwin a SCIM group stands for: an explicit mapping, else the one UUID in its name. */

const X = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const Y = "5e3b1a7e-8c1d-4f3a-9b2e-000000000002";

describe("itwinIdInName", () => {
  it("finds a UUID anywhere in the name, lower-cased as the change schema stores it", () => {
    expect(itwinIdInName(`iTwin owners ${X.toUpperCase()} (bridge)`)).toBe(X);
    expect(itwinIdInName(X)).toBe(X);
    expect(itwinIdInName(`owners:${X}`)).toBe(X);
  });

  it("finds none in a name without one, or where hex digits run on (not a whole UUID)", () => {
    expect(itwinIdInName("Bridge retrofit owners")).toBeUndefined();
    expect(itwinIdInName(`${X}0`)).toBeUndefined();
    expect(itwinIdInName(`a${X}`)).toBeUndefined();
    expect(itwinIdInName("5e3b1a7e-8c1d-4f3a-9b2e-00000000001")).toBeUndefined();
  });

  it("takes a name with two different UUIDs as unmapped, and the same one twice as that one", () => {
    expect(itwinIdInName(`${X} was ${Y}`)).toBeUndefined();
    expect(itwinIdInName(`${X} / ${X.toUpperCase()}`)).toBe(X);
  });
});

describe("itwinOfGroup", () => {
  it("prefers the explicit mapping to the name, and uses the name without one", () => {
    const group = { id: "g1", displayName: `owners ${X}` };
    expect(itwinOfGroup(group, new Map([["g1", Y]]))).toBe(Y);
    expect(itwinOfGroup(group, new Map([["g2", Y]]))).toBe(X);
    expect(itwinOfGroup({ id: "g1", displayName: "plain" }, new Map())).toBeUndefined();
  });
});
