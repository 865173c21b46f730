import { describe, expect, it } from "vitest";
import { planRemoval } from "../../../src/worker/plan-removal.ts";
import { SERVICE_CLIENT_EMAIL } from "../../support/fixtures.ts";

/** The removal plan alone: who the listing shows, what the policy allows, and whether it is a preview. */

const policy = { allowRemovingLastOwner: false, serviceClientEmail: SERVICE_CLIENT_EMAIL };
const svc = { id: "m-svc", email: SERVICE_CLIENT_EMAIL };
const ann = { id: "m-ann", email: "ann@corp.example" };
const ben = { id: "m-ben", email: "ben@corp.example" };

describe("planRemoval", () => {
  it("does nothing for someone the listing does not show", () => {
    expect(planRemoval({ owners: [svc, ann] }, policy, false)).toEqual({ kind: "not-owner" });
  });

  it("removes an owner when another human stays", () => {
    expect(planRemoval({ member: ann, owners: [svc, ann, ben] }, policy, false)).toEqual({
      kind: "remove",
      memberId: "m-ann",
    });
  });

  it("refuses to remove the last human, the service client not counting, unless the policy allows it", () => {
    const lookup = { member: ann, owners: [svc, ann] };
    expect(planRemoval(lookup, policy, false)).toMatchObject({
      kind: "refuse",
      memberId: "m-ann",
      error: { code: "LastOwner" },
    });
    expect(planRemoval(lookup, { ...policy, allowRemovingLastOwner: true }, false)).toEqual({
      kind: "remove",
      memberId: "m-ann",
    });
  });

  it("only describes the removal in a dry run, and still refuses what a real run would refuse", () => {
    expect(planRemoval({ member: ann, owners: [svc, ann, ben] }, policy, true)).toEqual({
      kind: "preview",
      memberId: "m-ann",
    });
    expect(planRemoval({ member: ann, owners: [ann] }, policy, true)).toMatchObject({ kind: "refuse" });
  });
});
