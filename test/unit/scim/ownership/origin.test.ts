import { describe, expect, it } from "vitest";
import type { ScimEvent, ScimGroup } from "../../../../src/scim/events.ts";
import { acceptInputs, originOfEvent, originOfMapping } from "../../../../src/scim/ownership/origin.ts";
import type { PlannedChange } from "../../../../src/scim/ownership/plan.ts";

/** Which writes are "the same", and the idempotency keys and accept inputs that follow. */

const X = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const add: PlannedChange = {
  itwinId: X,
  email: "ann@corp.example",
  action: "add",
  reason: "added to SCIM group",
};

function group(members: string[], meta?: Record<string, unknown>): ScimGroup {
  return {
    id: "g1",
    displayName: X,
    members: members.map((value) => ({ value })),
    ...(meta ? { meta } : {}),
  };
}

function event(
  before: ScimGroup | undefined,
  after: ScimGroup,
  at = "2026-11-23T10:00:00.000Z",
  id = "c1",
): ScimEvent {
  return {
    change: { kind: "group-written", before, after },
    requestedBy: "entra",
    occurredAt: at,
    correlationId: id,
  };
}

const keyOf = (e: ScimEvent) => acceptInputs([add], originOfEvent(e))[0]?.idempotencyKey;

describe("originOfEvent", () => {
  it("gives the same request reported twice the same keys", () => {
    expect(keyOf(event(group([]), group(["u-ann"])))).toBe(keyOf(event(group([]), group(["u-ann"]))));
  });

  it("gives another arrival other keys, even with the same content and the same stored version", () => {
    const first = keyOf(event(group([], { lastModified: "t0" }), group(["u-ann"])));
    expect(
      keyOf(event(group([], { lastModified: "t0" }), group(["u-ann"]), "2026-11-23T10:05:00.000Z")),
    ).not.toBe(first);
    expect(keyOf(event(group([], { lastModified: "t0" }), group(["u-ann"]), undefined, "c9"))).not.toBe(
      first,
    );
  });

  it("names the resource, users and groups apart", () => {
    expect(originOfEvent(event(undefined, group(["u-ann"]))).writeId).toBe(
      "Group/g1 at 2026-11-23T10:00:00.000Z c1",
    );
    const user = { id: "g1", userName: "ann@corp.example" };
    const deleted: ScimEvent = {
      ...event(undefined, group([])),
      change: { kind: "user-deleted", before: user },
    };
    expect(originOfEvent(deleted).writeId).toBe("User/g1 at 2026-11-23T10:00:00.000Z c1");
  });
});

describe("acceptInputs", () => {
  it("makes changes as every intake does: source scim, the token's name, the event's time, via scim", () => {
    const e = event(undefined, group(["u-ann"]), "2026-11-23T11:00:00+01:00");
    const remove: PlannedChange = { ...add, email: "ben@corp.example", action: "remove" };
    const inputs = acceptInputs([add, remove], originOfEvent(e));
    expect(inputs[0]).toEqual({
      change: {
        itwinId: X,
        email: "ann@corp.example",
        action: "add",
        source: "scim",
        reason: "added to SCIM group",
        requestedBy: "entra",
        occurredAt: "2026-11-23T10:00:00.000Z",
        dryRun: false,
      },
      idempotencyKey: `Group/g1 at 2026-11-23T11:00:00+01:00 c1 add ${X} ann@corp.example`,
      via: "scim",
      correlationId: "c1",
    });
    expect(inputs[1]?.idempotencyKey).toBe(
      `Group/g1 at 2026-11-23T11:00:00+01:00 c1 remove ${X} ben@corp.example`,
    );
  });

  it("keys a mapping change by the generation it started from", () => {
    const at = { requestedBy: "admin", occurredAt: "2026-11-23T10:00:00.000Z", correlationId: "c1" };
    const [first] = acceptInputs([add], originOfMapping("g1", 0, at));
    const [later] = acceptInputs(
      [add],
      originOfMapping("g1", 2, { ...at, occurredAt: "2026-11-23T12:00:00.000Z" }),
    );
    const [retry] = acceptInputs(
      [add],
      originOfMapping("g1", 0, { ...at, occurredAt: "2026-11-23T10:00:05.000Z" }),
    );
    expect(first?.idempotencyKey).toBe(retry?.idempotencyKey);
    expect(later?.idempotencyKey).not.toBe(first?.idempotencyKey);
  });
});
