import { describe, expect, it } from "vitest";
import { generateWorkload, PROTECTED_OWNER, type RequestPlan } from "../../../bench/chaos/workload.ts";
import { parseQueueRequest } from "../../../src/changes/intake.ts";

const workload = generateWorkload({ seed: 11, changes: 1200 });

function bySubject(requests: readonly RequestPlan[]): Map<string, RequestPlan[]> {
  const subjects = new Map<string, RequestPlan[]>();
  for (const request of requests) {
    const key = `${request.itwinId}|${request.email}`;
    subjects.set(key, [...(subjects.get(key) ?? []), request]);
  }
  return subjects;
}

describe("chaos workload", () => {
  it("is the same for the same seed and differs for another", () => {
    expect(generateWorkload({ seed: 11, changes: 1200 })).toEqual(workload);
    expect(generateWorkload({ seed: 12, changes: 1200 }).requests).not.toEqual(workload.requests);
  });

  it("has exactly the requested number of changes, each submitted once, and every category", () => {
    expect(workload.requests).toHaveLength(1200);
    expect([...workload.order].sort((a, b) => a - b)).toEqual(workload.requests.map((r) => r.index));
    expect(new Set(workload.requests.map((r) => r.category))).toEqual(
      new Set([
        "add-new",
        "add-owner",
        "remove-owner",
        "remove-non-owner",
        "invite",
        "remove-protected",
        "ordered",
        "mass-remove",
      ]),
    );
    expect(new Set(workload.requests.map((r) => r.via)).size).toBe(4);
    expect(workload.requests.some((r) => r.deliverTwice)).toBe(true);
    expect(workload.requests.some((r) => r.duplicateJob)).toBe(true);
  });

  it("gives every subject one unordered request or an ordered group with distinct times and conflicting neighbours", () => {
    for (const requests of bySubject(workload.requests).values()) {
      if (requests.length === 1) continue;
      expect(requests.every((r) => r.occurredAt !== undefined && r.group === requests[0]?.group)).toBe(true);
      const sorted = [...requests].sort((a, b) => (a.occurredAt ?? "").localeCompare(b.occurredAt ?? ""));
      expect(new Set(sorted.map((r) => r.occurredAt)).size).toBe(sorted.length);
      sorted.slice(1).forEach((r, k) => {
        expect(r.action).not.toBe(sorted[k]?.action);
      });
      expect(requests.some((r) => r.via === "queue-message-id")).toBe(false);
    }
  });

  it("sends half the ordered groups newest first", () => {
    const position = new Map(workload.order.map((index, k) => [index, k]));
    const groups = [...bySubject(workload.requests).values()].filter((requests) => requests.length > 1);
    const newestFirst = groups.filter((requests) => {
      const sorted = [...requests].sort((a, b) => (a.occurredAt ?? "").localeCompare(b.occurredAt ?? ""));
      return (position.get(sorted.at(-1)?.index ?? -1) ?? 0) < (position.get(sorted[0]?.index ?? -1) ?? 0);
    });
    expect(newestFirst.length / groups.length).toBeGreaterThan(0.3);
    expect(newestFirst.length / groups.length).toBeLessThan(0.7);
  });

  it("keeps normal iTwins at or under the mass-removal threshold and puts the excess on mass iTwins", () => {
    for (const itwin of workload.itwins) {
      // The protected owner's removal is refused by policy before the threshold is consulted.
      const removals = workload.requests.filter(
        (r) => r.itwinId === itwin.id && r.action === "remove" && r.category !== "remove-protected",
      );
      if (itwin.kind === "normal") {
        expect(removals.length).toBeLessThanOrEqual(workload.massThreshold);
      } else {
        expect(removals.length).toBeGreaterThan(workload.massThreshold);
        expect(removals.map((r) => r.email).sort()).toEqual([...itwin.members].sort());
      }
    }
  });

  it("never removes the protected owner except to be refused, and garbage is not a change", () => {
    const protectedRequests = workload.requests.filter((r) => r.email === PROTECTED_OWNER);
    expect(protectedRequests.every((r) => r.category === "remove-protected")).toBe(true);
    expect(workload.garbage.length).toBeGreaterThanOrEqual(3);
    for (const garbage of workload.garbage)
      expect(parseQueueRequest(garbage.text).ok, garbage.what).toBe(false);
  });

  it("refuses fewer changes than it needs for every category", () => {
    expect(() => generateWorkload({ seed: 1, changes: 10 })).toThrow(/at least/);
  });
});
