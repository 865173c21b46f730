import pMap from "p-map";
import { type AcceptDeps, type AcceptResult, acceptChange } from "../../changes/accept.ts";
import type { ScimDirectory, ScimUser } from "../events.ts";
import { type GroupMappings, itwinOfGroup } from "./itwin-of-group.ts";
import { acceptInputs, type Origin } from "./origin.ts";
import { affectedUsers, type Knowledge, planChanges } from "./plan.ts";
import type { Transition } from "./transition.ts";

/**
 * Reads what planning needs, plans, and sends each change through the one accept path (I/O shell).
 * The decisions are ./plan.ts's; this only fetches users and their groups and calls acceptChange. It
 * never calls the owners API: the worker applies the changes with the policy, the last-owner rule and
 * the mass-removal hold, so a SCIM answer waits only for the changes to be accepted (design §1).
 */

export interface OwnershipDeps {
  directory: ScimDirectory;
  accept: AcceptDeps;
}

/** Two table reads per affected user; a 1 000-member group pushed at once should not read one at a time. */
const READ_CONCURRENCY = 8;
/** Two storage writes per change, as in a batch submit. */
const ACCEPT_CONCURRENCY = 10;

export async function acceptTransition(
  transition: Transition,
  origin: Origin,
  mappings: GroupMappings,
  deps: OwnershipDeps,
): Promise<AcceptResult[]> {
  const knowledge = await readKnowledge(transition, mappings, deps.directory);
  const inputs = acceptInputs(planChanges(transition, knowledge), origin);
  // In input order, so adds are queued before removes (./plan.ts says why).
  return pMap(inputs, (input) => acceptChange(input, deps.accept), { concurrency: ACCEPT_CONCURRENCY });
}

async function readKnowledge(
  transition: Transition,
  mappings: GroupMappings,
  directory: ScimDirectory,
): Promise<Knowledge> {
  const users = new Map<string, ScimUser | undefined>();
  const itwinsOf = new Map<string, Set<string>>();
  await pMap(
    affectedUsers(transition),
    async (id) => {
      const [user, groups] = await Promise.all([
        // A user transition carries its user; a group's members must be looked up.
        transition.kind === "group" ? directory.getUser(id) : undefined,
        directory.groupsOfUser(id),
      ]);
      users.set(id, user);
      const itwins = new Set<string>();
      for (const group of groups) {
        if (transition.kind === "group" && group.id === transition.groupId) continue;
        const itwinId = itwinOfGroup(group, mappings);
        if (itwinId !== undefined) itwins.add(itwinId);
      }
      itwinsOf.set(id, itwins);
    },
    { concurrency: READ_CONCURRENCY },
  );
  return { users, itwinsOf };
}
