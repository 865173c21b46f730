import { isTerminal } from "../changes/status.ts";
import type { StatusStore } from "../changes/status-store.ts";
import type { Clock } from "../clock.ts";
import { type CoordinationStore, generationAfterRelease } from "../coordination/coordination-store.ts";
import { RetryLaterError } from "../itwin/errors/retry-later-error.ts";
import { type KeyedLock, LockWaitTimeout } from "./keyed-lock.ts";

/**
 * The worker's one exclusion helper (I/O shell): a scope name stands for an in-process lock and,
 * across instances, a lease row of the same name in the iTwin's partition. Two scopes exist: one person
 * on one iTwin (so an older decision's call cannot land after a newer one's), and removals from one
 * iTwin (so two removals cannot each see the other owner and together leave none).
 */

export interface Scope {
  itwinId: string;
  name: string;
  /** Why a change found the scope busy, for its status note. */
  busyMessage: string;
}

export function personScope(itwinId: string, email: string): Scope {
  return {
    itwinId,
    name: `subject|${encodeURIComponent(email)}`,
    busyMessage: "another change for this person and iTwin is under way",
  };
}

export function removalScope(itwinId: string): Scope {
  return { itwinId, name: "removal", busyMessage: "another removal from this iTwin is under way" };
}

/** What a task holding a scope knows of the lease, and how it says it changed the iTwin. */
export interface Turn {
  /** How many changes were reported through the lease before this turn; undefined without a lease. */
  readonly generation: number | undefined;
  /** Reports a confirmed change to the iTwin: other instances learn of it when the lease is released. */
  reportChange(): void;
  /** The generation the lease has once this turn ends. */
  generationAfter(): number | undefined;
}

export interface ExclusiveDeps {
  locks: KeyedLock;
  coordination: CoordinationStore;
  /** Lease holders are request ids: their status documents say whether they are finished. */
  store: Pick<StatusStore, "get">;
  clock: Clock;
}

/** How soon a change that found its scope busy looks again (plus jitter). */
export const BUSY_RETRY_MS = 2_000;
/** The longest an invocation waits in this process for its turn. */
const LOCK_WAIT_MS = 30_000;
/** Long enough for a listing and a DELETE with their retries; a crashed holder blocks no longer. */
export const LEASE_MS = 120_000;

/** Waiting for another change's turn: retried later, not counted as an attempt. */
export class TurnBusyError extends RetryLaterError {
  override readonly name = "TurnBusyError";
  constructor(message: string) {
    super(BUSY_RETRY_MS, { code: "Busy", message });
  }
}

/**
 * Runs `task` holding `scope` for `holder` (a request id): first in this process, then — when
 * `acrossInstances` — through the lease. Throws TurnBusyError when either stays taken.
 */
export async function exclusive<T>(
  scope: Scope,
  holder: string,
  acrossInstances: boolean,
  deps: ExclusiveDeps,
  task: (turn: Turn) => Promise<T>,
): Promise<T> {
  try {
    return await deps.locks.run(`${scope.itwinId}|${scope.name}`, LOCK_WAIT_MS, () =>
      acrossInstances ? underLease(scope, holder, deps, task) : task(noLease),
    );
  } catch (error) {
    if (error instanceof LockWaitTimeout) throw new TurnBusyError(error.message);
    throw error;
  }
}

const noLease: Turn = {
  generation: undefined,
  reportChange: () => undefined,
  generationAfter: () => undefined,
};

async function underLease<T>(
  scope: Scope,
  holder: string,
  deps: ExclusiveDeps,
  task: (turn: Turn) => Promise<T>,
): Promise<T> {
  const { coordination } = deps;
  const acquire = (takeOverFrom?: string) =>
    coordination.acquireLease(scope.itwinId, scope.name, holder, deps.clock.now(), LEASE_MS, takeOverFrom);
  let generation = await acquire();
  if (generation === undefined) {
    // A holder that finished its change but died before releasing would block the scope for the
    // whole lease: once its status document is terminal, its turn is over.
    const current = await coordination.leaseHolder(scope.itwinId, scope.name);
    if (current && (await holderFinished(current, deps))) generation = await acquire(current);
  }
  if (generation === undefined) throw new TurnBusyError(scope.busyMessage);
  let changed = false;
  const turn: Turn = {
    generation,
    reportChange: () => {
      changed = true;
    },
    generationAfter: () => generationAfterRelease(generation, changed),
  };
  try {
    return await task(turn);
  } finally {
    // Reported as soon as the change is confirmed: the release bumps the generation even if the task
    // failed afterwards.
    await coordination.releaseLease(scope.itwinId, scope.name, holder, changed);
  }
}

async function holderFinished(holder: string, deps: ExclusiveDeps): Promise<boolean> {
  const stored = await deps.store.get(holder);
  return stored !== undefined && isTerminal(stored.doc.status);
}
