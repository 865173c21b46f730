import { describe, expect, it } from "vitest";
import { normaliseEmail } from "../../../src/changes/email.ts";
import { payloadFingerprint } from "../../../src/changes/ids.ts";
import { httpChangeSchema, jobSchema, queueChangeSchema } from "../../../src/changes/model.ts";
import { parseSettings } from "../../../src/config.ts";

const ITWIN = "5e3b1a7e-8c1d-4f3a-9b2e-000000000001";
const LOCAL_NOT_ASCII =
  "local part must be ASCII: the owners API does not accept internationalised mailbox names";
const BAD_DOMAIN =
  "must be an email address: the domain is not a valid domain name (internationalised names are allowed)";

describe("normaliseEmail", () => {
  it("takes an internationalised domain and spells it in punycode, lower-cased", () => {
    expect(normaliseEmail("bob@bücher.example")).toEqual({ ok: true, email: "bob@xn--bcher-kva.example" });
    expect(normaliseEmail(" Bob@BÜCHER.Example ")).toEqual({ ok: true, email: "bob@xn--bcher-kva.example" });
    expect(normaliseEmail("Bob@XN--BCHER-KVA.example")).toEqual({
      ok: true,
      email: "bob@xn--bcher-kva.example",
    });
    // An IDN top-level domain, and the ideographic full stop IDNA treats as a dot.
    expect(normaliseEmail("anna@пример.рф")).toEqual({ ok: true, email: "anna@xn--e1afmkfd.xn--p1ai" });
    expect(normaliseEmail("kei@例え。jp")).toEqual({ ok: true, email: "kei@xn--r8jz45g.jp" });
  });

  it("leaves ASCII addresses as they were: trimmed and lower-cased", () => {
    expect(normaliseEmail("  O'Brien+HR@Corp.Example ")).toEqual({
      ok: true,
      email: "o'brien+hr@corp.example",
    });
  });

  it("is idempotent, so a stored address checks as itself", () => {
    for (const raw of ["bob@bücher.example", "anna@пример.рф", "alice@corp.example"]) {
      const once = normaliseEmail(raw);
      expect(once.ok && normaliseEmail(once.email)).toEqual(once);
    }
  });

  it("refuses an internationalised mailbox name, saying why", () => {
    for (const raw of ["bøb@corp.example", "josé@bücher.example", "用户@例え.jp"]) {
      expect(normaliseEmail(raw)).toEqual({ ok: false, message: LOCAL_NOT_ASCII });
    }
  });

  it("refuses domains that are not host names, instead of letting the URL parser cut them short", () => {
    for (const raw of [
      "a@corp.example/evil.example", // the URL host parser would keep "corp.example"
      "a@corp.example%2f.x",
      "a@b\u200dc.example", // zero-width joiner: not allowed by IDNA
      "a@corp.example\uff0fx.org", // fullwidth solidus maps to "/"
      "a@xn--zz.example", // not valid punycode
      "a@1.2.3.4",
      "a@[1.2.3.4]",
      "a@corp.example.",
      "a@-corp.example",
      "a@corp",
    ]) {
      expect(normaliseEmail(raw), raw).toEqual({ ok: false, message: BAD_DOMAIN });
    }
  });

  it("refuses what is not an address at all", () => {
    for (const raw of [
      "",
      "alice",
      "alice@",
      "@corp.example",
      "a..b@corp.example",
      "a b@corp.example",
      ".a@corp.example",
    ]) {
      expect(normaliseEmail(raw), raw).toEqual({ ok: false, message: "must be an email address" });
    }
  });
});

describe("one spelling per person", () => {
  const change = (email: string) => httpChangeSchema.parse({ itwinId: ITWIN, email, action: "add" });

  it("makes the Unicode and the punycode form the same request for idempotency", () => {
    const unicode = change("bob@bücher.example");
    const ascii = change("BOB@xn--bcher-kva.example");
    expect(unicode.email).toBe(ascii.email);
    expect(payloadFingerprint(unicode)).toBe(payloadFingerprint(ascii));
  });

  it("says why an address is refused, on HTTP and on the queue alike", () => {
    for (const schema of [httpChangeSchema, queueChangeSchema]) {
      const result = schema.safeParse({ itwinId: ITWIN, email: "bøb@corp.example", action: "add" });
      expect(result.error?.issues).toMatchObject([{ path: ["email"], message: LOCAL_NOT_ASCII }]);
    }
  });

  it("lets the worker take the jobs the intake makes, IDN top-level domains included", () => {
    const email = change("anna@пример.рф").email;
    const job = {
      v: 1,
      requestId: "r-12345678",
      itwinId: ITWIN,
      email,
      action: "add",
      dryRun: false,
      attempt: 1,
      correlationId: "c",
    };
    expect(jobSchema.parse(job).email).toBe("anna@xn--e1afmkfd.xn--p1ai");
  });
});

describe("policy settings in the same spelling", () => {
  const base = {
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    ITWIN_API_BASE_URL: "http://127.0.0.1:7080",
    ITWIN_AUTHORITY: "http://127.0.0.1:7080",
    ITWIN_CLIENT_ID: "client",
    ITWIN_CLIENT_SECRET: "secret",
  };

  it("spells allowed domains and protected owners as the intake spells addresses", () => {
    const settings = parseSettings({
      ...base,
      POLICY_ALLOWED_EMAIL_DOMAINS: "Bücher.example, corp.example",
      POLICY_PROTECTED_OWNERS: "Chef@BÜCHER.example",
    });
    expect(settings.POLICY_ALLOWED_EMAIL_DOMAINS).toEqual(["xn--bcher-kva.example", "corp.example"]);
    expect(settings.POLICY_PROTECTED_OWNERS).toEqual(["chef@xn--bcher-kva.example"]);
  });

  it("stops start-up on an entry no address could ever match, naming the setting", () => {
    expect(() =>
      parseSettings({ ...base, POLICY_PROTECTED_OWNERS: "ok@corp.example, bøb@corp.example" }),
    ).toThrow(/POLICY_PROTECTED_OWNERS is invalid: bøb@corp\.example is not an email address/);
    expect(() => parseSettings({ ...base, POLICY_ALLOWED_EMAIL_DOMAINS: "corp.example/x" })).toThrow(
      /POLICY_ALLOWED_EMAIL_DOMAINS is invalid: corp\.example\/x is not a domain name/,
    );
  });
});
