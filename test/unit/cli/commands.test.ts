import { describe, expect, it } from "vitest";
import type { ChangeSummary } from "../../../ops/cli/client.ts";
import { parseInstant } from "../../../ops/cli/commands/filters.ts";
import { planChanges } from "../../../ops/cli/commands/plan.ts";
import { fingerprint, watchEvents } from "../../../ops/cli/commands/watch.ts";
import type { FileChange } from "../../../ops/cli/files.ts";

const A = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const B = "5e3b1a7e-8c1d-4f3a-9b2e-000000000002";

function change(line: number, itwinId: string, email: string, action: "add" | "remove"): FileChange {
  return { line, change: { itwinId, email, action, id: `k${line}`, dryRun: false } };
}

describe("planChanges", () => {
  it("groups a file's changes per iTwin in file order and warns of repeats and add-and-remove pairs", () => {
    const { itwins, warnings } = planChanges([
      change(2, A, "a@corp.example", "add"),
      change(3, B, "b@corp.example", "remove"),
      change(4, A, "c@corp.example", "add"),
      change(5, A, "a@corp.example", "remove"),
      change(6, B, "b@corp.example", "remove"),
    ]);
    expect(itwins).toEqual([
      {
        itwinId: A,
        add: [
          { email: "a@corp.example", line: 2 },
          { email: "c@corp.example", line: 4 },
        ],
        remove: [{ email: "a@corp.example", line: 5 }],
      },
      {
        itwinId: B,
        add: [],
        remove: [
          { email: "b@corp.example", line: 3 },
          { email: "b@corp.example", line: 6 },
        ],
      },
    ]);
    expect(warnings).toEqual([
      `lines 2 and 5 both add and remove a@corp.example on ${A}: without occurredAt the order they are applied in is not defined`,
      `line 6 repeats line 3: remove b@corp.example on ${B}`,
    ]);
  });
});

describe("watchEvents", () => {
  const item = (id: string, status: ChangeSummary["status"], updatedAt: string): ChangeSummary => ({
    id,
    status,
    itwinId: A,
    email: "a@corp.example",
    action: "add",
    via: "http",
    dryRun: false,
    createdAt: "2026-12-01T08:00:00.000Z",
    updatedAt,
    statusUrl: `x/${id}`,
  });

  it("reports items that are new or moved on since the last round, oldest first", () => {
    const before = new Map(
      [item("k-1", "queued", "t1"), item("k-2", "queued", "t1")].map((i) => [i.id, fingerprint(i)]),
    );
    const now = [item("k-3", "queued", "t2"), item("k-2", "queued", "t1"), item("k-1", "succeeded", "t2")];
    expect(watchEvents(before, now).map((event) => [event.kind, event.item.id])).toEqual([
      ["changed", "k-1"],
      ["new", "k-3"],
    ]);
  });
});

describe("parseInstant", () => {
  const now = Date.parse("2026-12-01T08:00:00.000Z");
  it("reads durations back from now and passes ISO instants on", () => {
    expect(parseInstant("90m", now)).toBe("2026-12-01T06:30:00.000Z");
    expect(parseInstant("24h", now)).toBe("2026-11-30T08:00:00.000Z");
    expect(parseInstant("7d", now)).toBe("2026-11-24T08:00:00.000Z");
    expect(parseInstant("2026-11-20T09:15:00+01:00", now)).toBe("2026-11-20T09:15:00+01:00");
    for (const bad of ["yesterday", "2026-11-20", "7w", "2026-13-45T00:00:00Z"]) {
      expect(() => parseInstant(bad, now), bad).toThrow(/ISO-8601 instant/);
    }
  });
});
