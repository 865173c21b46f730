import { emailAddress } from "../../changes/email.ts";
import { isActive, type ScimUser } from "../events.ts";

/**
 * Who a SCIM user is to the owners API, and whether they may own anything (pure).
 *
 * The address is the primary email, else the `work` email, else `userName`: Entra and Okta both mark
 * one email primary, but a user pushed without emails still has a `userName`, which both use for the
 * sign-in address. The first one present is taken and spelled like every other intake's address
 * (src/changes/email.ts, through the same schema). When it is not a valid address the user has none,
 * and we do not fall back to the next one, which may belong to someone else (a shared mailbox, an old
 * name).
 */
export function ownerAddress(user: ScimUser): string | undefined {
  const emails = (user.emails ?? []).filter((email) => typeof email?.value === "string");
  const chosen =
    emails.find((email) => email.primary === true) ??
    emails.find((email) => email.type?.toLowerCase() === "work");
  const parsed = emailAddress.safeParse(chosen?.value ?? user.userName);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The address under which this user owns their groups' iTwins; undefined when they own none: an unknown
 * user (a member id the IdP has not provisioned), an inactive one, or one without a valid address.
 */
export function ownerEmail(user: ScimUser | undefined): string | undefined {
  return user !== undefined && isActive(user) ? ownerAddress(user) : undefined;
}
