import pMap from "p-map";
import { type AcceptDeps, acceptChange } from "../changes/accept.ts";
import type { FieldError, StatusDocument } from "../changes/model.ts";
import type { OffboardingStore } from "./offboarding-store.ts";
import type { PersonIndex } from "./person-index.ts";
import {
  childChange,
  childKey,
  isSameOffboarding,
  type OffboardInput,
  type OffboardingRecord,
  offboardingIdFor,
  parseOffboardInput,
  planOffboarding,
} from "./plan.ts";

/**
 * Offboarding a leaver (I/O shell; the plan is plan.ts, the roll-up rollup.ts): one `remove` child per
 * iTwin the person is known to own, each through the one accept path, under one parent (design §11).
 * The children are ordinary changes: policy, the last-owner rule and the mass-removal hold apply to them
 * in the worker exactly as to any removal. Called by `POST /api/people/{email}/offboard` and by mapped
 * webhooks whose action is "offboard" (an HR leaver event).
 */

export type { OffboardInput } from "./plan.ts";

export interface OffboardDeps extends AcceptDeps {
  people: PersonIndex;
  offboardings: OffboardingStore;
}

export interface OffboardResult {
  kind: "accepted" | "duplicate";
  parentId: string;
  /** The children's status documents, in the plan's (iTwin id) order. */
  children: StatusDocument[];
}

/** The input breaks a field rule; nothing was stored. */
export class OffboardingInputError extends Error {
  override readonly name = "OffboardingInputError";
  constructor(readonly errors: FieldError[]) {
    super(`Invalid field(s): ${errors.map((error) => error.path).join(", ")}`);
  }
}

/** The idempotency key named another offboarding (another person, or dry run against real). */
export class OffboardingKeyReusedError extends Error {
  override readonly name = "OffboardingKeyReusedError";
  constructor(readonly parentId: string) {
    super(`Offboarding ${parentId} was made with this idempotency key for another person or mode`);
  }
}

/** Children accepted at once; each is two storage round trips, and a leaver may own many iTwins. */
const ACCEPT_CONCURRENCY = 10;

export async function offboardPerson(input: OffboardInput, deps: OffboardDeps): Promise<OffboardResult> {
  const parsed = parseOffboardInput(input);
  if (!parsed.ok) throw new OffboardingInputError(parsed.errors);
  const valid = parsed.input;
  const id = offboardingIdFor(valid.idempotencyKey, valid.source);

  let record = await deps.offboardings.get(id);
  let kind: OffboardResult["kind"] = "duplicate";
  if (record === undefined) {
    const known = await deps.people.ownedBy(valid.email);
    const created = await deps.offboardings.create(
      planOffboarding(valid, known, id, new Date(deps.clock.now())),
    );
    record = created.record;
    if (created.created) kind = "accepted";
  }
  if (!isSameOffboarding(record, valid)) throw new OffboardingKeyReusedError(id);

  // Every child is accepted again on a repeat: accept is idempotent (a child that exists is returned,
  // and its job re-sent if no worker ever took it), and a crash after the parent was recorded may have
  // left some children unaccepted.
  const parent = record;
  const children = await pMap(parent.itwinIds, (itwinId) => acceptChild(parent, itwinId, deps), {
    concurrency: ACCEPT_CONCURRENCY,
  });
  return { kind, parentId: id, children };
}

async function acceptChild(
  record: OffboardingRecord,
  itwinId: string,
  deps: AcceptDeps,
): Promise<StatusDocument> {
  const result = await acceptChange(
    {
      change: childChange(record, itwinId),
      idempotencyKey: childKey(record.id, itwinId),
      via: record.via,
      correlationId: record.correlationId,
      parentId: record.id,
    },
    deps,
  );
  // A child's key derives from its parent's id, and its payload from the stored plan: only a bug (or a
  // hand-edited row) gives it another payload.
  if (result.kind === "key-reused") {
    throw new Error(`child ${result.doc.id} of offboarding ${record.id} exists with another payload`);
  }
  return result.doc;
}
