import type { Clock } from "../clock.ts";
import type { ScimChange, ScimEventSink, ScimGroup, ScimUser } from "./events.ts";
import { canonicalise, type Json } from "./protocol/canonical.ts";
import { scimError } from "./protocol/errors.ts";
import { compileFilter } from "./protocol/filter.ts";
import { type Paging, pageOf } from "./protocol/list.ts";
import { applyPatch } from "./protocol/patch.ts";
import type { ScimKind } from "./protocol/scimmy.ts";
import type { StoredResource, TableScimStore, Written } from "./scim-store.ts";
import { nameOf } from "./store/rows.ts";

/**
 * The SCIM operations on Users and Groups: read, list, create, replace, patch, delete (I/O shell over
 * the pure protocol modules, with the store and the event sink injected). A write is stored, then
 * reported to the sink, then confirmed; the caller's answer waits for all three, so a failed report is
 * a 500 the identity provider retries, and the retry reports the change again (store/rows.ts).
 */

export type ScimStore = Pick<
  TableScimStore,
  | "read"
  | "list"
  | "claimName"
  | "releaseName"
  | "write"
  | "confirm"
  | "markDeleted"
  | "deletedState"
  | "purge"
>;

export interface ScimDeps {
  store: ScimStore;
  sink: ScimEventSink;
  newId: () => string;
  clock: Clock;
}

/** Who asked, and when: the event's requestedBy (the token's name), occurredAt and correlationId. */
export interface Caller {
  requestedBy: string;
  receivedAt: string;
  correlationId: string;
}

/**
 * A write that loses this many races in a row is answered 503: the identity provider retries it. Between
 * attempts a random pause, growing, so writers racing on one group (an Okta push) fall out of step.
 */
const MAX_RACES = 8;
const backoff = (deps: ScimDeps, race: number) =>
  deps.clock.sleep(Math.random() * 25 * 2 ** Math.min(race, 5));

const notFound = (kind: ScimKind, id: string) => scimError(404, undefined, `No ${kind} has the id ${id}`);

async function live(
  deps: ScimDeps,
  kind: ScimKind,
  id: string,
  withMembers: boolean,
): Promise<StoredResource> {
  const stored = await deps.store.read(kind, id, withMembers);
  if (stored === undefined || stored.entity.deleted) throw notFound(kind, id);
  return stored;
}

export async function getResource(
  deps: ScimDeps,
  kind: ScimKind,
  id: string,
  withMembers: boolean,
): Promise<Json> {
  return (await live(deps, kind, id, withMembers)).doc;
}

/** The resources a filter selects, and the page of them asked for. */
export async function listResources(
  deps: ScimDeps,
  kind: ScimKind,
  query: { filter: string | undefined; paging: Paging; withMembers: boolean },
): Promise<{ total: number; page: Json[] }> {
  const filter = query.filter === undefined ? undefined : compileFilter(query.filter);
  // A filter on members needs them even when the answer leaves them out.
  const withMembers = query.withMembers || /members/i.test(query.filter ?? "");
  const all = await deps.store.list(kind, filter?.hint, withMembers);
  const selected = filter === undefined ? all : all.filter((resource) => filter.matches(resource));
  return { total: selected.length, page: pageOf(selected, query.paging) };
}

export function createResource(deps: ScimDeps, kind: ScimKind, body: Json, caller: Caller): Promise<Json> {
  const meta = { resourceType: kind, created: caller.receivedAt, lastModified: caller.receivedAt };
  return write(deps, kind, undefined, caller, () =>
    withMembers(kind, canonicalise(kind, body, { id: deps.newId(), meta })),
  );
}

/** PUT replaces the resource: what the body leaves out is gone, a group's members included (RFC 7644 §3.5.1). */
export function replaceResource(
  deps: ScimDeps,
  kind: ScimKind,
  id: string,
  body: Json,
  caller: Caller,
): Promise<Json> {
  return write(deps, kind, id, caller, (current) =>
    withMembers(kind, canonicalise(kind, body, { id, meta: modified(current, caller) })),
  );
}

export function patchResource(
  deps: ScimDeps,
  kind: ScimKind,
  id: string,
  body: Json,
  caller: Caller,
): Promise<Json> {
  return write(deps, kind, id, caller, (current) =>
    withMembers(kind, applyPatch(kind, { ...current, meta: modified(current, caller) }, body)),
  );
}

const modified = (current: Json | undefined, caller: Caller) => ({
  ...(current?.meta as Json | undefined),
  lastModified: caller.receivedAt,
});

/** A group always has a member list, if empty: what the event and the store expect. */
const withMembers = (kind: ScimKind, doc: Json): Json =>
  kind === "Group" && !Array.isArray(doc.members) ? { ...doc, members: [] } : doc;

async function write(
  deps: ScimDeps,
  kind: ScimKind,
  id: string | undefined,
  caller: Caller,
  next: (current: Json | undefined) => Json,
): Promise<Json> {
  for (let race = 0; race < MAX_RACES; race++) {
    const current = id === undefined ? undefined : await live(deps, kind, id, true);
    const doc = next(current?.doc);
    const name = nameOf(kind, doc);
    const formerName = current === undefined ? undefined : nameOf(kind, current.doc);
    const renamed = formerName?.toLowerCase() !== name.toLowerCase();
    if (renamed && !(await deps.store.claimName(kind, name, String(doc.id)))) {
      const attribute = kind === "User" ? "userName" : "displayName";
      throw scimError(409, "uniqueness", `Another ${kind} has the ${attribute} ${JSON.stringify(name)}`);
    }
    const written = await deps.store.write(kind, doc, current);
    if (written === undefined) {
      if (renamed) await deps.store.releaseName(kind, name, String(doc.id));
      await backoff(deps, race);
      continue;
    }
    if (renamed && formerName !== undefined) await deps.store.releaseName(kind, formerName, String(doc.id));
    await report(deps, changeOf(kind, written, doc), caller);
    await deps.store.confirm(written);
    return doc;
  }
  throw scimError(503, undefined, `The ${kind} is being changed by other requests; try again`);
}

function changeOf(kind: ScimKind, written: Written, doc: Json): ScimChange {
  return kind === "User"
    ? { kind: "user-written", before: written.before as ScimUser | undefined, after: doc as ScimUser }
    : { kind: "group-written", before: written.before as ScimGroup | undefined, after: doc as ScimGroup };
}

/**
 * DELETE: marked deleted, reported, then its rows go. A repeat after a failed report finds it marked
 * and reports it again; once its rows are gone, a repeat is a 404 (the identity provider's goal is met).
 */
export async function deleteResource(
  deps: ScimDeps,
  kind: ScimKind,
  id: string,
  caller: Caller,
): Promise<void> {
  for (let race = 0; race < MAX_RACES; race++) {
    const current = await deps.store.read(kind, id, true);
    if (current === undefined) throw notFound(kind, id);
    if (!current.entity.deleted && !(await deps.store.markDeleted(current))) {
      await backoff(deps, race);
      continue;
    }
    const before = deps.store.deletedState(current);
    await report(
      deps,
      kind === "User"
        ? { kind: "user-deleted", before: before as ScimUser }
        : { kind: "group-deleted", before: before as ScimGroup },
      caller,
    );
    await deps.store.purge(current);
    return;
  }
  throw scimError(503, undefined, `The ${kind} is being changed by other requests; try again`);
}

function report(deps: ScimDeps, change: ScimChange, caller: Caller): Promise<void> {
  return deps.sink({
    change,
    requestedBy: caller.requestedBy,
    occurredAt: caller.receivedAt,
    correlationId: caller.correlationId,
  });
}
