import { describe, expect, it } from "vitest";
import { parseSettings } from "../../../../src/config.ts";
import {
  createBearerCheck,
  MIN_TOKEN_LENGTH,
  parseBearerTokens,
} from "../../../../src/http/bearer-tokens.ts";
import { secretSettings } from "../../../../src/observability/redact.ts";

const ENTRA = "e".repeat(MIN_TOKEN_LENGTH);
const ENTRA_NEXT = `${"n".repeat(MIN_TOKEN_LENGTH)}==`;
const OKTA = "o".repeat(MIN_TOKEN_LENGTH + 8);

describe("SCIM_BEARER_TOKENS", () => {
  const base = {
    AzureWebJobsStorage: "UseDevelopmentStorage=true",
    ITWIN_API_BASE_URL: "http://127.0.0.1:1",
    ITWIN_AUTHORITY: "http://127.0.0.1:1",
    ITWIN_CLIENT_ID: "client",
    ITWIN_CLIENT_SECRET: "secret",
  };

  it("parses name=token entries, the token after the first = (base64 padding kept)", () => {
    const settings = parseSettings({
      ...base,
      SCIM_BEARER_TOKENS: ` entra=${ENTRA}, entra=${ENTRA_NEXT},okta=${OKTA}`,
    });
    expect(settings.SCIM_BEARER_TOKENS).toEqual([
      { name: "entra", token: ENTRA },
      { name: "entra", token: ENTRA_NEXT },
      { name: "okta", token: OKTA },
    ]);
    expect(parseSettings(base).SCIM_BEARER_TOKENS).toEqual([]);
  });

  it("stops start-up naming the setting and the entry, never quoting a token", () => {
    const attempt = () => parseSettings({ ...base, SCIM_BEARER_TOKENS: `entra=short-secret-value,${OKTA}` });
    expect(attempt).toThrowError(/SCIM_BEARER_TOKENS is invalid: the token of entra must be at least 32/);
    expect(attempt).toThrowError(/SCIM_BEARER_TOKENS is invalid: entry 2 must be name=token/);
    expect(attempt).not.toThrowError(/short-secret-value|ooooo/);
  });

  it("is a secret setting: redaction learns each token, raw or parsed", () => {
    const raw = { SCIM_BEARER_TOKENS: `entra=${ENTRA},okta=${OKTA}` };
    expect(secretSettings(raw)).toEqual(expect.arrayContaining([ENTRA, OKTA]));
    const parsed = parseBearerTokens(raw.SCIM_BEARER_TOKENS);
    expect(parsed.ok && secretSettings({ SCIM_BEARER_TOKENS: parsed.tokens })).toEqual(
      expect.arrayContaining([ENTRA, OKTA]),
    );
  });
});

describe("createBearerCheck", () => {
  const check = createBearerCheck([
    { name: "entra", token: ENTRA },
    { name: "entra", token: ENTRA_NEXT },
    { name: "okta", token: OKTA },
  ]);

  it("names the caller whose token is presented; either of two tokens during a rotation", () => {
    expect(check(`Bearer ${ENTRA}`)).toBe("entra");
    expect(check(`bearer ${ENTRA_NEXT}`)).toBe("entra");
    expect(check(`Bearer ${OKTA}`)).toBe("okta");
  });

  it.each([
    ["no header", null],
    ["another scheme", `Basic ${ENTRA}`],
    ["a wrong token", `Bearer ${"x".repeat(MIN_TOKEN_LENGTH)}`],
    ["a prefix of a token", `Bearer ${OKTA.slice(0, -1)}`],
    ["a token with more after it", `Bearer ${ENTRA}x`],
    ["the bare token", ENTRA],
  ])("refuses %s", (_name, header) => {
    expect(check(header)).toBeUndefined();
  });
});
