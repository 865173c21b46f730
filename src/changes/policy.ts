import type { Job } from "./model.ts";

/**
 * Guard rails from settings (design §7), decided before any write to the API: `checkPolicy` before any
 * call, the last-owner rule once the owner listing is known. Pure. An empty allow-list means "no
 * restriction".
 */
export interface Policy {
  allowedEmailDomains: readonly string[];
  allowedItwinIds: readonly string[];
  protectedOwners: readonly string[];
  /** Removals per iTwin and window beyond which the next ones are held for approval; 0 = off. */
  massRemovalThreshold: number;
  massRemovalWindowMs: number;
  /** Off by default: removing an iTwin's last human owner is rejected. */
  allowRemovingLastOwner: boolean;
  /** The service client's own owner address, `{clientId}@apps.imsoidc.bentley.com`. */
  serviceClientEmail: string;
  /**
   * Off unless set: removing the service client's own ownership is rejected, because only owners may
   * change owners, so the service would lose its right to manage that iTwin. Left out means off.
   */
  allowRemovingServiceClient?: boolean;
  dryRun: boolean;
}

export type PolicyVerdict = { allowed: true } | { allowed: false; code: string; message: string };

export function checkPolicy(job: Pick<Job, "itwinId" | "email" | "action">, policy: Policy): PolicyVerdict {
  const domain = job.email.slice(job.email.lastIndexOf("@") + 1);
  if (
    job.action === "add" &&
    policy.allowedEmailDomains.length > 0 &&
    !policy.allowedEmailDomains.includes(domain)
  ) {
    return {
      allowed: false,
      code: "EmailDomainNotAllowed",
      message: `${domain} is not among the allowed email domains`,
    };
  }
  if (policy.allowedItwinIds.length > 0 && !policy.allowedItwinIds.includes(job.itwinId)) {
    return {
      allowed: false,
      code: "ItwinNotAllowed",
      message: `iTwin ${job.itwinId} is not among the allowed iTwins`,
    };
  }
  if (
    job.action === "remove" &&
    policy.allowRemovingServiceClient !== true &&
    job.email.toLowerCase() === policy.serviceClientEmail.toLowerCase()
  ) {
    return {
      allowed: false,
      code: "ServiceClientRemoval",
      message: `${job.email} is this service's own client: without it the service could no longer manage the iTwin`,
    };
  }
  if (job.action === "remove" && policy.protectedOwners.includes(job.email)) {
    return {
      allowed: false,
      code: "ProtectedOwner",
      message: `${job.email} is a protected owner and is never removed`,
    };
  }
  return { allowed: true };
}

/**
 * Would removing `memberId` leave the iTwin without a human owner? The service client's own membership
 * does not count — nobody can sign in as it to manage the iTwin. Members whose email the API does not
 * show (`null`) are counted as humans: better a remove too many allowed than an iTwin locked.
 */
export function leavesNoHumanOwner(
  owners: readonly { id: string; email?: string | null }[],
  memberId: string,
  serviceClientEmail: string,
): boolean {
  const service = serviceClientEmail.toLowerCase();
  return !owners.some((owner) => owner.id !== memberId && owner.email?.toLowerCase() !== service);
}

/**
 * The fixed window a removal at `now` counts in, named by its start (ISO): windows are aligned to
 * multiples of their length, so every instance names the same window the same way.
 */
export function removalWindowStart(now: number, windowMs: number): string {
  return new Date(Math.floor(now / windowMs) * windowMs).toISOString();
}
