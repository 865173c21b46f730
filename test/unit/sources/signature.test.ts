import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sourceVerifier } from "../../../src/sources/signature.ts";
import { EXAMPLE_SECRETS, jiraSignature, standardWebhookHeaders } from "./examples.ts";

/** Each source's signature rule over the body's bytes as received. */

const body = '{"webhookEvent":"jira:issue_updated"}';
const bytes = new TextEncoder().encode(body);
const jira = sourceVerifier(
  {
    scheme: "hmac-sha256",
    header: "X-Hub-Signature",
    prefix: "sha256=",
    encoding: "hex",
    secretSetting: "SOURCE_SECRET_JIRA",
  },
  ["old-secret", EXAMPLE_SECRETS.SOURCE_SECRET_JIRA],
);
const headers = (values: Record<string, string>) => new Headers(values);

describe("hmac-sha256 (Jira's X-Hub-Signature: sha256=<hex>)", () => {
  it("accepts the MAC of the body under any configured secret (rotation), in either case", () => {
    expect(jira(bytes, headers({ "x-hub-signature": jiraSignature(body) }))).toEqual({ ok: true });
    expect(
      jira(bytes, headers({ "X-Hub-Signature": jiraSignature(body, "old-secret").toUpperCase() })),
    ).toEqual({
      ok: true,
    });
  });

  it("refuses another secret, another body, a missing header and a malformed one, saying which", () => {
    expect(jira(bytes, headers({ "x-hub-signature": jiraSignature(body, "guess") }))).toEqual({
      ok: false,
      reason: "no configured secret matches X-Hub-Signature",
    });
    expect(
      jira(new TextEncoder().encode(`${body} `), headers({ "x-hub-signature": jiraSignature(body) })).ok,
    ).toBe(false);
    expect(jira(bytes, headers({}))).toEqual({ ok: false, reason: "the X-Hub-Signature header is required" });
    for (const value of [
      jiraSignature(body).slice(7),
      `sha1=${"0".repeat(64)}`,
      `${jiraSignature(body)}00`,
    ]) {
      expect(jira(bytes, headers({ "x-hub-signature": value }))).toEqual({
        ok: false,
        reason: "X-Hub-Signature must be sha256=<hex HMAC-SHA256 of the body>",
      });
    }
  });

  it("reads a base64 MAC without prefix when the rule says so", () => {
    const verify = sourceVerifier(
      {
        scheme: "hmac-sha256",
        header: "X-Signature",
        prefix: "",
        encoding: "base64",
        secretSetting: "SOURCE_SECRET_X",
      },
      ["k-secret"],
    );
    const mac = createHmac("sha256", "k-secret").update(body).digest("base64");
    expect(verify(bytes, headers({ "x-signature": mac }))).toEqual({ ok: true });
    expect(
      verify(bytes, headers({ "x-signature": createHmac("sha256", "k-secret").update(body).digest("hex") }))
        .ok,
    ).toBe(false);
  });
});

describe("standard-webhooks and none", () => {
  it("checks Standard Webhooks as the owner-changes intake does, and names the delivery by its webhook-id", () => {
    const verify = sourceVerifier({ scheme: "standard-webhooks", secretSetting: "SOURCE_SECRET_HR" }, [
      EXAMPLE_SECRETS.SOURCE_SECRET_HR_LEAVER,
    ]);
    expect(verify(bytes, headers(standardWebhookHeaders("msg_1", body)))).toEqual({
      ok: true,
      webhookId: "msg_1",
    });
    expect(verify(bytes, headers(standardWebhookHeaders("msg_1", `${body} `))).ok).toBe(false);
    expect(verify(bytes, headers({})).ok).toBe(false);
  });

  it("lets everything through with none: the function key is then the only guard", () => {
    expect(sourceVerifier({ scheme: "none" }, [])(bytes, headers({}))).toEqual({ ok: true });
  });
});
