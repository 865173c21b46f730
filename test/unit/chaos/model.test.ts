import { describe, expect, it } from "vitest";
import { checkRun, type Observation, type ObservedDoc } from "../../../bench/chaos/model.ts";
import type { ItwinPlan, RequestPlan, Workload } from "../../../bench/chaos/workload.ts";
import type { AppliedWrite, AppliedWriteKind } from "../../../dev/simulator/write-log.ts";

const ITWIN = "00000000-0000-4000-8000-000000000001";
const START = ["keeper@corp.example", "u1@corp.example"];

function request(
  index: number,
  email: string,
  action: "add" | "remove",
  extra: Partial<RequestPlan> = {},
): RequestPlan {
  return {
    index,
    senderId: `c-${index}`,
    itwinId: ITWIN,
    email,
    action,
    category: action === "add" ? "add-new" : "remove-owner",
    via: "http-batch",
    deliverTwice: false,
    duplicateJob: false,
    ...extra,
  };
}

function workloadOf(requests: RequestPlan[], itwin: Partial<ItwinPlan> = {}): Workload {
  return {
    seed: 1,
    itwins: [{ id: ITWIN, kind: "normal", owners: START, members: ["u1@corp.example"], ...itwin }],
    requests,
    order: requests.map((r) => r.index),
    garbage: [],
    massThreshold: 2,
  };
}

const doc = (status: string, outcome?: string, extra: Partial<ObservedDoc> = {}): ObservedDoc => ({
  id: `id-${Math.random()}`,
  status,
  ...(outcome === undefined ? {} : status === "succeeded" ? { outcome } : { error: { code: outcome } }),
  updatedAt: "2026-01-01T00:00:00.000Z",
  ...extra,
});

let seq = 0;
const write = (email: string, kind: AppliedWriteKind): AppliedWrite => ({
  seq: ++seq,
  at: "2026-01-01T00:00:00.000Z",
  itwinId: ITWIN,
  email,
  kind,
});

function observe(
  docs: (ObservedDoc | ObservedDoc[] | undefined)[],
  owners: string[],
  writes: AppliedWrite[],
  extra: Partial<Observation> = {},
): Observation {
  return {
    docsByRequest: docs.map((d) => (d === undefined ? [] : Array.isArray(d) ? d : [d])),
    strayDocs: [],
    replayMismatches: [],
    writes,
    owners: new Map([[ITWIN, owners]]),
    invitations: new Map([[ITWIN, []]]),
    requestsPoison: [],
    jobsPoison: [],
    decisions: new Map(),
    ...extra,
  };
}

const counts = (verdict: ReturnType<typeof checkRun>) => {
  const { lost, doubleEffects, wrongFinalState, nonTerminal } = verdict;
  return { lost, doubleEffects, wrongFinalState, nonTerminal };
};
const CLEAN = { lost: 0, doubleEffects: 0, wrongFinalState: 0, nonTerminal: 0 };

describe("chaos model: single requests", () => {
  const add = workloadOf([request(0, "n1@corp.example", "add")]);

  it("accepts an add that wrote once and ended added", () => {
    const verdict = checkRun(
      add,
      observe(
        [doc("succeeded", "added")],
        [...START, "n1@corp.example"],
        [write("n1@corp.example", "member-added")],
      ),
    );
    expect(verdict.problems).toEqual([]);
    expect(counts(verdict)).toEqual(CLEAN);
  });

  it("accepts already-owner for a new owner only when the write is logged (a lost reply)", () => {
    const withWrite = observe(
      [doc("succeeded", "already-owner")],
      [...START, "n1@corp.example"],
      [write("n1@corp.example", "member-added")],
    );
    expect(counts(checkRun(add, withWrite))).toEqual(CLEAN);
    const withoutWrite = observe([doc("succeeded", "already-owner")], [...START, "n1@corp.example"], []);
    expect(counts(checkRun(add, withoutWrite))).toMatchObject({ nonTerminal: 1 });
  });

  it("counts a second write of one request as a double effect", () => {
    const verdict = checkRun(
      add,
      observe(
        [doc("succeeded", "added")],
        [...START, "n1@corp.example"],
        [write("n1@corp.example", "member-added"), write("n1@corp.example", "member-added")],
      ),
    );
    expect(counts(verdict)).toMatchObject({ doubleEffects: 1 });
  });

  it("counts a write nobody asked for", () => {
    const verdict = checkRun(
      add,
      observe(
        [doc("succeeded", "added")],
        [...START, "n1@corp.example"],
        [write("n1@corp.example", "member-added"), write("u1@corp.example", "member-removed")],
      ),
    );
    expect(counts(verdict)).toMatchObject({ doubleEffects: 1 });
  });

  it("reports a missing document, a second document and a stray as lost", () => {
    expect(counts(checkRun(add, observe([undefined], START, [])))).toMatchObject({ lost: 1, nonTerminal: 1 });
    const twice = observe(
      [[doc("succeeded", "added"), doc("succeeded", "added")]],
      [...START, "n1@corp.example"],
      [write("n1@corp.example", "member-added")],
    );
    expect(counts(checkRun(add, twice))).toMatchObject({ lost: 1 });
    const stray = observe(
      [doc("succeeded", "added")],
      [...START, "n1@corp.example"],
      [write("n1@corp.example", "member-added")],
      {
        strayDocs: [doc("queued")],
      },
    );
    expect(counts(checkRun(add, stray))).toMatchObject({ lost: 1 });
  });

  it("reports a change still processing, and a final owner set that differs", () => {
    const verdict = checkRun(add, observe([doc("processing")], START, []));
    expect(counts(verdict)).toMatchObject({ nonTerminal: 1, wrongFinalState: 1 });
    expect(verdict.problems.join("\n")).toMatch(/not terminal: request c-0 .*processing/);
  });

  it("expects invited for an outside address and a pending invitation, written once", () => {
    const invite = workloadOf([request(0, "x1@partner.example", "add", { category: "invite" })]);
    const seen = observe(
      [doc("succeeded", "invited")],
      START,
      [write("x1@partner.example", "invitation-created")],
      {
        invitations: new Map([[ITWIN, ["x1@partner.example"]]]),
      },
    );
    expect(counts(checkRun(invite, seen))).toEqual(CLEAN);
    expect(counts(checkRun(invite, { ...seen, invitations: new Map([[ITWIN, []]]) }))).toMatchObject({
      wrongFinalState: 1,
    });
  });

  it("expects the protected owner's removal refused, without a write", () => {
    const refused = workloadOf([
      request(0, "keeper@corp.example", "remove", { category: "remove-protected" }),
    ]);
    expect(counts(checkRun(refused, observe([doc("rejected", "ProtectedOwner")], START, [])))).toEqual(CLEAN);
    expect(
      counts(
        checkRun(
          refused,
          observe(
            [doc("succeeded", "removed")],
            ["u1@corp.example"],
            [write("keeper@corp.example", "member-removed")],
          ),
        ),
      ),
    ).toMatchObject({ nonTerminal: 1, wrongFinalState: 1 });
  });
});

describe("chaos model: ordered groups", () => {
  const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;
  // n1 is not an owner; add at :10, remove at :20 (newest): n1 must end not an owner.
  const pair = workloadOf([
    request(0, "n1@corp.example", "add", { category: "ordered", occurredAt: at(10), group: 0 }),
    request(1, "n1@corp.example", "remove", { category: "ordered", occurredAt: at(20), group: 0 }),
  ]);

  it("accepts the newest first (older superseded, nothing written)", () => {
    const seen = observe([doc("succeeded", "superseded"), doc("succeeded", "not-owner")], START, []);
    expect(counts(checkRun(pair, seen))).toEqual(CLEAN);
  });

  it("accepts the older first (added, then removed)", () => {
    const seen = observe([doc("succeeded", "added"), doc("succeeded", "removed")], START, [
      write("n1@corp.example", "member-added"),
      write("n1@corp.example", "member-removed"),
    ]);
    expect(counts(checkRun(pair, seen))).toEqual(CLEAN);
  });

  it("accepts an older change superseded after its write landed, when the newer one undid it", () => {
    const seen = observe([doc("succeeded", "superseded"), doc("succeeded", "removed")], START, [
      write("n1@corp.example", "member-added"),
      write("n1@corp.example", "member-removed"),
    ]);
    expect(counts(checkRun(pair, seen))).toEqual(CLEAN);
  });

  it("catches the newest removal answering not-owner after the older add was applied", () => {
    const seen = observe(
      [doc("succeeded", "added"), doc("succeeded", "not-owner")],
      [...START, "n1@corp.example"],
      [write("n1@corp.example", "member-added")],
    );
    const verdict = checkRun(pair, seen);
    expect(counts(verdict)).toMatchObject({ nonTerminal: 1, wrongFinalState: 1, doubleEffects: 0 });
    expect(verdict.problems.join("\n")).toMatch(/do not fit the writes logged/);
  });

  it("never accepts the newest change as superseded", () => {
    const seen = observe([doc("succeeded", "superseded"), doc("succeeded", "superseded")], START, []);
    expect(counts(checkRun(pair, seen))).toMatchObject({ nonTerminal: 1 });
  });
});

describe("chaos model: mass removals, garbage", () => {
  const members = ["u1@corp.example", "u2@corp.example", "u3@corp.example", "u4@corp.example"];
  const mass = workloadOf(
    members.map((email, index) => request(index, email, "remove", { category: "mass-remove" })),
    { kind: "mass", owners: ["keeper@corp.example", ...members], members },
  );
  const removed = (email: string) => write(email, "member-removed");

  it("expects the excess over the threshold held, approved ones removed and rejected ones kept", () => {
    const seen = observe(
      [
        doc("succeeded", "removed"),
        doc("succeeded", "removed"),
        doc("succeeded", "removed", { approvedBy: "chaos" }),
        doc("rejected", "RejectedByApprover"),
      ],
      ["keeper@corp.example", "u4@corp.example"],
      [removed("u1@corp.example"), removed("u2@corp.example"), removed("u3@corp.example")],
      {
        decisions: new Map([
          [2, "approve"],
          [3, "reject"],
        ]),
      },
    );
    expect(checkRun(mass, seen).problems).toEqual([]);
  });

  it("reports a hold count other than the excess", () => {
    const seen = observe(
      members.map(() => doc("succeeded", "removed")),
      ["keeper@corp.example"],
      members.map(removed),
    );
    const verdict = checkRun(mass, seen);
    expect(counts(verdict)).toMatchObject({ nonTerminal: 2 });
    expect(verdict.problems.join("\n")).toMatch(/0 removal\(s\) held on mass iTwin .*expected 2/);
  });

  it("wants each garbage message on the poison queue with a reason", () => {
    const withGarbage = { ...workloadOf([]), garbage: [{ text: "not json g-1", what: "plain text" }] };
    const poisoned = observe([], START, [], {
      requestsPoison: [{ original: "not json g-1", reason: "not JSON" }],
    });
    expect(counts(checkRun(withGarbage, poisoned))).toEqual(CLEAN);
    expect(
      counts(checkRun(withGarbage, { ...poisoned, requestsPoison: [{ original: "not json g-1" }] })),
    ).toMatchObject({
      lost: 1,
    });
    expect(counts(checkRun(withGarbage, { ...poisoned, requestsPoison: [] }))).toMatchObject({ lost: 1 });
  });
});
