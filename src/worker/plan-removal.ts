import type { ChangeError } from "../changes/model.ts";
import { leavesNoHumanOwner, type Policy } from "../changes/policy.ts";
import type { OwnerLookup } from "../itwin/owner-directory.ts";

/**
 * What a removal should do, given who owns the iTwin (pure): nothing (not an owner), refuse (it would
 * leave no human owner), describe itself (dry run), or remove this member.
 */
export type RemovalPlan =
  | { kind: "not-owner" }
  | { kind: "refuse"; memberId: string; error: ChangeError }
  | { kind: "preview"; memberId: string }
  | { kind: "remove"; memberId: string };

export function planRemoval(
  lookup: OwnerLookup,
  policy: Pick<Policy, "allowRemovingLastOwner" | "serviceClientEmail">,
  dryRun: boolean,
): RemovalPlan {
  if (lookup.member === undefined) return { kind: "not-owner" };
  const memberId = lookup.member.id;
  if (
    !policy.allowRemovingLastOwner &&
    leavesNoHumanOwner(lookup.owners, memberId, policy.serviceClientEmail)
  ) {
    return {
      kind: "refuse",
      memberId,
      error: {
        code: "LastOwner",
        message: "removing this owner would leave the iTwin without a human owner",
      },
    };
  }
  return dryRun ? { kind: "preview", memberId } : { kind: "remove", memberId };
}
