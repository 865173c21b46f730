import { domainToASCII } from "node:url";
import * as z from "zod";

/**
 * Email addresses as the service stores, compares and sends them: one spelling per mailbox. Pure.
 *
 * The rule (design §2; README, "Request body"):
 * - The domain may be internationalised (IDN). It is converted to its ASCII (punycode) form, lower-cased,
 *   the way WHATWG URL hosts are (UTS #46, non-transitional: what browsers do), so `bob@BÜCHER.example`
 *   and `bob@xn--bcher-kva.example` are the same person. One spelling matters because the idempotency
 *   fingerprint, the ordering rows, the policy lists and the owners API lookups all compare addresses as
 *   text; two spellings of one mailbox would be two people to all of them. ASCII is the form every mail
 *   system and the owners API can take.
 * - The local part must be ASCII (letters, digits, `_ ' + -` and single inner dots, as before). The owners
 *   API's documentation says nothing about internationalised mailbox names (RFC 6531), and such a mailbox
 *   is only reachable through SMTPUTF8-capable servers, so the conservative rule is to refuse them with
 *   a message saying so instead of sending the API something it may store or match differently.
 * - Local parts are lower-cased too (the existing rule): mailbox names are case-insensitive in practice
 *   at every provider the service deals with, and the API's listings do not keep the case we send.
 */

export type EmailCheck = { ok: true; email: string } | { ok: false; message: string };

const NOT_AN_EMAIL = "must be an email address";
const LOCAL_PART = /^(?:[a-z0-9_'+-]+\.)*[a-z0-9_'+-]*[a-z0-9_+-]$/;
/** ASCII characters a domain may contain before conversion; anything else ASCII (`/`, `%`, `[`…) is refused
 * up front, because the URL host parser would cut the name at it instead of failing. */
const ASCII_OUTSIDE_HOSTNAME = /(?=\p{ASCII})[^A-Za-z0-9.-]/u;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A top-level domain is letters, or an IDN TLD's punycode (`xn--p1ai` is .рф); never digits (no IP literals). */
const TOP_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const MAX_DOMAIN = 253;

export function normaliseEmail(raw: string): EmailCheck {
  const text = raw.trim();
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1) return { ok: false, message: NOT_AN_EMAIL };
  const local = text.slice(0, at).toLowerCase();
  const domain = text.slice(at + 1);
  if (/\P{ASCII}/u.test(local)) {
    return {
      ok: false,
      message: "local part must be ASCII: the owners API does not accept internationalised mailbox names",
    };
  }
  if (!LOCAL_PART.test(local)) return { ok: false, message: NOT_AN_EMAIL };
  const ascii = normaliseDomain(domain);
  if (ascii === undefined) {
    return {
      ok: false,
      message: `${NOT_AN_EMAIL}: the domain is not a valid domain name (internationalised names are allowed)`,
    };
  }
  return { ok: true, email: `${local}@${ascii}` };
}

/** A mail domain in its ASCII spelling (punycode, lower-case), or undefined when it is not a host name. */
export function normaliseDomain(domain: string): string | undefined {
  const ascii = ASCII_OUTSIDE_HOSTNAME.test(domain) ? "" : domainToASCII(domain);
  const labels = ascii.split(".");
  const valid =
    ascii.length <= MAX_DOMAIN &&
    labels.length >= 2 &&
    labels.every((label) => LABEL.test(label)) &&
    TOP_LABEL.test(labels[labels.length - 1] as string);
  return valid ? ascii : undefined;
}

/** The email field of every schema: validates and normalises to the one spelling above. */
export const emailAddress = z
  .string()
  .transform((value, ctx) => {
    const checked = normaliseEmail(value);
    if (checked.ok) return checked.email;
    ctx.issues.push({ code: "custom", message: checked.message, input: value });
    return z.NEVER;
  })
  .pipe(z.string().max(320));
