/**
 * What a chaos run should end with, worked out from the workload alone — a small model of the
 * contract, not a call into the worker's code — and the comparison with what the run left behind.
 * Pure: the caller reads the status documents, the simulator and the poison queue.
 *
 * The model, per subject (iTwin, email):
 * - a request without `occurredAt` is alone on its subject; ordered requests are applied in
 *   `occurredAt` order, and the newest always is, so the final state is the newest request's effect;
 * - an older ordered request either took effect in its turn or ended `superseded` without effect;
 * - an add of an owner is `already-owner`, a removal of a non-owner `not-owner`, an outside address is
 *   `invited`, the protected owner's removal `rejected` (ProtectedOwner);
 * - a write whose reply was lost (or that landed after the client timed out) is found done on the
 *   retry: `added` may then read `already-owner` and `removed` `not-owner`, and an ordered request may
 *   read `superseded` after it took effect. Those alternatives are accepted only when the simulator's
 *   write log holds the write: the outcomes and the writes of a subject must fit one run of the model
 *   together (every choice of which older requests took effect is tried);
 * - mass removals: the threshold holds `removals - threshold` of them per iTwin; the harness approves
 *   or rejects those, an approved one is removed, a rejected one stays an owner.
 */
import type { AppliedWrite } from "../../dev/simulator/write-log.ts";
import type { RequestPlan, Workload } from "./workload.ts";

/** The parts of a status document the checks read. */
export interface ObservedDoc {
  id: string;
  status: string;
  outcome?: string;
  error?: { code?: string };
  approvedBy?: string;
  /** How often crash recovery re-drove the change. */
  recoveries?: number;
  updatedAt: string;
  history?: { status: string }[];
}

export interface Observation {
  /** Status documents found for each request, by request index (normally exactly one). */
  docsByRequest: ObservedDoc[][];
  /** Status documents that belong to no request of the workload. */
  strayDocs: ObservedDoc[];
  /** Requests POSTed twice with one Idempotency-Key whose answers named different ids. */
  replayMismatches: number[];
  writes: readonly AppliedWrite[];
  /** Owner emails per iTwin in the simulator at the end (lower case). */
  owners: ReadonlyMap<string, readonly (string | null)[]>;
  /** Pending invitation emails per iTwin at the end. */
  invitations: ReadonlyMap<string, readonly string[]>;
  /** Envelopes found on `owner-change-requests-poison`. */
  requestsPoison: readonly { original?: string; reason?: string }[];
  /** Messages found on `owner-change-jobs-poison`. */
  jobsPoison: readonly string[];
  /** The harness's decision on each held removal, by request index. */
  decisions: ReadonlyMap<number, "approve" | "reject">;
}

export interface Verdict {
  lost: number;
  doubleEffects: number;
  wrongFinalState: number;
  nonTerminal: number;
  /** How the four counts are made up. */
  parts: {
    missing: number;
    duplicateDocs: number;
    strayDocs: number;
    replayMismatches: number;
    garbageNotPoisoned: number;
    open: number;
    wrongOutcome: number;
    extraWrites: number;
  };
  /** `status/outcome` (or `status/errorCode`) → requests. */
  outcomes: Record<string, number>;
  /** One line per problem, precise enough to look the request up. */
  problems: string[];
}

const TERMINAL = new Set(["succeeded", "failed", "rejected"]);

export function outcomeKey(doc: ObservedDoc): string {
  return `${doc.status}/${doc.outcome ?? doc.error?.code ?? "-"}`;
}

/** Whether the mass-removal policy held this change at some point (the history may be trimmed). */
export function wasHeld(doc: ObservedDoc): boolean {
  return (
    doc.status === "held" ||
    doc.approvedBy !== undefined ||
    doc.error?.code === "RejectedByApprover" ||
    (doc.history ?? []).some((entry) => entry.status === "held")
  );
}

const subjectKey = (itwinId: string, email: string | null) => `${itwinId}|${(email ?? "").toLowerCase()}`;

interface WriteCounts {
  added: number;
  invited: number;
  removed: number;
}

export function checkRun(workload: Workload, seen: Observation): Verdict {
  const problems: string[] = [];
  const parts: Verdict["parts"] = {
    missing: 0,
    duplicateDocs: 0,
    strayDocs: seen.strayDocs.length,
    replayMismatches: seen.replayMismatches.length,
    garbageNotPoisoned: 0,
    open: 0,
    wrongOutcome: 0,
    extraWrites: 0,
  };
  const outcomes: Record<string, number> = {};
  const describe = (request: RequestPlan, doc?: ObservedDoc) =>
    `request ${request.senderId} (${request.category}, ${request.action} ${request.email} on ${request.itwinId}` +
    `${request.occurredAt ? ` at ${request.occurredAt}` : ""}, via ${request.via})` +
    (doc ? ` id ${doc.id}: ${outcomeKey(doc)}` : "");

  // Requests in = terminal requests out.
  const docOf = (request: RequestPlan): ObservedDoc | undefined => seen.docsByRequest[request.index]?.[0];
  for (const request of workload.requests) {
    const docs = seen.docsByRequest[request.index] ?? [];
    if (docs.length === 0) {
      parts.missing += 1;
      problems.push(`lost: ${describe(request)} has no status document`);
    } else if (docs.length > 1) {
      parts.duplicateDocs += docs.length - 1;
      problems.push(
        `lost: ${describe(request)} has ${docs.length} status documents: ${docs.map((d) => d.id).join(", ")}`,
      );
    }
  }
  for (const doc of seen.strayDocs)
    problems.push(`lost: status document ${doc.id} (${outcomeKey(doc)}) matches no request`);
  for (const index of seen.replayMismatches) {
    problems.push(
      `lost: ${describe(workload.requests[index] as RequestPlan)} got another id when POSTed again`,
    );
  }
  for (const garbage of workload.garbage) {
    const envelope = seen.requestsPoison.find((entry) => entry.original === garbage.text);
    if (envelope === undefined || !envelope.reason) {
      parts.garbageNotPoisoned += 1;
      problems.push(
        `lost: garbage message (${garbage.what}) ${envelope ? "poisoned without a reason" : "not on the poison queue"}: ${garbage.text}`,
      );
    }
  }
  const garbageTexts = new Set(workload.garbage.map((garbage) => garbage.text));
  for (const entry of seen.requestsPoison) {
    if (!garbageTexts.has(entry.original ?? "")) {
      problems.push(`poison: a valid request was poisoned (${entry.reason}): ${entry.original}`);
    }
  }
  for (const text of seen.jobsPoison) problems.push(`poison: a job was poisoned: ${text.slice(0, 300)}`);

  // Writes by subject.
  const writes = new Map<string, WriteCounts>();
  for (const write of seen.writes) {
    const key = subjectKey(write.itwinId, write.email);
    const counts = writes.get(key) ?? { added: 0, invited: 0, removed: 0 };
    if (write.kind === "member-added") counts.added += 1;
    else if (write.kind === "invitation-created") counts.invited += 1;
    else counts.removed += 1;
    writes.set(key, counts);
  }

  // Subjects and their requests, oldest decision first.
  const subjects = new Map<string, RequestPlan[]>();
  for (const request of workload.requests) {
    const key = subjectKey(request.itwinId, request.email);
    subjects.set(key, [...(subjects.get(key) ?? []), request]);
  }
  const startOwners = new Map(workload.itwins.map((itwin) => [itwin.id, new Set(itwin.owners)]));
  const expectedOwners = new Map([...startOwners].map(([id, owners]) => [id, new Set(owners)]));
  const expectedInvitations = new Map(workload.itwins.map((itwin) => [itwin.id, new Set<string>()]));

  for (const [key, unsorted] of subjects) {
    const requests = [...unsorted].sort((a, b) => (a.occurredAt ?? "").localeCompare(b.occurredAt ?? ""));
    const first = requests[0] as RequestPlan;
    const owners = expectedOwners.get(first.itwinId) as Set<string>;
    const initiallyOwner = startOwners.get(first.itwinId)?.has(first.email) ?? false;
    const counts = writes.get(key) ?? { added: 0, invited: 0, removed: 0 };
    writes.delete(key);

    // At most one applied write per request, attributed by (iTwin, email, action).
    const perAction = {
      added: requests.filter((r) => r.action === "add" && r.category !== "invite").length,
      invited: requests.filter((r) => r.category === "invite").length,
      removed: requests.filter((r) => r.action === "remove").length,
    };
    for (const kind of ["added", "invited", "removed"] as const) {
      const extra = counts[kind] - perAction[kind];
      if (extra > 0) {
        parts.extraWrites += extra;
        problems.push(
          `double effect: ${counts[kind]} ${kind} writes for ${perAction[kind]} request(s) on ${key}: ${requests.map((r) => describe(r, docOf(r))).join("; ")}`,
        );
      }
    }

    // The expected end of the subject, and the outcomes that fit it.
    const expectation = expect(requests, initiallyOwner, counts, seen.decisions);
    if (expectation.finalOwner) owners.add(first.email);
    else owners.delete(first.email);
    if (first.category === "invite") expectedInvitations.get(first.itwinId)?.add(first.email);

    const docs = requests.map(docOf);
    let open = false;
    for (const [k, request] of requests.entries()) {
      const doc = docs[k];
      if (doc === undefined) {
        open = true;
        continue;
      }
      outcomes[outcomeKey(doc)] = (outcomes[outcomeKey(doc)] ?? 0) + 1;
      if (!TERMINAL.has(doc.status)) {
        open = true;
        parts.open += 1;
        problems.push(
          `not terminal: ${describe(request, doc)} updated ${doc.updatedAt}${doc.status === "held" && request.category !== "mass-remove" ? " (held, but its iTwin is under the threshold)" : ""}`,
        );
      } else if (!expectation.allowed[k]?.has(outcomeKey(doc))) {
        parts.wrongOutcome += 1;
        problems.push(
          `wrong outcome: ${describe(request, doc)}; expected one of ${[...(expectation.allowed[k] ?? [])].join(", ")}`,
        );
      }
    }
    if (!open && docs.every((doc, k) => doc && expectation.allowed[k]?.has(outcomeKey(doc)))) {
      const fits = expectation.fits(docs.map((doc) => outcomeKey(doc as ObservedDoc)));
      if (!fits) {
        parts.wrongOutcome += 1;
        problems.push(
          `wrong outcome: ${requests.map((r) => describe(r, docOf(r))).join("; ")} do not fit the writes logged for ${key} ` +
            `(added ${counts.added}, invited ${counts.invited}, removed ${counts.removed})`,
        );
      }
    }
  }
  for (const [key, counts] of writes) {
    const extra = counts.added + counts.invited + counts.removed;
    parts.extraWrites += extra;
    problems.push(`double effect: ${extra} write(s) on ${key}, which no request asked for`);
  }

  // The mass-removal policy held exactly the removals beyond the threshold, and only there.
  for (const itwin of workload.itwins) {
    const requests = workload.requests.filter((r) => r.itwinId === itwin.id);
    // Counted only once the iTwin's changes are all terminal: an unfinished one is reported above, and
    // may still be held when it gets its turn.
    if (requests.some((r) => !TERMINAL.has(docOf(r)?.status ?? ""))) continue;
    // A change still held under the threshold is counted as not terminal above, not again here.
    const held = requests.filter((r) => {
      const doc = docOf(r);
      return doc !== undefined && wasHeld(doc) && (itwin.kind === "mass" || doc.status !== "held");
    });
    const expected = itwin.kind === "mass" ? Math.max(0, requests.length - workload.massThreshold) : 0;
    if (held.length !== expected) {
      parts.wrongOutcome += Math.abs(held.length - expected);
      problems.push(
        `wrong outcome: ${held.length} removal(s) held on ${itwin.kind} iTwin ${itwin.id}, expected ${expected}: ${held.map((r) => r.senderId).join(", ")}`,
      );
    }
  }

  // Exact final owner sets and pending invitations.
  let wrongFinalState = 0;
  for (const itwin of workload.itwins) {
    const want = expectedOwners.get(itwin.id) as Set<string>;
    const have = (seen.owners.get(itwin.id) ?? []).map((email) => (email ?? "(no email)").toLowerCase());
    const missing = [...want].filter((email) => !have.includes(email));
    const extra = have.filter((email) => !want.has(email));
    const twice = have.filter((email, k) => have.indexOf(email) !== k);
    const wantInvites = expectedInvitations.get(itwin.id) as Set<string>;
    const haveInvites = (seen.invitations.get(itwin.id) ?? []).map((email) => email.toLowerCase());
    const invitesDiffer =
      haveInvites.length !== wantInvites.size || haveInvites.some((email) => !wantInvites.has(email));
    if (missing.length + extra.length + twice.length > 0 || invitesDiffer) {
      wrongFinalState += 1;
      problems.push(
        `wrong final state: iTwin ${itwin.id}: missing owners [${missing.join(", ")}], unexpected [${extra.join(", ")}], twice [${twice.join(", ")}]` +
          (invitesDiffer
            ? `, invitations [${haveInvites.join(", ")}] instead of [${[...wantInvites].join(", ")}]`
            : ""),
      );
    }
  }

  return {
    lost:
      parts.missing +
      parts.duplicateDocs +
      parts.strayDocs +
      parts.replayMismatches +
      parts.garbageNotPoisoned,
    doubleEffects: parts.extraWrites,
    wrongFinalState,
    nonTerminal: parts.open + parts.missing + parts.wrongOutcome,
    parts,
    outcomes,
    problems,
  };
}

interface Expectation {
  /** Whether the subject's email is an owner at the end. */
  finalOwner: boolean;
  /** Per request (oldest first): every outcome some run of the model allows it. */
  allowed: Set<string>[];
  /** Whether these outcomes, together, fit one run of the model and the writes logged. */
  fits(outcomes: string[]): boolean;
}

const SUCCEEDED = (outcome: string) => `succeeded/${outcome}`;

/** `requests` are one subject's, oldest decision first. */
function expect(
  requests: RequestPlan[],
  initiallyOwner: boolean,
  writes: WriteCounts,
  decisions: ReadonlyMap<number, "approve" | "reject">,
): Expectation {
  const only = requests[0] as RequestPlan;
  const single = (
    finalOwner: boolean,
    allowed: string[],
    fits: (outcome: string) => boolean,
  ): Expectation => ({
    finalOwner,
    allowed: [new Set(allowed)],
    fits: ([outcome]) => fits(outcome as string),
  });
  const noWrites = writes.added + writes.invited + writes.removed === 0;
  if (only.category === "invite") {
    // An outside address is invited, never made a member; a lost reply's retry gets the same invitation.
    return single(
      false,
      [SUCCEEDED("invited")],
      () => writes.invited === 1 && writes.added + writes.removed === 0,
    );
  }
  if (only.category === "remove-protected") {
    return single(true, ["rejected/ProtectedOwner"], () => noWrites);
  }
  if (only.category === "mass-remove" && decisions.get(only.index) === "reject") {
    return single(true, ["rejected/RejectedByApprover"], () => noWrites);
  }

  // Every choice of which older requests took effect (the newest always does).
  const runs: { allowed: Set<string>[]; added: number; removed: number }[] = [];
  for (let mask = 0; mask < 2 ** (requests.length - 1); mask++) {
    let owner = initiallyOwner;
    let added = 0;
    let removed = 0;
    const allowed = requests.map((request, k) => {
      const newest = k === requests.length - 1;
      const options = new Set<string>();
      if (!newest) options.add(SUCCEEDED("superseded"));
      if (!newest && (mask & (1 << k)) === 0) return options;
      if (request.action === "add") {
        if (owner) options.add(SUCCEEDED("already-owner"));
        else {
          added += 1;
          options.add(SUCCEEDED("added")).add(SUCCEEDED("already-owner"));
        }
        owner = true;
      } else {
        if (owner) {
          removed += 1;
          options.add(SUCCEEDED("removed")).add(SUCCEEDED("not-owner"));
        } else options.add(SUCCEEDED("not-owner"));
        owner = false;
      }
      return options;
    });
    runs.push({ allowed, added, removed });
  }
  const last = requests.at(-1) as RequestPlan;
  return {
    finalOwner: last.action === "add",
    allowed: requests.map((_, k) => new Set(runs.flatMap((run) => [...(run.allowed[k] as Set<string>)]))),
    fits: (outcomes) =>
      writes.invited === 0 &&
      runs.some(
        (run) =>
          run.added === writes.added &&
          run.removed === writes.removed &&
          outcomes.every((outcome, k) => run.allowed[k]?.has(outcome)),
      ),
  };
}
