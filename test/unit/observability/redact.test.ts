import type { InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { Logger } from "../../../dev/runner/log.ts";
import { ApiError } from "../../../src/itwin/errors/api-error.ts";
import { describeErrorBody } from "../../../src/itwin/errors/describe-error-body.ts";
import { invocationLogger } from "../../../src/observability/log.ts";
import {
  REDACTED,
  redact,
  redactDeep,
  rememberSecret,
  rememberToken,
  secretSettings,
} from "../../../src/observability/redact.ts";

/** Secrets must not reach a log line or a status document, whoever wrote the text around them. */

const WEBHOOK = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ACCOUNT_KEY = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy+/==";
const CONNECTION = `DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=${ACCOUNT_KEY};QueueEndpoint=http://127.0.0.1:1/dev;`;

describe("secretSettings", () => {
  it("finds the client secret, each webhook secret with and without its prefix, and the account key", () => {
    const env = {
      ITWIN_CLIENT_SECRET: "imS-s3cret-value",
      WEBHOOK_SECRETS: ` ${WEBHOOK} , whsec_b2xkLXNlY3JldA==`,
      AzureWebJobsStorage: CONNECTION,
      ITWIN_CLIENT_ID: "not-a-secret",
    };
    expect(secretSettings(env).sort()).toEqual(
      [
        "imS-s3cret-value",
        WEBHOOK,
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_b2xkLXNlY3JldA==",
        "b2xkLXNlY3JldA==",
        ACCOUNT_KEY,
      ].sort(),
    );
  });

  it("reads parsed settings too, where WEBHOOK_SECRETS is already a list", () => {
    expect(secretSettings({ WEBHOOK_SECRETS: [WEBHOOK] })).toEqual([
      WEBHOOK,
      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]);
    expect(secretSettings({ AzureWebJobsStorage: "UseDevelopmentStorage=true" })).toEqual([]);
  });
});

describe("redact: values this process knows are secret", () => {
  it("replaces a remembered setting wherever it stands, raw or percent-encoded", () => {
    rememberSecret("Xy9+secret/Value=");
    expect(redact("IMS said: bad client_id=a, client Xy9+secret/Value= rejected")).toBe(
      `IMS said: bad client_id=a, client ${REDACTED} rejected`,
    );
    expect(redact("form: grant_type=client_credentials&scope=x&c=Xy9%2Bsecret%2FValue%3D")).toBe(
      `form: grant_type=client_credentials&scope=x&c=${REDACTED}`,
    );
  });

  it("ignores values too short to be told apart from ordinary words", () => {
    rememberSecret("short");
    expect(redact("a short note")).toBe("a short note");
  });

  it("replaces a remembered bearer token even without its scheme, and forgets the oldest of many", () => {
    const tokens = Array.from({ length: 9 }, (_, index) => `tok${index}-AAAAAAAAAAAAAAAA`);
    rememberToken(tokens[0] as string);
    expect(redact(`echo: ${tokens[0]}`)).toBe(`echo: ${REDACTED}`);
    for (const token of tokens.slice(1)) rememberToken(token);
    expect(redact(`echo: ${tokens[8]}`)).toBe(`echo: ${REDACTED}`);
    expect(redact(`echo: ${tokens[0]}`)).toBe(`echo: ${tokens[0]}`);
  });

  it("takes extra known values per call (the runner reads them from its environment)", () => {
    expect(redact("key is per-call-secret-123", ["per-call-secret-123"])).toBe(`key is ${REDACTED}`);
  });
});

describe("redact: credential shapes, for secrets this process never held", () => {
  it.each([
    ["Authorization: Bearer abc.DEF-ghi_jkl~", `Authorization: Bearer ${REDACTED}`],
    ["authorization=Basic dXNlcjpwYXNzd29yZA==", `authorization=Basic ${REDACTED}`],
    ['{"authorization":"Bearer abc"}', `{"authorization":"Bearer ${REDACTED}"}`],
    ["<pre>bearer 0123456789abcdef</pre>", `<pre>bearer ${REDACTED}</pre>`],
    ['{"x-functions-key":"k3y-V4lue=="}', `{"x-functions-key":"${REDACTED}"}`],
    ["x-functions-key: k3y-V4lue==", `x-functions-key: ${REDACTED}`],
    ["POST /api/owner-changes?code=fUnCk3y%3D%3D&x=1", `POST /api/owner-changes?code=${REDACTED}&x=1`],
    ["https://app/api/h?a=1&code=abc==", `https://app/api/h?a=1&code=${REDACTED}`],
    [CONNECTION, CONNECTION.replace(ACCOUNT_KEY, REDACTED)],
    ["sv=2024&sig=AbC%2Fdef%3D&se=2030", `sv=2024&sig=${REDACTED}&se=2030`],
    [
      "grant_type=client_credentials&client_secret=s3cr3t&scope=x",
      `grant_type=client_credentials&client_secret=${REDACTED}&scope=x`,
    ],
    ['{"access_token":"opaque-token","expires_in":3600}', `{"access_token":"${REDACTED}","expires_in":3600}`],
    [`secrets ${WEBHOOK},whsec_b2xk`, `secrets whsec_${REDACTED},whsec_${REDACTED}`],
    [
      "webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
      `webhook-signature: ${REDACTED} v1,${REDACTED}`,
    ],
    ["token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl end", `token ${REDACTED} end`],
  ])("%s", (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    '{"code":"LastOwner","message":"removing this owner would leave the iTwin without a human owner"}',
    '{"msg":"request r-1 failed","errorCode":"Http500","status":"failed"}',
    "GET /api/owner-changes/r-0a1b2c 200 4ms",
    "alice@corp.example added to 5e3b1a7e-8c1d-4f3a-9b2e-000000000001",
    "basic validation failed: email must be an email address",
    "retry scheduled for 2026-01-01T00:00:00.000Z: RateLimitExceeded",
  ])("leaves ordinary text alone: %s", (text) => {
    expect(redact(text)).toBe(text);
  });
});

describe("redactDeep", () => {
  it("redacts every string of a record, and the whole value of fields named like credentials", () => {
    const record = {
      msg: "call failed: Authorization: Bearer abc",
      nested: { list: ["ok", "https://x/?code=k"], count: 3, when: undefined },
      headers: { Authorization: "anything at all", "X-Functions-Key": "k", accept: "application/json" },
      error: new Error("kept as is"),
    };
    const copy = redactDeep(record);
    expect(copy).toEqual({
      msg: `call failed: Authorization: Bearer ${REDACTED}`,
      nested: { list: ["ok", `https://x/?code=${REDACTED}`], count: 3, when: undefined },
      headers: { Authorization: REDACTED, "X-Functions-Key": REDACTED, accept: "application/json" },
      error: record.error,
    });
    expect(record.msg).toBe("call failed: Authorization: Bearer abc");
  });
});

describe("where the app and the runner write", () => {
  it("the app's invocation logger redacts the message, the base fields and the fields", () => {
    const lines: string[] = [];
    const context = {
      functionName: "submitOwnerChanges",
      invocationId: "inv-1",
      info: (line: string) => lines.push(line),
      warn: (line: string) => lines.push(line),
      error: (line: string) => lines.push(line),
    } as unknown as InvocationContext;
    const log = invocationLogger(context, { url: "https://app/api/x?code=base-key" });
    log.warn("bad signature v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=", {
      authorization: "Bearer t0ken",
      detail: `client_secret=abc&${WEBHOOK}`,
    });
    expect(JSON.parse(lines[0] as string)).toEqual({
      msg: `bad signature v1,${REDACTED}`,
      function: "submitOwnerChanges",
      invocationId: "inv-1",
      url: `https://app/api/x?code=${REDACTED}`,
      authorization: REDACTED,
      detail: `client_secret=${REDACTED}&whsec_${REDACTED}`,
    });
  });

  it("the runner's logger redacts the secret settings of its environment and credential shapes", () => {
    const lines: string[] = [];
    const env = { ITWIN_CLIENT_SECRET: "runner-env-secret-42", AzureWebJobsStorage: CONNECTION };
    const logger = new Logger(
      {},
      { out: (line) => lines.push(line), err: (line) => lines.push(line) },
      { now: () => 0 },
      env,
    );
    logger.error("worker", "Executed (Failed): IMS echoed runner-env-secret-42 and", CONNECTION);
    logger.info("http", "POST /api/owner-changes?code=abc 202 3ms");
    expect(lines.join("\n")).not.toMatch(/runner-env-secret-42|code=abc|Zm9vYmFy/);
    expect(lines).toEqual([
      expect.stringContaining(`IMS echoed ${REDACTED} and`),
      expect.stringContaining(`?code=${REDACTED} 202`),
    ]);
  });

  it("an error page cut to its 500 characters keeps no start of a secret that straddled the cut", () => {
    const token = "straddling-token-0123456789abcdefghij";
    rememberToken(token);
    const page = `<html><body>${"x".repeat(480)} ${token}</body></html>`;
    const { message } = describeErrorBody(502, page);
    expect(message).not.toContain("straddling");
    const json = JSON.stringify({ error: { code: "Echo", message: `${"y".repeat(490)} ${token}` } });
    expect(describeErrorBody(400, json).message).not.toContain("straddling");
  });

  it("an owners-API or IMS error never carries an echoed credential in its message", () => {
    const error = new ApiError(400, "invalid_client", "bad form: client_secret=s3cr3t");
    expect(error.message).toBe(`bad form: client_secret=${REDACTED}`);
  });
});
