import type { Job } from "./model.ts";

/**
 * Guard rails from settings (design §7), decided before any call to the API. Pure.
 * An empty allow-list means "no restriction".
 */
export interface Policy {
  allowedEmailDomains: readonly string[];
  allowedItwinIds: readonly string[];
  protectedOwners: readonly string[];
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
 * Never remove an iTwin's last (human) owner: the service client's own membership does not count,
 * since nobody can sign in as it to manage the iTwin.
 */
export function wouldRemoveLastOwner(otherOwnersKnown: number, serviceClientIsOwner: boolean): boolean {
  const humansLeft = otherOwnersKnown - (serviceClientIsOwner ? 1 : 0);
  return humansLeft < 1;
}
